import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, phoneOf, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { sandboxCi } from '../../src/identity/registry.ts';

/** The resident registration number never reaches a log line or a table in clear. */
describe('RRN privacy through a full booking flow', () => {
  let t: TestApp;
  const lines: string[] = [];
  const rrn = syntheticRrn('1988-07-17', 424242);
  const digits = rrn.replace('-', '');

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    t = await createTestApp({ logger: { level: 'trace', stream } });
  });
  afterAll(async () => t?.close());

  it('logs and stores no raw RRN, even for a bad request that echoes input', async () => {
    const token = await t.login(rrn);
    const clinics = (await t.app.inject({ method: 'GET', url: '/api/v1/campaigns/demo/clinics' })).json();
    const dates = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/demo/clinics/${clinics[0].id}/dates` })).json();
    const booked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reservations',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'privacy-flow-1' },
      payload: { campaignId: 'demo', clinicId: clinics[0].id, date: dates[0].date },
    });
    expect(booked.statusCode).toBe(201);
    // A malformed challenge carrying the number must not echo it in logs or the answer.
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/identity/challenges',
      payload: { method: 'phone', name: 'x', rrn, phone: 'not-a-phone' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain(digits.slice(6));

    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(5); // the logger really captured the flow
    expect(log).not.toContain(digits);
    expect(log).not.toContain(rrn);
    expect(log).not.toContain(digits.slice(6)); // the 7 digits after the birth date
    const tables = await t.db.query<{ hit: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM person WHERE rrn_hash LIKE '%' || $1 || '%' OR name LIKE '%' || $1 || '%' OR phone LIKE '%' || $1 || '%')
           OR EXISTS (SELECT 1 FROM audit_log WHERE detail::text LIKE '%' || $1 || '%')
           OR EXISTS (SELECT 1 FROM outbox WHERE payload::text LIKE '%' || $1 || '%') AS hit`,
      [digits.slice(6)],
    );
    expect(tables.rows[0]?.hit).toBe(false);
    // Nor the verified identity (CI): it is stored as its keyed hash only, and never logged.
    const ci = sandboxCi(phoneOf(rrn));
    expect(log).not.toContain(ci);
    const ciStored = await t.db.query<{ hit: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM person WHERE ci_hash = $1 OR name = $1 OR phone = $1)
           OR EXISTS (SELECT 1 FROM resident_binding WHERE ci_hash = $1 OR rrn_hash = $1) AS hit`,
      [ci],
    );
    expect(ciStored.rows[0]?.hit).toBe(false);
  });
});
