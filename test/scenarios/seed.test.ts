import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { generateClinics } from '../../src/scenarios/clinics.ts';
import { isStoreEmpty, seedScenario, type SeedSummary } from '../../src/scenarios/seed.ts';
import { REGIONS, SIDO, SIGUNGU } from '../../src/scenarios/regions.ts';
import { loadCampaign, loadCampaigns } from '../../src/campaigns/store.ts';
import { korea202108Campaign } from '../../src/rules/korea-2021-08.ts';
import { dose2Day } from '../../src/rules/dose-dates.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { openEmptyPglite } from '../helpers/pglite-copies.ts';

// 00:30 in Seoul is still the previous day in UTC: the demo's days must follow Seoul.
const DEMO_NOW = '2024-03-10T00:30:00+09:00';
const KOREA_CLINICS = 200;

async function freshPglite(): Promise<Db> {
  const db = await openEmptyPglite();
  await migrate(db);
  return db;
}

async function clinicRows(db: Db) {
  return (await db.query('SELECT id, name, sido_code, sigungu_code, address, phone FROM clinic ORDER BY id')).rows;
}

async function slotCapacities(db: Db) {
  return (await db.query('SELECT clinic_id, day, dose, vaccine_id, capacity FROM slot ORDER BY clinic_id, day, dose, vaccine_id')).rows;
}

describe('regions', () => {
  it('lists the 17 시/도 and every 시/군/구 once, each code under its parent', () => {
    expect(SIDO).toHaveLength(17);
    expect(SIGUNGU.length).toBeGreaterThanOrEqual(245);
    expect(new Set(REGIONS.map((r) => r.code)).size).toBe(REGIONS.length);
    for (const g of SIGUNGU) {
      expect(g.code).toMatch(/^\d{5}$/);
      expect(SIDO.some((s) => s.code === g.code.slice(0, 2))).toBe(true);
    }
    expect(SIDO.find((s) => s.code === '36')?.nameKo).toBe('세종특별자치시');
    expect(SIGUNGU.find((g) => g.code === '11110')?.nameKo).toBe('종로구');
  });
});

describe('seed on PGlite: demo', () => {
  let db: Db;
  let summary: SeedSummary;
  beforeAll(async () => {
    db = await freshPglite();
    expect(await isStoreEmpty(db)).toBe(true);
    const calls: string[] = [];
    const onProgress = (step: string, done: number, total: number) => calls.push(`${step} ${done}/${total}`);
    summary = await seedScenario(db, { scenario: 'demo', clock: new FakeClock(DEMO_NOW), onProgress });
    const clinicDays = 300 * 21;
    expect(calls).toEqual([
      `regions 0/${REGIONS.length}`, `regions ${REGIONS.length}/${REGIONS.length}`, 'clinics 0/300', 'clinics 300/300',
      `supply 0/${clinicDays}`, `supply ${clinicDays}/${clinicDays}`, `slots 0/${2 * clinicDays}`, `slots ${2 * clinicDays}/${2 * clinicDays}`,
    ]);
  });
  afterAll(() => db.close());

  it('stores a bookable demo campaign starting tomorrow in Seoul', async () => {
    expect(await isStoreEmpty(db)).toBe(false);
    expect(summary).toMatchObject({ scenario: 'demo', campaignId: 'demo', clinics: 300, regions: REGIONS.length });
    const c = await loadCampaign(db, 'demo');
    expect(c).toMatchObject({ firstShotDay: '2024-03-11', lastShotDay: '2024-03-31', proxyAllowed: true, queueEnabled: false, doses: 2 });
    expect(c?.windows).toHaveLength(1);
    expect(c?.windows[0]?.opensAt.toISOString()).toBe('2024-03-08T15:00:00.000Z'); // 9 Mar 00:00 Seoul
    expect(c?.windows[0]?.closesAt.toISOString()).toBe('2024-04-07T15:00:00.000Z');
    expect(await loadCampaign(db, 'nope')).toBeNull();
  });

  it('gives every clinic-day 20–60 first doses and a dose 2 behind each', async () => {
    const r = await db.query<{ min: number; max: number; n: number; d2: number }>(
      `SELECT min(capacity) AS min, max(capacity) AS max, count(*) FILTER (WHERE dose = 1)::int AS n,
              count(*) FILTER (WHERE dose = 2)::int AS d2 FROM slot`,
    );
    expect(r.rows[0]).toMatchObject({ n: 300 * 21, d2: 300 * 21 });
    expect(r.rows[0]?.min).toBeGreaterThanOrEqual(20);
    const dose1 = await db.query<{ max: number }>(`SELECT max(capacity) AS max FROM slot WHERE dose = 1`);
    expect(dose1.rows[0]?.max).toBeLessThanOrEqual(60);
    expect(summary.slots).toBe(300 * 21 * 2);
  });

  it('refuses to seed the same campaign twice and names unknown scenarios', async () => {
    await expect(seedScenario(db, { scenario: 'demo', clock: new FakeClock(DEMO_NOW) })).rejects.toThrow(/already exists/);
    await expect(seedScenario(db, { scenario: 'nope' as 'demo', clock: new FakeClock(DEMO_NOW) })).rejects.toThrow(/unknown scenario "nope"/);
    expect((await db.query('SELECT count(*)::int AS n FROM campaign')).rows[0]).toEqual({ n: 1 });
  });
});

