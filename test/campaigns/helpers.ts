/**
 * Shared by the operator's campaign-data tests: the engines to run on (PGlite always, PostgreSQL
 * with DATABASE_URL), an app per engine, and snapshots of what an import may touch.
 */
import { expect } from 'vitest';
import { createTestApp, syntheticRrn, TEST_ADMIN_TOKEN, type TestApp, type TestAppOptions } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/pg.ts';
import type { Queryable } from '../../src/core/db.ts';

export const OPERATOR = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
export const API = '/api/v1';

export const ENGINES: { name: string; postgres: boolean }[] = [
  { name: 'PGlite', postgres: false },
  ...(process.env.DATABASE_URL ? [{ name: 'PostgreSQL', postgres: true }] : []),
];

/** A test app on the engine; close() also drops its PostgreSQL database. */
export async function appOn(postgres: boolean, opts: TestAppOptions = {}): Promise<TestApp> {
  if (!postgres) return createTestApp(opts);
  const database = await createTestDatabase('yeyak_campaign_data');
  const t = await createTestApp({ ...opts, databaseUrl: database.url });
  return {
    ...t,
    close: async () => {
      await t.close();
      await database.drop();
    },
  };
}

/** Every slot and supply row of a campaign, in a stable order: equal snapshots = nothing changed. */
export async function capacitySnapshot(q: Queryable, campaignId: string): Promise<string> {
  const slots = await q.query(
    'SELECT id, clinic_id, day, dose, vaccine_id, supply_id, capacity, remaining FROM slot WHERE campaign_id = $1 ORDER BY id',
    [campaignId],
  );
  const supply = await q.query('SELECT id, clinic_id, vaccine_id, week_start, doses, allocated FROM supply WHERE campaign_id = $1 ORDER BY id', [campaignId]);
  return JSON.stringify({ slots: slots.rows, supply: supply.rows });
}

export function csvPost(t: TestApp, campaignId: string, kind: 'capacity' | 'roster', body: string, headers: Record<string, string> = OPERATOR) {
  return t.app.inject({
    method: 'POST',
    url: `${API}/admin/campaigns/${campaignId}/${kind}`,
    headers: { ...headers, 'content-type': 'text/csv; charset=utf-8' },
    payload: body,
  });
}

/** A real booking in the demo: a new person born on `birthDate` verifies and books dose 1 at the clinic on the day. */
export async function bookDemo(t: TestApp, birthDate: string, serial: number, clinicId: string, day: string): Promise<void> {
  const token = await t.login(syntheticRrn(birthDate, serial));
  const booked = await t.app.inject({
    method: 'POST',
    url: `${API}/reservations`,
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': `campaign-data-${serial}` },
    payload: { campaignId: 'demo', clinicId, date: day },
  });
  expect(booked.statusCode, booked.body).toBe(201);
}
