/**
 * The demo is relative to today: a store seeded weeks ago is rolled forward at start (issue #7),
 * never reseeded — reservations and past days stay, new days get slots backed by supply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { seedScenario } from '../../src/scenarios/seed.ts';
import { rollDemoForward } from '../../src/scenarios/demo-refresh.ts';
import { loadCampaign } from '../../src/campaigns/store.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { openEmptyPglite } from '../helpers/pglite-copies.ts';

const SEEDED = '2024-03-10T10:00:00+09:00';
const CLINICS = 12;

async function seededDemo(): Promise<Db> {
  const db = await openEmptyPglite();
  await migrate(db);
  await seedScenario(db, { scenario: 'demo', clinics: CLINICS, clock: new FakeClock(SEEDED) });
  return db;
}

async function supplyBroken(db: Db): Promise<number> {
  const r = await db.query<{ bad: number }>(
    `SELECT count(*)::int AS bad FROM supply p
       LEFT JOIN (SELECT supply_id, sum(capacity) AS total FROM slot GROUP BY supply_id) t ON t.supply_id = p.id
      WHERE p.allocated <> p.doses OR p.doses <> coalesce(t.total, 0)`,
  );
  return r.rows[0]?.bad ?? -1;
}

describe('rolling the demo forward', () => {
  let db: Db;
  beforeAll(async () => {
    db = await seededDemo();
  });
  afterAll(() => db.close());

  it('leaves a fresh demo alone, and never moves it backwards', async () => {
    expect(await rollDemoForward(db, new FakeClock(SEEDED))).toBeNull();
    expect(await rollDemoForward(db, new FakeClock('2024-02-01T10:00:00+09:00'))).toBeNull();
    expect((await loadCampaign(db, 'demo'))?.lastShotDay).toBe('2024-03-31');
  });

  it('three days later: three more dose-1 days (in a week that had supply already), supply still exactly behind the slots', async () => {
    await db.query(`UPDATE slot SET remaining = remaining - 1 WHERE campaign_id = 'demo' AND clinic_id = 'C000001' AND day = '2024-03-12' AND dose = 1`);
    const rolled = await rollDemoForward(db, new FakeClock('2024-03-13T09:00:00+09:00'));
    expect(rolled).toMatchObject({ lastShotDay: '2024-04-03', daysAdded: 3, clinics: CLINICS });
    const c = await loadCampaign(db, 'demo');
    expect(c).toMatchObject({ firstShotDay: '2024-03-11', lastShotDay: '2024-04-03' });
    expect(c?.windows[0]?.closesAt.toISOString()).toBe('2024-04-10T15:00:00.000Z'); // 11 Apr 00:00 Seoul
    expect(c?.windows[0]?.opensAt.toISOString()).toBe('2024-03-08T15:00:00.000Z'); // kept: it only grows
    expect(await supplyBroken(db)).toBe(0);
    const days = await db.query<{ day: string; n: number }>(
      `SELECT day, count(*)::int AS n FROM slot WHERE dose = 1 AND day > '2024-03-31' GROUP BY day ORDER BY day`,
    );
    expect(days.rows).toEqual([
      { day: '2024-04-01', n: CLINICS },
      { day: '2024-04-02', n: CLINICS },
      { day: '2024-04-03', n: CLINICS },
    ]);
    const dose2 = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM slot WHERE dose = 2 AND day = '2024-04-24'`);
    expect(dose2.rows[0]?.n).toBe(CLINICS); // 3 Apr + 21 days
    const kept = await db.query<{ remaining: number; capacity: number }>(
      `SELECT remaining, capacity FROM slot WHERE clinic_id = 'C000001' AND day = '2024-03-12' AND dose = 1`,
    );
    expect(kept.rows[0]?.remaining).toBe((kept.rows[0]?.capacity ?? 0) - 1); // nothing reseeded
    expect(await rollDemoForward(db, new FakeClock('2024-03-13T11:00:00+09:00'))).toBeNull(); // same day: fresh
  });

  it('months later: three fresh weeks from tomorrow, no slot for the days in between', async () => {
    const rolled = await rollDemoForward(db, new FakeClock('2024-07-01T12:00:00+09:00'));
    expect(rolled).toMatchObject({ lastShotDay: '2024-07-22', daysAdded: 21 });
    const gap = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM slot WHERE dose = 1 AND day > '2024-04-03' AND day < '2024-07-02'`);
    expect(gap.rows[0]?.n).toBe(0);
    expect(await supplyBroken(db)).toBe(0);
  });
});

describe('a demo seeded five weeks ago, rolled forward before the app starts', () => {
  const TODAY = '2024-04-14T10:00:00+09:00';
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      now: TODAY,
      seed: false,
      beforeBuild: async (db) => {
        await seedScenario(db, { scenario: 'demo', clinics: CLINICS, clock: new FakeClock(SEEDED) });
        await rollDemoForward(db, new FakeClock(TODAY));
      },
    });
  });
  afterAll(() => t?.close());

  it('is open and bookable again: dates from tomorrow, and a booking → 201', async () => {
    const campaigns = (await t.app.inject({ method: 'GET', url: '/api/v1/campaigns' })).json() as { id: string; openWindows: unknown[] }[];
    expect(campaigns.find((c) => c.id === 'demo')?.openWindows).toHaveLength(1);
    const dates = (await t.app.inject({ method: 'GET', url: '/api/v1/campaigns/demo/clinics/C000001/dates' })).json() as { date: string; remaining: number }[];
    expect(dates[0]?.date).toBe('2024-04-15');
    expect(dates.at(-1)?.date).toBe('2024-05-05');
    const token = await t.login('900505-1000001');
    const booked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reservations',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'demo-rolled-1' },
      payload: { campaignId: 'demo', clinicId: 'C000001', date: '2024-04-20' },
    });
    expect(booked.statusCode, booked.body).toBe(201);
    expect(booked.json().doses).toEqual([
      { dose: 1, date: '2024-04-20', clinicId: 'C000001' },
      { dose: 2, date: '2024-05-11', clinicId: 'C000001' },
    ]);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('on PostgreSQL: two nodes starting at once', () => {
  let database: TestDatabase;
  const dbs: Db[] = [];
  beforeAll(async () => {
    database = await createTestDatabase('yeyak_test_demo_refresh');
    const first = await openPostgres(database.url);
    dbs.push(first, await openPostgres(database.url));
    await migrate(first);
    await seedScenario(first, { scenario: 'demo', clinics: CLINICS, clock: new FakeClock(SEEDED) });
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await database?.drop();
  });

  it('roll the demo forward once: one adds the days, the other finds it fresh (row lock)', async () => {
    const later = new FakeClock('2024-03-20T09:00:00+09:00');
    const results = await Promise.all(dbs.map((db) => rollDemoForward(db, later)));
    expect(results.filter((r) => r !== null)).toEqual([expect.objectContaining({ lastShotDay: '2024-04-10', daysAdded: 10 })]);
    const first = dbs[0] as Db;
    expect(await supplyBroken(first)).toBe(0);
    const n = await first.query<{ n: number }>(`SELECT count(*)::int AS n FROM slot WHERE dose = 1 AND day > '2024-03-31'`);
    expect(n.rows[0]?.n).toBe(10 * CLINICS);
  });
});