describe('seed determinism', () => {
  it('same seed → identical clinics and capacities; another seed → different', async () => {
    const dbs = await Promise.all([freshPglite(), freshPglite(), freshPglite()]);
    try {
      const [a, b, c] = dbs as [Db, Db, Db];
      const clock = new FakeClock(DEMO_NOW);
      await seedScenario(a, { scenario: 'demo', seed: 42, clinics: 60, clock });
      await seedScenario(b, { scenario: 'demo', seed: 42, clinics: 60, clock });
      await seedScenario(c, { scenario: 'demo', seed: 43, clinics: 60, clock });
      expect(await clinicRows(b)).toEqual(await clinicRows(a));
      expect(await slotCapacities(b)).toEqual(await slotCapacities(a));
      expect(await clinicRows(c)).not.toEqual(await clinicRows(a));
      expect(await slotCapacities(c)).not.toEqual(await slotCapacities(a));
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
    }
  });

  it('clinic i does not depend on the total, so scenarios seeded into one store agree', () => {
    const few = generateClinics(9, 200, () => 1);
    const many = generateClinics(9, 1000, () => 1);
    expect(many.slice(0, 200)).toEqual(few);
    expect(new Set(many.map((c) => c.name)).size).toBe(many.length);
    expect(new Set(many.slice(0, SIGUNGU.length).map((c) => c.sigunguCode)).size).toBe(SIGUNGU.length);
  });
});

