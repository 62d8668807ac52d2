/**
 * Proxy booking (대리 예약): the proxy verifies as themself and books for someone else, giving the
 * person's name, RRN and relationship. Tricks: booking for someone where the campaign bans it
 * (18–49 in Aug 2021), an ineligible relative booked by an eligible proxy, and one proxy booking
 * for a whole village — the cap is enforced by the database, also for concurrent requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, deferred, phoneOf, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { errorCatalogue, type ErrorCode } from '../../src/core/errors.ts';
import { PROXY_PEOPLE_MAX } from '../../src/booking/proxy.ts';

const API = '/api/v1';
let serial = 500_000;
let keySeq = 0;
const newKey = () => `proxy-key-${++keySeq}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function expectError(res: LightMyRequestResponse, status: number, code: ErrorCode): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json()).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(errorCatalogue[code].status).toBe(status);
}

// Each beneficiary their own phone: one name + phone is one person (issue #7).
const beneficiary = (born: string, relationship = 'parent') => {
  const rrn = syntheticRrn(born, serial++);
  return { name: '김부모', rrn, phone: phoneOf(rrn), relationship };
};

async function count(t: TestApp, table: string): Promise<number> {
  const r = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return r.rows[0]?.n ?? -1;
}

describe('a campaign that bans proxy booking (korea-2021-08, ages 18–49)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ scenario: 'korea-2021-08', clinics: 30, now: '2021-08-09T20:00:05+09:00' });
  });
  afterAll(async () => t.close());

  it('booking for someone else → 403 PROXY_NOT_ALLOWED, and nothing is written (no person, reservation, audit, key)', async () => {
    const proxy = await t.login(syntheticRrn('1990-08-19', serial++));
    const before = { person: await count(t, 'person'), reservation: await count(t, 'reservation'), audit: await count(t, 'audit_log'), keys: await count(t, 'idempotency_key') };
    const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/korea-2021-08/clinics` })).json() as { id: string; remaining: number }[];
    const clinic = clinics.find((c) => c.remaining > 0);
    if (!clinic) throw new Error('no clinic with capacity');
    const res = await t.app.inject({
      method: 'POST',
      url: `${API}/reservations`,
      headers: { ...bearer(proxy), 'idempotency-key': newKey() },
      payload: { campaignId: 'korea-2021-08', clinicId: clinic.id, date: '2021-08-30', onBehalfOf: beneficiary('1985-03-09', 'sibling') },
    });
    expectError(res, 403, 'YEYAK_E_PROXY_NOT_ALLOWED');
    expect({ person: await count(t, 'person'), reservation: await count(t, 'reservation'), audit: await count(t, 'audit_log'), keys: await count(t, 'idempotency_key') }).toEqual(before);
  });
});

for (const engine of ['pglite', 'postgres'] as const) {
  describe.skipIf(engine === 'postgres' && !process.env.DATABASE_URL)(`a campaign that allows proxy booking (demo, ${engine})`, () => {
    let t: TestApp;
    let testDb: TestDatabase | null = null;
    let clinicId = '';
    let dates: string[] = [];

    beforeAll(async () => {
      testDb = engine === 'postgres' ? await createTestDatabase('yeyak_proxy') : null;
      t = await createTestApp({ scenario: 'demo', clinics: 5, databaseUrl: testDb?.url ?? null });
      const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics` })).json() as { id: string; remaining: number }[];
      const clinic = clinics.find((c) => c.remaining >= 20);
      if (!clinic) throw new Error('no demo clinic with capacity');
      clinicId = clinic.id;
      dates = ((await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/${clinicId}/dates` })).json() as { date: string }[]).map((d) => d.date);
    });
    afterAll(async () => {
      await t.close();
      await testDb?.drop();
    });

    const bookFor = (proxy: string, onBehalfOf: ReturnType<typeof beneficiary> | undefined, date = dates[3] as string) =>
      t.app.inject({
        method: 'POST',
        url: `${API}/reservations`,
        headers: { ...bearer(proxy), 'idempotency-key': newKey() },
        payload: { campaignId: 'demo', clinicId, date, ...(onBehalfOf ? { onBehalfOf } : {}) },
      });

    it('books for the beneficiary: 201, the reservation is theirs (booked_by proxy, proxy recorded), the audit row has proxy + relationship', async () => {
      const proxyRrn = syntheticRrn('1975-05-05', serial++);
      const proxy = await t.login(proxyRrn);
      const parent = beneficiary('1948-02-11', 'parent');
      const res = await bookFor(proxy, parent);
      expect(res.statusCode, res.body).toBe(201);
      const { bookingNumber } = res.json() as { bookingNumber: string };
      const row = (await t.db.query<{ person_id: number; proxy_person_id: number; booked_by: string; birth_date: string; actor: string; detail: { proxy: { personId: number; relationship: string } } }>(
        `SELECT r.person_id, r.proxy_person_id, r.booked_by, p.birth_date, a.actor, a.detail
           FROM reservation r JOIN person p ON p.id = r.person_id JOIN audit_log a ON a.reservation_id = r.id
          WHERE r.booking_number = $1`, [bookingNumber])).rows[0];
      expect(row).toBeDefined();
      expect(row?.booked_by).toBe('proxy');
      expect(row?.birth_date).toBe('1948-02-11'); // the beneficiary, not the proxy
      expect(row?.person_id).not.toBe(row?.proxy_person_id);
      expect(row?.actor).toBe(`person:${row?.proxy_person_id}`);
      expect(row?.detail.proxy).toEqual({ personId: row?.proxy_person_id, relationship: 'parent' });
      // The RRN is stored as its keyed hash only.
      const leaked = await t.db.query(`SELECT 1 FROM person WHERE rrn_hash = $1 OR rrn_hash LIKE $2`, [parent.rrn, `%${parent.rrn.replace('-', '')}%`]);
      expect(leaked.rows).toHaveLength(0);
      // The beneficiary, verifying later, finds the booking as their own; the proxy finds what they booked.
      const own = await t.login(parent.rrn, parent.name);
      expect((await t.app.inject({ method: 'GET', url: `${API}/reservations/${bookingNumber}`, headers: bearer(own) })).statusCode).toBe(200);
      const byProxy = await t.app.inject({ method: 'GET', url: `${API}/reservations/${bookingNumber}`, headers: bearer(proxy) });
      expect(byProxy.statusCode, byProxy.body).toBe(200);
      expect(byProxy.json()).toMatchObject({ bookingNumber, person: { name: parent.name, rrnMasked: '480211-1******' } });
      // A second booking for the same person, by the same proxy → ALREADY_BOOKED (one per person).
      expectError(await bookFor(proxy, { ...parent }), 409, 'YEYAK_E_ALREADY_BOOKED');
    });

    it("the beneficiary's eligibility counts: an eligible proxy for someone born 1930 → 403 NOT_ELIGIBLE, nothing booked", async () => {
      const proxy = await t.login(syntheticRrn('1970-01-01', serial++));
      const before = await count(t, 'reservation');
      const res = await bookFor(proxy, beneficiary('1930-06-15', 'grandparent'));
      expectError(res, 403, 'YEYAK_E_NOT_ELIGIBLE');
      expect((res.json() as { error: { details: { reasons: string[] } } }).error.details.reasons).toContain('BIRTH_OUT_OF_RANGE');
      expect(await count(t, 'reservation')).toBe(before);
    });

    it("…and the proxy's own ineligibility does not: a proxy born 1930 books for an eligible relative → 201", async () => {
      const proxy = await t.login(syntheticRrn('1930-03-03', serial++));
      expectError(await bookFor(proxy, undefined), 403, 'YEYAK_E_NOT_ELIGIBLE'); // for themself: not eligible
      expect((await bookFor(proxy, beneficiary('1960-07-07', 'child'))).statusCode).toBe(201);
    });

    it(`the cap: a proxy books for ${PROXY_PEOPLE_MAX} people, the next → 409 PROXY_CAP_REACHED; a cancel gives the place back`, async () => {
      const proxy = await t.login(syntheticRrn('1965-09-09', serial++));
      const people = Array.from({ length: PROXY_PEOPLE_MAX + 1 }, () => beneficiary('1950-01-20', 'relative'));
      const booked: string[] = [];
      for (const p of people.slice(0, PROXY_PEOPLE_MAX)) {
        const res = await bookFor(proxy, p);
        expect(res.statusCode, res.body).toBe(201);
        booked.push((res.json() as { bookingNumber: string }).bookingNumber);
      }
      const over = await bookFor(proxy, people[PROXY_PEOPLE_MAX]);
      expectError(over, 409, 'YEYAK_E_PROXY_CAP_REACHED');
      const quota = await t.db.query<{ used: number; cap: number }>(
        `SELECT q.used, q.cap FROM proxy_quota q JOIN reservation r ON r.proxy_person_id = q.proxy_person_id AND r.campaign_id = q.campaign_id
          WHERE r.booking_number = $1`, [booked[0]]);
      expect(quota.rows[0]).toEqual({ used: PROXY_PEOPLE_MAX, cap: PROXY_PEOPLE_MAX });
      // One of them cancels (as themself): the proxy may book for the fifth person now.
      const first = await t.login(people[0]?.rrn as string, people[0]?.name);
      const cancel = await t.app.inject({ method: 'DELETE', url: `${API}/reservations/${booked[0]}`, headers: bearer(first) });
      expect(cancel.statusCode, cancel.body).toBe(200);
      expect((await bookFor(proxy, people[PROXY_PEOPLE_MAX])).statusCode).toBe(201);
      expectError(await bookFor(proxy, beneficiary('1951-01-21')), 409, 'YEYAK_E_PROXY_CAP_REACHED');
    });

    it(`concurrent proxy bookings beyond the cap: ${PROXY_PEOPLE_MAX * 2 + 1} at once → exactly ${PROXY_PEOPLE_MAX} succeed, the rest PROXY_CAP_REACHED`, async () => {
      const proxy = await t.login(syntheticRrn('1968-04-04', serial++));
      const gate = deferred();
      const n = PROXY_PEOPLE_MAX * 2 + 1;
      const requests = Array.from({ length: n }, (_, i) =>
        gate.promise.then(() => bookFor(proxy, beneficiary('1955-05-15', 'relative'), dates[4 + (i % 3)] as string)),
      );
      gate.resolve();
      const results = await Promise.all(requests);
      const codes = results.map((r) => (r.statusCode === 201 ? 'OK' : (r.json() as { error: { code: string } }).error.code));
      expect(codes.filter((c) => c === 'OK')).toHaveLength(PROXY_PEOPLE_MAX);
      expect(codes.filter((c) => c === 'YEYAK_E_PROXY_CAP_REACHED')).toHaveLength(n - PROXY_PEOPLE_MAX);
      const held = await t.db.query<{ n: number; used: number }>(
        `SELECT (SELECT count(*)::int FROM reservation r WHERE r.proxy_person_id = q.proxy_person_id AND r.status = 'confirmed') AS n, q.used
           FROM proxy_quota q WHERE q.proxy_person_id = (SELECT proxy_person_id FROM reservation WHERE booking_number = $1)`,
        [(results.find((r) => r.statusCode === 201)?.json() as { bookingNumber: string }).bookingNumber],
      );
      expect(held.rows[0]).toEqual({ n: PROXY_PEOPLE_MAX, used: PROXY_PEOPLE_MAX });
    });

    it('the beneficiary is told: one outbox message to their phone with the relationship and the booking number, never the RRN', async () => {
      const proxy = await t.login(syntheticRrn('1973-03-13', serial++));
      const parent = beneficiary('1949-09-19', 'parent');
      const res = await bookFor(proxy, parent);
      expect(res.statusCode, res.body).toBe(201);
      const { bookingNumber } = res.json() as { bookingNumber: string };
      const rows = (await t.db.query<{ topic: string; payload: Record<string, unknown> }>(
        `SELECT topic, payload FROM outbox WHERE topic = 'reservation.proxy_booked' AND payload->>'bookingNumber' = $1`, [bookingNumber])).rows;
      expect(rows).toHaveLength(1);
      const person = (await t.db.query<{ id: number }>(`SELECT person_id AS id FROM reservation WHERE booking_number = $1`, [bookingNumber])).rows[0];
      expect(rows[0]?.payload).toMatchObject({
        kind: 'proxy_booked',
        personId: person?.id,
        phone: parent.phone.replaceAll('-', ''),
        relationship: 'parent',
        bookingNumber,
        reservation: { bookingNumber, status: 'confirmed' },
      });
      const text = JSON.stringify(rows[0]?.payload);
      expect(text).not.toContain(parent.rrn.replace('-', ''));
      expect(text).not.toContain(parent.rrn.slice(7));
      // A booking for oneself tells nobody else.
      const self = await bookFor(await t.login(syntheticRrn('1974-04-14', serial++)), undefined);
      const none = await t.db.query(`SELECT 1 FROM outbox WHERE topic = 'reservation.proxy_booked' AND payload->>'bookingNumber' = $1`, [self.json().bookingNumber]);
      expect(none.rows).toHaveLength(0);
    });

    it('the proxy may change and cancel what they booked (the quota place comes back); a stranger → 404; the beneficiary sees each step', async () => {
      const proxy = await t.login(syntheticRrn('1976-06-16', serial++));
      const parent = beneficiary('1951-11-21', 'parent');
      const res = await bookFor(proxy, parent);
      expect(res.statusCode, res.body).toBe(201);
      const { bookingNumber } = res.json() as { bookingNumber: string };
      const own = await t.login(parent.rrn, parent.name);
      const stranger = await t.login(syntheticRrn('1977-07-17', serial++));
      const at = `${API}/reservations/${bookingNumber}`;
      expectError(await t.app.inject({ method: 'GET', url: at, headers: bearer(stranger) }), 404, 'YEYAK_E_RESERVATION_NOT_FOUND');
      expectError(await t.app.inject({ method: 'DELETE', url: at, headers: bearer(stranger) }), 404, 'YEYAK_E_RESERVATION_NOT_FOUND');
      const changed = await t.app.inject({ method: 'PATCH', url: at, headers: bearer(proxy), payload: { date: dates[5] } });
      expect(changed.statusCode, changed.body).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: at, headers: bearer(own) })).json().doses[0].date).toBe(dates[5]);
      const used = async () => (await t.db.query<{ used: number }>(
        `SELECT q.used FROM proxy_quota q JOIN reservation r ON r.proxy_person_id = q.proxy_person_id AND r.campaign_id = q.campaign_id WHERE r.booking_number = $1`, [bookingNumber])).rows[0]?.used;
      expect(await used()).toBe(1);
      const cancelled = await t.app.inject({ method: 'DELETE', url: at, headers: bearer(proxy) });
      expect(cancelled.statusCode, cancelled.body).toBe(200);
      expect(await used()).toBe(0);
      expect((await t.app.inject({ method: 'GET', url: at, headers: bearer(own) })).json().status).toBe('cancelled');
      // The notice and the audit row are the beneficiary's; the actor says the proxy cancelled.
      const audit = (await t.db.query<{ actor: string; person_id: number; proxy_person_id: number; owner: number }>(
        `SELECT a.actor, a.person_id, r.proxy_person_id, r.person_id AS owner FROM audit_log a JOIN reservation r ON r.id = a.reservation_id
          WHERE r.booking_number = $1 AND a.action = 'reservation.cancelled'`, [bookingNumber])).rows[0];
      expect(audit).toMatchObject({ actor: `person:${audit?.proxy_person_id}`, person_id: audit?.owner });
      // The beneficiary may cancel too (after verifying): here it is already cancelled.
      expectError(await t.app.inject({ method: 'DELETE', url: at, headers: bearer(own) }), 409, 'YEYAK_E_RESERVATION_CANCELLED');
    });

    it('an unknown relationship or a malformed RRN is refused before anything is written', async () => {
      const proxy = await t.login(syntheticRrn('1972-02-02', serial++));
      const people = await count(t, 'person');
      expectError(await bookFor(proxy, { ...beneficiary('1950-01-01'), relationship: 'neighbour' }), 400, 'YEYAK_E_VALIDATION');
      expectError(await bookFor(proxy, { ...beneficiary('1950-01-01'), rrn: '501301-1234567' }), 400, 'YEYAK_E_RRN_INVALID');
      expect(await count(t, 'person')).toBe(people);
    });
  });
}
