import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';

/**
 * Property (issue #2): for any sequence of book / change / cancel, per slot
 * booked + remaining = capacity, nobody holds two reservations, and every answer matches a
 * simple model of the rules (so a wrong "slot full" fails too, not only an oversell).
 */
const PERSONS = 4;
const CLINICS = 3;
const DAYS = 2;
const CAPACITY = 2;

type Op =
  | { kind: 'book'; person: number; clinic: number; day: number }
  | { kind: 'change'; person: number; clinic: number; day: number }
  | { kind: 'cancel'; person: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('book' as const), person: fc.nat(PERSONS - 1), clinic: fc.nat(CLINICS - 1), day: fc.nat(DAYS - 1) }),
  fc.record({ kind: fc.constant('change' as const), person: fc.nat(PERSONS - 1), clinic: fc.nat(CLINICS - 1), day: fc.nat(DAYS - 1) }),
  fc.record({ kind: fc.constant('cancel' as const), person: fc.nat(PERSONS - 1) }),
);

describe('booking invariants under any sequence (property)', () => {
  let t: TestApp;
  const tokens: string[] = [];
  let clinics: string[] = [];
  let days: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      beforeBuild: async (db) => {
        const c = await db.query<{ clinic_id: string }>(
          `SELECT DISTINCT clinic_id FROM slot WHERE campaign_id = 'demo' ORDER BY clinic_id LIMIT ${CLINICS}`,
        );
        clinics = c.rows.map((r) => r.clinic_id);
        const d = await db.query<{ day: string }>(
          `SELECT DISTINCT day FROM slot WHERE campaign_id = 'demo' AND dose = 1 ORDER BY day OFFSET 3 LIMIT ${DAYS}`,
        );
        days = d.rows.map((r) => r.day);
        await db.query(
          `UPDATE slot SET capacity = $1, remaining = $1 WHERE campaign_id = 'demo' AND dose = 1 AND clinic_id = ANY($2) AND day = ANY($3::date[])`,
          [CAPACITY, clinics, days],
        );
      },
    });
    for (let p = 0; p < PERSONS; p++) tokens.push(await t.login(syntheticRrn('1980-05-05', 500 + p)));
  });
  afterAll(async () => t?.close());

  async function reset() {
    await t.db.exec(`DELETE FROM reservation_dose; DELETE FROM idempotency_key; DELETE FROM reservation; UPDATE slot SET remaining = capacity WHERE remaining <> capacity;`);
  }

  async function checkInvariants() {
    const slots = await t.db.query<{ id: number; capacity: number; remaining: number; booked: number }>(
      `SELECT s.id, s.capacity, s.remaining,
              (SELECT count(*)::int FROM reservation_dose d JOIN reservation r ON r.id = d.reservation_id
               WHERE d.slot_id = s.id AND r.status = 'confirmed') AS booked
       FROM slot s WHERE s.campaign_id = 'demo'`,
    );
    for (const s of slots.rows) expect(s.booked + s.remaining, `slot ${s.id}`).toBe(s.capacity);
    const doubles = await t.db.query(
      `SELECT person_id FROM reservation WHERE status = 'confirmed' GROUP BY campaign_id, person_id HAVING count(*) > 1`,
    );
    expect(doubles.rows).toEqual([]);
  }

  it('booked + remaining = capacity; one reservation per person; answers match the model', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 20 }), async (ops) => {
        runs++;
        await reset();
        const remaining = new Map<string, number>();
        const held = new Map<number, { bookingNumber: string; key: string }>();
        const keyOf = (clinic: number, day: number) => `${clinic}|${day}`;
        for (let c = 0; c < CLINICS; c++) for (let d = 0; d < DAYS; d++) remaining.set(keyOf(c, d), CAPACITY);
        let n = 0;
        for (const op of ops) {
          const auth = { authorization: `Bearer ${tokens[op.person]}` };
          const mine = held.get(op.person);
          if (op.kind === 'book') {
            const res = await t.app.inject({
              method: 'POST',
              url: '/api/v1/reservations',
              headers: { ...auth, 'idempotency-key': `prop-${runs}-${n++}` },
              payload: { campaignId: 'demo', clinicId: clinics[op.clinic], date: days[op.day] },
            });
            const key = keyOf(op.clinic, op.day);
            if (mine) {
              expect(res.json().error?.code).toBe('YEYAK_E_ALREADY_BOOKED');
            } else if ((remaining.get(key) ?? 0) > 0) {
              expect(res.statusCode, res.body).toBe(201);
              remaining.set(key, (remaining.get(key) ?? 0) - 1);
              held.set(op.person, { bookingNumber: res.json().bookingNumber, key });
            } else {
              expect(res.json().error?.code).toBe('YEYAK_E_SLOT_FULL');
            }
          } else if (op.kind === 'change') {
            if (!mine) continue;
            const key = keyOf(op.clinic, op.day);
            const res = await t.app.inject({
              method: 'PATCH',
              url: `/api/v1/reservations/${mine.bookingNumber}`,
              headers: auth,
              payload: { clinicId: clinics[op.clinic], date: days[op.day] },
            });
            if (key === mine.key) {
              expect(res.json().error?.code).toBe('YEYAK_E_CHANGE_NOTHING');
            } else if ((remaining.get(key) ?? 0) > 0) {
              expect(res.statusCode, res.body).toBe(200);
              remaining.set(key, (remaining.get(key) ?? 0) - 1);
              remaining.set(mine.key, (remaining.get(mine.key) ?? 0) + 1);
              held.set(op.person, { bookingNumber: mine.bookingNumber, key });
            } else {
              expect(res.json().error?.code).toBe('YEYAK_E_SLOT_FULL');
            }
          } else {
            if (!mine) continue;
            const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/reservations/${mine.bookingNumber}`, headers: auth });
            expect(res.statusCode, res.body).toBe(200);
            remaining.set(mine.key, (remaining.get(mine.key) ?? 0) + 1);
            held.delete(op.person);
          }
        }
        await checkInvariants();
      }),
      { numRuns: 40 },
    );
    expect(runs).toBeGreaterThanOrEqual(40);
  });
});
