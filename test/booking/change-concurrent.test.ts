/**
 * Change is atomic against itself (issue #7). Two concurrent PATCHes of one reservation — one
 * moves the date, the other the clinic — used to fill the omitted field from a read made before
 * either committed, so the second undid the first. And a clinic-day with two dose-1 vaccines
 * made change_reservation fail (UPDATE … RETURNING INTO with two rows).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, deferred, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/pg.ts';

const API = '/api/v1';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
let serial = 880_000;

async function datesOf(t: TestApp, clinicId: string): Promise<string[]> {
  const r = await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/${clinicId}/dates` });
  return (r.json() as { date: string }[]).map((d) => d.date);
}

/** Per slot of these clinics: capacity − remaining equals the confirmed doses on it. */
async function expectCapacityConserved(t: TestApp, clinics: string[]): Promise<void> {
  const r = await t.db.query<{ id: number }>(
    `SELECT s.id FROM slot s
      WHERE s.campaign_id = 'demo' AND s.clinic_id = ANY ($1)
        AND s.capacity - s.remaining <> (SELECT count(*) FROM reservation_dose d JOIN reservation r ON r.id = d.reservation_id
                                          WHERE d.slot_id = s.id AND r.status = 'confirmed')`,
    [clinics],
  );
  expect(r.rows).toEqual([]);
}

