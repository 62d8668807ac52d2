/**
 * The leftover tests' shared setup: a demo store on PGlite and (with DATABASE_URL) on PostgreSQL,
 * the clock on a demo day whose dose-2 day (+21) has dose-2 slots, and helpers that go through
 * the API as a citizen and as clinic staff would.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, syntheticRrn, TEST_ADMIN_TOKEN, TEST_KEYS, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/pg.ts';
import { errorCatalogue, type ErrorCode } from '../../src/core/errors.ts';
import { hashRrn } from '../../src/rules/rrn.ts';

export const API = '/api/v1';
/** Today in the tests: the demo's first dose-1 day; today + 21 is its first dose-2 day. */
export const TODAY = '2026-11-27';
export const DAY2 = '2026-12-18';
export const NOW = `${TODAY}T10:00:00+09:00`;
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function expectError(res: LightMyRequestResponse, status: number, code: ErrorCode): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json()).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(errorCatalogue[code].status).toBe(status);
}

if (!process.env.DATABASE_URL && process.env.CI === 'true') throw new Error('test/leftovers needs DATABASE_URL (CI=true: not skipped)');

export interface Citizen {
  token: string;
  personId: number;
  rrn: string;
}

export interface LeftoverFixture {
  t: TestApp;
  /** A new verified person (born `birthDate`, default in the demo's cohort). */
  citizen(birthDate?: string): Promise<Citizen>;
  /** Sets the clock (a session lasts 30 minutes: the citizens named verify again there). */
  at(instant: string, ...again: Citizen[]): Promise<void>;
  /** A regular booking through POST /reservations. */
  book(c: Citizen, clinicId: string, date: string): Promise<string>;
  /** Clinic staff release `doses` of pfizer today until `until` (HH:MM, Korea). */
  release(clinicId: string, doses: number, until?: string): Promise<number>;
  take(c: Citizen, releaseId: number, key?: string, body?: Record<string, unknown>): Promise<LightMyRequestResponse>;
  /** Demo clinics (id, 시/도, 시/군/구), in id order. */
  clinics: { id: string; sido: string; sigungu: string }[];
}

let serial = 720_000;

async function fixture(t: TestApp): Promise<LeftoverFixture> {
  t.clock.set(NOW);
  const clinics = (await t.db.query<{ id: string; sido_code: string; sigungu_code: string }>('SELECT id, sido_code, sigungu_code FROM clinic ORDER BY id')).rows.map(
    (c) => ({ id: c.id, sido: c.sido_code, sigungu: c.sigungu_code }),
  );
  const citizen = async (birthDate = '1980-05-05') => {
    const rrn = syntheticRrn(birthDate, serial++);
    const token = await t.login(rrn);
    const row = await t.db.query<{ id: number }>('SELECT id FROM person WHERE rrn_hash = $1', [hashRrn(rrn.replace('-', ''), TEST_KEYS.rrnHashSecret)]);
    return { token, personId: Number(row.rows[0]?.id), rrn };
  };
  const book = async (c: Citizen, clinicId: string, date: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `${API}/reservations`,
      headers: { ...bearer(c.token), 'idempotency-key': `regular-${c.personId}-${date}` },
      payload: { campaignId: 'demo', clinicId, date },
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { bookingNumber: string }).bookingNumber;
  };
  const release = async (clinicId: string, doses: number, until = '18:00') => {
    const res = await t.app.inject({
      method: 'POST',
      url: `${API}/admin/clinics/${clinicId}/leftovers`,
      headers: bearer(TEST_ADMIN_TOKEN),
      payload: { campaignId: 'demo', vaccineId: 'pfizer', doses, until },
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: number }).id;
  };
  let keys = 0;
  const take = (c: Citizen, releaseId: number, key = `take-${c.personId}-${releaseId}-${keys++}`, body?: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: `${API}/leftovers/${releaseId}/reservations`,
      headers: { ...bearer(c.token), 'idempotency-key': key },
      ...(body ? { payload: body } : {}),
    });
  const at = async (instant: string, ...again: Citizen[]) => {
    t.clock.set(instant);
    for (const c of again) c.token = await t.login(c.rrn);
  };
  return { t, citizen, at, book, release, take, clinics };
}

/** Runs `body` on PGlite and, with DATABASE_URL, on a fresh PostgreSQL database (pool of 20). */
export function onBothStores(name: string, body: (f: () => LeftoverFixture) => void): void {
  const run = (store: string, make: () => Promise<{ t: TestApp; cleanup: () => Promise<void> }>) =>
    describe(`${name} (${store})`, () => {
      let f: LeftoverFixture | undefined;
      let cleanup: () => Promise<void> = async () => undefined;
      beforeAll(async () => {
        const made = await make();
        cleanup = made.cleanup;
        f = await fixture(made.t);
      }, 120_000);
      afterAll(async () => cleanup());
      body(() => {
        if (!f) throw new Error('fixture used before beforeAll');
        return f;
      });
    });
  run('PGlite', async () => {
    const t = await createTestApp();
    return { t, cleanup: () => t.close() };
  });
  describe.skipIf(!process.env.DATABASE_URL)('on PostgreSQL', () => {
    run('PostgreSQL', async () => {
      const database = await createTestDatabase('yeyak_leftovers');
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
}

/** Slots where capacity − remaining ≠ the confirmed doses that reference them (should be none). */
export async function brokenSlots(t: TestApp): Promise<string[]> {
  const r = await t.db.query<{ id: string }>(
    `WITH booked AS (
       SELECT d.slot_id, count(*)::int AS n FROM reservation_dose d JOIN reservation r ON r.id = d.reservation_id
        WHERE r.status = 'confirmed' AND d.slot_id IS NOT NULL GROUP BY d.slot_id)
     SELECT s.id::text FROM slot s LEFT JOIN booked b ON b.slot_id = s.id
      WHERE s.capacity - s.remaining <> coalesce(b.n, 0) ORDER BY s.id LIMIT 10`,
  );
  return r.rows.map((row) => row.id);
}

/** A reservation's status and doses (day, slot or release) as the store holds them. */
export async function reservationState(t: TestApp, bookingNumber: string): Promise<{ status: string; doses: string[] }> {
  const r = await t.db.query<{ status: string; doses: string[] | null }>(
    `SELECT r.status, array_agg(d.dose || ':' || d.day || ':' || coalesce(d.slot_id::text, 'L' || d.leftover_release_id) ORDER BY d.dose) AS doses
       FROM reservation r JOIN reservation_dose d ON d.reservation_id = r.id WHERE r.booking_number = $1 GROUP BY r.status`,
    [bookingNumber],
  );
  const row = r.rows[0];
  return { status: row?.status ?? 'missing', doses: row?.doses ?? [] };
}
