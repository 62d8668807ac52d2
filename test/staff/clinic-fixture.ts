/**
 * The clinic portal tests' shared setup: a demo store on PGlite and (with DATABASE_URL) on
 * PostgreSQL, two clinics with staff of the first, bookings made through the API.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, deferred, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/pg.ts';
import { errorCatalogue, type ErrorCode } from '../../src/core/errors.ts';
import { addStaff } from '../../src/staff/staff.ts';

export const API = '/api/v1';
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function expectError(res: LightMyRequestResponse, status: number, code: ErrorCode): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json()).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(errorCatalogue[code].status).toBe(status);
}

export interface ClinicFixture {
  t: TestApp;
  /** The clinic of `clinicStaff`, and another one. */
  own: string;
  other: string;
  /** The demo's dose-1 days at `own` (the first is tomorrow). */
  dates: string[];
  clinicStaff: { token: string; id: number };
  otherClinicStaff: { token: string; id: number };
  /** Books a new person at `clinicId` on `date` through the API; answers the booking number and person id. */
  book(clinicId: string, date: string): Promise<{ bookingNumber: string; personId: number; token: string }>;
}

let serial = 610_000;

async function fixture(t: TestApp): Promise<ClinicFixture> {
  const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics` })).json() as { id: string; remaining: number }[];
  const [own, other] = clinics.filter((c) => c.remaining > 0).map((c) => c.id) as [string, string];
  const dates = ((await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/${own}/dates` })).json() as { date: string }[]).map((d) => d.date);
  const now = t.clock.now();
  const mine = await addStaff(t.db, { role: 'clinic', clinicId: own, name: '보건소 김간호사' }, now);
  const theirs = await addStaff(t.db, { role: 'clinic', clinicId: other, name: '다른 보건소 이간호사' }, now);
  const book = async (clinicId: string, date: string) => {
    const token = await t.login(syntheticRrn('1975-03-03', serial++));
    const res = await t.app.inject({
      method: 'POST',
      url: `${API}/reservations`,
      headers: { ...bearer(token), 'idempotency-key': `clinic-portal-${serial}` },
      payload: { campaignId: 'demo', clinicId, date },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { bookingNumber } = res.json() as { bookingNumber: string };
    const row = await t.db.query<{ person_id: number }>('SELECT person_id FROM reservation WHERE booking_number = $1', [bookingNumber]);
    return { bookingNumber, personId: Number(row.rows[0]?.person_id), token };
  };
  return {
    t,
    own,
    other,
    dates,
    clinicStaff: { token: mine.token, id: mine.staff.id ?? -1 },
    otherClinicStaff: { token: theirs.token, id: theirs.staff.id ?? -1 },
    book,
  };
}

/**
 * Runs `body` once on PGlite and, when DATABASE_URL is set, once on a fresh PostgreSQL database.
 * `body` gets a getter: the fixture exists once beforeAll has run.
 */
export function onBothStores(name: string, body: (f: () => ClinicFixture) => void): void {
  const run = (store: string, make: () => Promise<{ t: TestApp; cleanup: () => Promise<void> }>) =>
    describe(`${name} (${store})`, () => {
      let f: ClinicFixture | undefined;
      let cleanup: () => Promise<void> = async () => undefined;
      beforeAll(async () => {
        const made = await make();
        cleanup = made.cleanup;
        f = await fixture(made.t);
      });
      afterAll(async () => cleanup());
      body(() => {
        if (!f) throw new Error('fixture used before beforeAll');
        return f;
      });
    });
  run('PGlite', async () => {
    const t = await createTestApp({ clinics: 4 });
    return { t, cleanup: () => t.close() };
  });
  describe.skipIf(!process.env.DATABASE_URL)('on PostgreSQL', () => {
    run('PostgreSQL', async () => {
      const database = await createTestDatabase('yeyak_clinic');
      const t = await createTestApp({ clinics: 4, databaseUrl: database.url });
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

/** The instant `hhmm` on `day` in Korea, for FakeClock.set. */
export const koreaTime = (day: string, hhmm: string): string => `${day}T${hhmm}:00+09:00`;

/**
 * Runs `requests` at once, with every statement whose text contains `marker` held until all
 * `requests.length` of them have been sent (a gate, never a sleep): on PostgreSQL they then run
 * concurrently, each on its own connection; PGlite runs them one after the other.
 */
export async function sentTogether<T>(t: TestApp, marker: string, requests: (() => Promise<T>)[]): Promise<T[]> {
  const original = t.db.query.bind(t.db);
  const allSent = deferred();
  let sent = 0;
  t.db.query = (async (text: string, params?: unknown[]) => {
    if (text.includes(marker)) {
      if (++sent === requests.length) allSent.resolve();
      await allSent.promise;
    }
    return original(text, params);
  }) as typeof t.db.query;
  try {
    return await Promise.all(requests.map((r) => r()));
  } finally {
    t.db.query = original;
  }
}
