import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, deferred, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { SessionSigner } from '../../src/identity/session.ts';

/**
 * A validly signed session whose person this store does not know (the store was reset under a
 * live cookie) is refused with 401 — and does not take the other bookings of its batch down.
 */
describe('a session for an unknown person', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('is refused alone; a booking sharing its batch still succeeds', async () => {
    const ghost = new SessionSigner(t.config.sessionSecret, t.clock, t.config.sessionTtlMs).issue(987_654, {
      birthDate: '1990-01-01',
      sex: 'M',
      foreignResident: false,
    }).token;
    const real = await t.login(syntheticRrn('1990-01-01', 3131));
    const clinics = (await t.app.inject({ method: 'GET', url: '/api/v1/campaigns/demo/clinics' })).json();
    const dates = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/demo/clinics/${clinics[5].id}/dates` })).json();
    const gate = deferred();
    const book = async (token: string, key: string) => {
      await gate.promise;
      return t.app.inject({
        method: 'POST',
        url: '/api/v1/reservations',
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
        payload: { campaignId: 'demo', clinicId: clinics[5].id, date: dates[0].date },
      });
    };
    const both = [book(ghost, 'ghost-key-1'), book(real, 'real-key-1'), book(ghost, 'ghost-key-2')];
    gate.resolve();
    const [g1, r, g2] = await Promise.all(both);
    expect(r?.statusCode, r?.body).toBe(201);
    for (const g of [g1, g2]) {
      expect(g?.statusCode).toBe(401);
      expect(g?.json().error.code).toBe('YEYAK_E_UNAUTHENTICATED');
    }
  });
});