/** The korea-2021-08 invariants, on whichever engine `getDb` answers. */
function koreaChecks(getDb: () => Db) {
  const campaign = korea202108Campaign();

  it('puts clinics in every 시/도, each in a 시/군/구 of its 시/도', async () => {
    const r = await getDb().query<{ sido: number; bad: number; n: number }>(
      `SELECT count(DISTINCT c.sido_code)::int AS sido, count(*)::int AS n,
              count(*) FILTER (WHERE g.parent_code IS DISTINCT FROM c.sido_code)::int AS bad
         FROM clinic c LEFT JOIN region g ON g.code = c.sigungu_code`,
    );
    expect(r.rows[0]).toEqual({ sido: 17, n: KOREA_CLINICS, bad: 0 });
  });

  it('stores every region once with unique codes', async () => {
    const r = await getDb().query<{ n: number; codes: number; l1: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT code)::int AS codes, count(*) FILTER (WHERE level = 1)::int AS l1 FROM region`,
    );
    expect(r.rows[0]).toEqual({ n: REGIONS.length, codes: REGIONS.length, l1: 17 });
  });

  it('round-trips the campaign through the store', async () => {
    expect(await loadCampaign(getDb(), campaign.id)).toEqual(campaign);
    expect((await loadCampaigns(getDb())).map((c) => c.id)).toEqual([campaign.id]);
  });

  it('backs every dose-1 slot with a dose-2 slot whose capacity is the dose-1 capacity mapping onto it', async () => {
    const slots = await getDb().query<{ clinic_id: string; day: string; dose: number; vaccine_id: string; capacity: number }>(
      `SELECT clinic_id, day, dose, vaccine_id, capacity FROM slot WHERE campaign_id = $1`,
      [campaign.id],
    );
    const expected = new Map<string, number>();
    const actual = new Map<string, number>();
    let dose1Count = 0;
    for (const s of slots.rows) {
      if (s.dose === 1) {
        dose1Count++;
        const day2 = dose2Day(s.day, campaign.dose2IntervalDays ?? 0, campaign.blackoutDays, campaign.blackoutShiftDays);
        const key = `${s.clinic_id}|${day2}|${s.vaccine_id}`;
        expected.set(key, (expected.get(key) ?? 0) + s.capacity);
      } else {
        actual.set(`${s.clinic_id}|${s.day}|${s.vaccine_id}`, s.capacity);
      }
    }
    expect(dose1Count).toBeGreaterThan(KOREA_CLINICS * 25);
    expect(actual).toEqual(expected);
  });

  it('offers no dose 2 on a blackout day and no dose 1 on a blackout day or a Sunday', async () => {
    const r = await getDb().query<{ dose2: number; dose1: number }>(
      `SELECT count(*) FILTER (WHERE s.dose = 2 AND b.day IS NOT NULL)::int AS dose2,
              count(*) FILTER (WHERE s.dose = 1 AND (b.day IS NOT NULL OR extract(isodow FROM s.day) = 7))::int AS dose1
         FROM slot s LEFT JOIN campaign_blackout b ON b.campaign_id = s.campaign_id AND b.day = s.day`,
    );
    expect(r.rows[0]).toEqual({ dose2: 0, dose1: 0 });
  });

  it('backs every slot with supply: allocated == doses == the capacity of its slots, within its week', async () => {
    const r = await getDb().query<{ supplies: number; bad: number; wrong_week: number }>(
      `SELECT (SELECT count(*)::int FROM supply) AS supplies,
              (SELECT count(*)::int FROM supply p
                 LEFT JOIN (SELECT supply_id, sum(capacity) AS total FROM slot GROUP BY supply_id) t ON t.supply_id = p.id
                WHERE p.allocated <> p.doses OR p.doses <> coalesce(t.total, 0)) AS bad,
              (SELECT count(*)::int FROM slot s JOIN supply p ON p.id = s.supply_id
                WHERE p.week_start <> date_trunc('week', s.day)::date OR p.clinic_id <> s.clinic_id
                   OR p.vaccine_id <> s.vaccine_id) AS wrong_week`,
    );
    expect(r.rows[0]?.supplies).toBeGreaterThan(0);
    expect(r.rows[0]).toMatchObject({ bad: 0, wrong_week: 0 });
  });

  it('gives Pfizer to the capital region and Moderna elsewhere in the first two weeks, then Pfizer', async () => {
    const r = await getDb().query<{ sido: string; early: string[]; late: string[] }>(
      `SELECT c.sido_code AS sido,
              array_agg(DISTINCT s.vaccine_id) FILTER (WHERE s.day <= '2021-09-08') AS early,
              array_agg(DISTINCT s.vaccine_id) FILTER (WHERE s.day > '2021-09-08') AS late
         FROM slot s JOIN clinic c ON c.id = s.clinic_id WHERE s.dose = 1 GROUP BY c.sido_code ORDER BY 1`,
    );
    expect(r.rows).toHaveLength(17);
    for (const row of r.rows) {
      expect(row.early).toEqual([['11', '28', '41'].includes(row.sido) ? 'pfizer' : 'moderna']);
      expect(row.late).toEqual(['pfizer']);
    }
  });

  it('sizes dose-1 capacity to the 16.2M cohort plus 5 %', async () => {
    const r = await getDb().query<{ total: number }>(`SELECT sum(capacity)::int8 AS total FROM slot WHERE dose = 1`);
    const total = Number(r.rows[0]?.total);
    expect(total).toBeGreaterThan(16_200_000 * 1.05 * 0.97);
    expect(total).toBeLessThan(16_200_000 * 1.05 * 1.03);
  });
}

describe('seed on PGlite: korea-2021-08', () => {
  let db: Db;
  beforeAll(async () => {
    db = await freshPglite();
    const summary = await seedScenario(db, { scenario: 'korea-2021-08', clinics: KOREA_CLINICS, clock: new FakeClock(DEMO_NOW) });
    expect(summary).toMatchObject({ campaignId: 'korea-2021-08', clinics: KOREA_CLINICS });
  });
  afterAll(() => db.close());
  koreaChecks(() => db);
});

describe.skipIf(!process.env.DATABASE_URL)('seed on PostgreSQL: korea-2021-08', () => {
  let database: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase('yeyak_test_seed');
    db = await openPostgres(database.url);
    await migrate(db);
    expect(await isStoreEmpty(db)).toBe(true);
    await seedScenario(db, { scenario: 'korea-2021-08', clinics: KOREA_CLINICS, clock: new FakeClock(DEMO_NOW) });
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });
  koreaChecks(() => db);
});
