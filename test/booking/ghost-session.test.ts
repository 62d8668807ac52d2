import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, deferred, phoneOf, syntheticRrn, type TestApp } from '../helpers/app.ts';
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
  it('as a proxy: refused alone (401, PROXY_UNKNOWN in book_batch); the bookings sharing its batch still succeed (issue #7)', async () => {
    const ghost = new SessionSigner(t.config.sessionSecret, t.clock, t.config.sessionTtlMs).issue(987_655, {
      birthDate: '1975-01-01',
      sex: 'M',
      foreignResident: false,
    }).token;
    const [first, real] = [await t.login(syntheticRrn('1990-02-02', 3132)), await t.login(syntheticRrn('1990-03-03', 3133))];
    const clinics = (await t.app.inject({ method: 'GET', url: '/api/v1/campaigns/demo/clinics' })).json();
    const dates = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/demo/clinics/${clinics[6].id}/dates` })).json();
    const book = (token: string, key: string, extra: Record<string, unknown> = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/reservations',
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
        payload: { campaignId: 'demo', clinicId: clinics[6].id, date: dates[1].date, ...extra },
      });
    // The first batch is held until the other two wait for the next one: they share it.
    const original = t.db.query.bind(t.db);
    const bothWaiting = deferred();
    let held = false;
    t.db.query = (async (text: string, params?: unknown[]) => {
      if (!held && text.includes('book_batch(')) {
        held = true;
        await bothWaiting.promise;
      }
      return original(text, params);
    }) as typeof t.db.query;
    try {
      const firstDone = book(first, 'first-key-1');
      const rrn = syntheticRrn('1950-04-04', 3134);
      const rest = [book(real, 'real-key-2'), book(ghost, 'ghost-proxy-1', { onBehalfOf: { name: '김부모', rrn, phone: phoneOf(rrn), relationship: 'parent' } })];
      while (t.app.yeyak.booking.waiting < 2) await new Promise((r) => setImmediate(r));
      bothWaiting.resolve();
      const [f, r, g] = await Promise.all([firstDone, ...rest]);
      expect(f?.statusCode, f?.body).toBe(201);
      expect(r?.statusCode, r?.body).toBe(201);
      expect(g?.statusCode, g?.body).toBe(401);
      expect(g?.json().error.code).toBe('YEYAK_E_UNAUTHENTICATED');
    } finally {
      t.db.query = original;
    }
  });
});