function suite(name: string, make: () => Promise<{ t: TestApp; cleanup: () => Promise<void> }>) {
  describe(name, () => {
    let t: TestApp;
    let cleanup: () => Promise<void> = async () => undefined;
    let clinics: string[] = [];
    beforeAll(async () => {
      ({ t, cleanup } = await make());
      clinics = ((await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics` })).json() as { id: string }[]).map((c) => c.id);
    });
    afterAll(async () => cleanup());

    const book = (token: string, clinicId: string, date: string) =>
      t.app.inject({
        method: 'POST',
        url: `${API}/reservations`,
        headers: { ...bearer(token), 'idempotency-key': `change-race-${serial++}` },
        payload: { campaignId: 'demo', clinicId, date },
      });

    it('two concurrent PATCHes (one the date, one the clinic) compose: the result is both, as in either serial order; capacity conserved', async () => {
      const [a, b] = [clinics[0] as string, clinics[1] as string];
      const bDates = new Set(await datesOf(t, b));
      const shared = (await datesOf(t, a)).filter((d) => bDates.has(d));
      const [d, e] = [shared[1] as string, shared[3] as string];
      const token = await t.login(syntheticRrn('1971-07-07', serial++));
      const booked = await book(token, a, d);
      expect(booked.statusCode, booked.body).toBe(201);
      const bookingNumber = (booked.json() as { bookingNumber: string }).bookingNumber;
      // Both PATCHes have read the reservation before either statement runs: each change statement
      // waits until the other has been sent too (a deferred, no sleep).
      const original = t.db.query.bind(t.db);
      const bothSent = deferred();
      let sent = 0;
      t.db.query = (async (text: string, params?: unknown[]) => {
        if (text.includes('change_reservation(')) {
          if (++sent === 2) bothSent.resolve();
          await bothSent.promise;
        }
        return original(text, params);
      }) as typeof t.db.query;
      const patch = (payload: Record<string, string>) =>
        t.app.inject({ method: 'PATCH', url: `${API}/reservations/${bookingNumber}`, headers: bearer(token), payload });
      let byDate, byClinic;
      try {
        [byDate, byClinic] = await Promise.all([patch({ date: e }), patch({ clinicId: b })]);
      } finally {
        t.db.query = original;
      }
      expect(byDate?.statusCode, byDate?.body).toBe(200);
      expect(byClinic?.statusCode, byClinic?.body).toBe(200);
      // Date first: (a, e) then clinic b → (b, e). Clinic first: (b, d) then date e → (b, e).
      const now = (await t.app.inject({ method: 'GET', url: `${API}/reservations/${bookingNumber}`, headers: bearer(token) })).json() as { doses: { dose: number; date: string; clinicId: string }[] };
      expect(now.doses[0]).toEqual({ dose: 1, date: e, clinicId: b });
      expect(now.doses[1]?.clinicId).toBe(b);
      await expectCapacityConserved(t, [a, b]);
    });

    it('a change onto a clinic-day that has two dose-1 vaccines → 200; one unit taken, from the slot a booking would take', async () => {
      const c = clinics[2] as string;
      const dates = await datesOf(t, c);
      const [from, to] = [dates[1] as string, dates[3] as string];
      const token = await t.login(syntheticRrn('1972-08-08', serial++));
      const booked = await book(token, c, from);
      expect(booked.statusCode, booked.body).toBe(201);
      const dose2Day = (await t.db.query<{ day: string }>(
        `SELECT d.day FROM reservation_dose d JOIN reservation r ON r.id = d.reservation_id JOIN slot s ON s.id = d.slot_id
          WHERE r.booking_number = $1 AND d.dose = 2`, [(booked.json() as { bookingNumber: string }).bookingNumber])).rows[0];
      // The target day's dose 2 (the same interval) and a second vaccine on the target day, both doses.
      const target2 = (await t.db.query<{ day: string }>(
        `SELECT ($1::date + ($2::date - $3::date))::text AS day`, [to, dose2Day?.day, from])).rows[0]?.day as string;
      await t.db.query(
        `INSERT INTO supply (campaign_id, clinic_id, vaccine_id, week_start, doses) VALUES ('demo', $1, 'moderna', $2, 10)`,
        [c, to],
      );
      for (const [day, dose] of [[to, 1], [target2, 2]] as const) {
        await t.db.query(
          `INSERT INTO slot (campaign_id, clinic_id, day, dose, vaccine_id, supply_id, capacity, remaining)
           SELECT 'demo', $1, $2, $3, 'moderna', id, 5, 5 FROM supply WHERE campaign_id = 'demo' AND clinic_id = $1 AND vaccine_id = 'moderna' AND week_start = $4`,
          [c, day, dose, to],
        );
      }
      const before = (await t.db.query<{ vaccine_id: string; remaining: number }>(
        `SELECT vaccine_id, remaining FROM slot WHERE campaign_id = 'demo' AND clinic_id = $1 AND day = $2 AND dose = 1 ORDER BY vaccine_id`, [c, to])).rows;
      expect(before.map((s) => s.vaccine_id)).toEqual(['moderna', 'pfizer']);
      const res = await t.app.inject({
        method: 'PATCH',
        url: `${API}/reservations/${(booked.json() as { bookingNumber: string }).bookingNumber}`,
        headers: bearer(token),
        payload: { date: to },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ vaccine: 'moderna', doses: [{ dose: 1, date: to, clinicId: c }, { dose: 2, date: target2, clinicId: c }] });
      const after = (await t.db.query<{ vaccine_id: string; remaining: number }>(
        `SELECT vaccine_id, remaining FROM slot WHERE campaign_id = 'demo' AND clinic_id = $1 AND day = $2 AND dose = 1 ORDER BY vaccine_id`, [c, to])).rows;
      expect(after).toEqual([{ vaccine_id: 'moderna', remaining: (before[0]?.remaining as number) - 1 }, before[1]]);
      await expectCapacityConserved(t, [c]);
    });

    it('a PATCH that names the clinic and date it already has → 400 CHANGE_NOTHING, decided under the lock', async () => {
      const c = clinics[3] as string;
      const day = (await datesOf(t, c))[1];
      const token = await t.login(syntheticRrn('1973-09-09', serial++));
      const booked = await book(token, c, day as string);
      const res = await t.app.inject({
        method: 'PATCH',
        url: `${API}/reservations/${(booked.json() as { bookingNumber: string }).bookingNumber}`,
        headers: bearer(token),
        payload: { clinicId: c },
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('YEYAK_E_CHANGE_NOTHING');
    });
  });
}

suite('change against itself on PGlite', async () => {
  const t = await createTestApp();
  return { t, cleanup: () => t.close() };
});

describe.skipIf(!process.env.DATABASE_URL)('on PostgreSQL', () => {
  suite('change against itself on PostgreSQL', async () => {
    const database = await createTestDatabase('yeyak_change');
    const t = await createTestApp({ databaseUrl: database.url });
    return {
      t,
      cleanup: async () => {
        await t.close();
        await database.drop();
      },
    };
  });
});
