import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, deferred, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/pg.ts';
import type { Db } from '../../src/core/db.ts';

/**
 * Issue #2: 500 concurrent bookings for a clinic-day with 7 doses left → exactly 7 succeed,
 * remaining ends at 0, every winner has its dose 2. On PostgreSQL the requests are split over
 * two app nodes, so two batchers contend for the same row from two connections.
 */
const CLIENTS = 500;
const DOSES_LEFT = 7;

interface Target {
  clinicId: string;
  day1: string;
  slot1: number;
}

async function shrinkSlot(db: Db): Promise<Target> {
  const r = await db.query<{ id: number; clinic_id: string; day: string }>(
    `SELECT id, clinic_id, day FROM slot WHERE campaign_id = 'demo' AND dose = 1 ORDER BY clinic_id, day OFFSET 3 LIMIT 1`,
  );
  const row = r.rows[0];
  if (!row) throw new Error('no slot');
  await db.query('UPDATE slot SET capacity = $2, remaining = $2 WHERE id = $1', [row.id, DOSES_LEFT]);
  return { clinicId: row.clinic_id, day1: row.day, slot1: row.id };
}

async function race(nodes: TestApp[], target: Target) {
  const tokens: string[] = [];
  for (let i = 0; i < CLIENTS; i++) tokens.push(await (nodes[i % nodes.length] as TestApp).login(syntheticRrn('1985-03-14', 100_000 + i)));
  const dose2Before = await (nodes[0] as TestApp).db.query<{ id: number; remaining: number }>(
    `SELECT id, remaining FROM slot WHERE campaign_id = 'demo' AND dose = 2 AND clinic_id = $1 ORDER BY day`,
    [target.clinicId],
  );
  const gate = deferred();
  const responses = tokens.map(async (token, i) => {
    await gate.promise;
    return (nodes[i % nodes.length] as TestApp).app.inject({
      method: 'POST',
      url: '/api/v1/reservations',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': `hot-slot-${i}` },
      payload: { campaignId: 'demo', clinicId: target.clinicId, date: target.day1 },
    });
  });
  gate.resolve();
  const done = await Promise.all(responses);
  return { done, dose2Before: dose2Before.rows };
}

async function assertOutcome(db: Db, target: Target, result: Awaited<ReturnType<typeof race>>) {
  const statuses = result.done.map((r) => r.statusCode);
  const winners = result.done.filter((r) => r.statusCode === 201);
  expect(winners).toHaveLength(DOSES_LEFT);
  for (const loser of result.done.filter((r) => r.statusCode !== 201)) {
    expect(loser.statusCode).toBe(409);
    expect(loser.json().error.code).toBe('YEYAK_E_SLOT_FULL');
  }
  expect(statuses.filter((s) => s >= 500)).toEqual([]);

  const slot = await db.query<{ remaining: number; capacity: number }>('SELECT remaining, capacity FROM slot WHERE id = $1', [target.slot1]);
  expect(slot.rows[0]).toEqual({ remaining: 0, capacity: DOSES_LEFT });

  for (const w of winners) {
    const body = w.json();
    expect(body.doses).toHaveLength(2);
    expect(body.doses[1].clinicId).toBe(target.clinicId);
  }
  const rows = await db.query<{ booking_number: string; doses: number }>(
    `SELECT r.booking_number, count(d.*)::int AS doses FROM reservation r JOIN reservation_dose d ON d.reservation_id = r.id
     JOIN reservation_dose d1 ON d1.reservation_id = r.id AND d1.dose = 1
     WHERE d1.slot_id = $1 AND r.status = 'confirmed' GROUP BY r.booking_number`,
    [target.slot1],
  );
  expect(rows.rows).toHaveLength(DOSES_LEFT);
  expect(rows.rows.every((r) => r.doses === 2)).toBe(true);
  // Dose-2 capacity went down by exactly the winners, on one dose-2 slot.
  const dose2After = await db.query<{ id: number; remaining: number }>(
    `SELECT id, remaining FROM slot WHERE campaign_id = 'demo' AND dose = 2 AND clinic_id = $1 ORDER BY day`,
    [target.clinicId],
  );
  const consumed = result.dose2Before.reduce((sum, before, i) => sum + (before.remaining - (dose2After.rows[i]?.remaining ?? 0)), 0);
  expect(consumed).toBe(DOSES_LEFT);
}

describe('hot slot on PGlite (issue #2)', () => {
  let node: TestApp;
  let target: Target;
  beforeAll(async () => {
    node = await createTestApp({
      beforeBuild: async (db) => {
        target = await shrinkSlot(db);
      },
    });
  });
  afterAll(async () => node?.close());

  it('500 concurrent bookings, 7 doses left: exactly 7 win, each with its dose 2', async () => {
    const result = await race([node], target);
    await assertOutcome(node.db, target, result);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('hot slot on PostgreSQL, two nodes (issue #2)', () => {
  let nodes: TestApp[] = [];
  let target: Target;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    const first = await createTestApp({
      databaseUrl: database.url,
      beforeBuild: async (db) => {
        target = await shrinkSlot(db);
      },
    });
    const second = await createTestApp({ databaseUrl: database.url, seed: false });
    nodes = [first, second];
  });
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await drop?.();
  });

  it('500 concurrent bookings over two nodes, 7 doses left: exactly 7 win, each with its dose 2', async () => {
    const result = await race(nodes, target);
    await assertOutcome((nodes[0] as TestApp).db, target, result);
  });
});
