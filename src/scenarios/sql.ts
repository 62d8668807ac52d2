/**
 * The seeding steps' SQL, in the order they run inside seedScenario's one transaction (and, for
 * staging, supply and slots, in the demo's roll-forward). Bulk rows go in as arrays (`unnest`) or
 * are generated in SQL from small staging tables; there is never one INSERT per row.
 */
import type { Queryable } from '../core/db.ts';
import type { SyntheticClinic } from './clinics.ts';
import { REGIONS } from './regions.ts';

/** A campaign_vaccine_rule row: which vaccine a 시/도 gets on which days (first match by seq). */
export interface VaccineRule {
  seq: number;
  sidoCode: string | null;
  dayFrom: string | null;
  dayTo: string | null;
  vaccineId: string;
}

/** A vaccine row. */
export interface VaccineRow {
  id: string;
  nameKo: string;
  nameEn: string;
  platform: string;
  doses: 1 | 2;
  intervalDays: number | null;
  intervalMinDays: number | null;
  intervalMaxDays: number | null;
}

export async function insertVaccines(tx: Queryable, vaccines: readonly VaccineRow[]): Promise<void> {
  const col = <K extends keyof VaccineRow>(k: K) => vaccines.map((v) => v[k]);
  await tx.query(
    `INSERT INTO vaccine (id, name_ko, name_en, platform, doses, interval_days, interval_min_days, interval_max_days)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::int[], $7::int[], $8::int[])
     ON CONFLICT (id) DO NOTHING`,
    [col('id'), col('nameKo'), col('nameEn'), col('platform'), col('doses'), col('intervalDays'), col('intervalMinDays'), col('intervalMaxDays')],
  );
}

export async function insertRegions(tx: Queryable): Promise<void> {
  // Level-1 rows precede their children in REGIONS, and one statement checks FKs at its end.
  await tx.query(
    `INSERT INTO region (code, parent_code, level, name_ko, name_en)
     SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[], $5::text[])
     ON CONFLICT (code) DO NOTHING`,
    [REGIONS.map((r) => r.code), REGIONS.map((r) => r.parentCode), REGIONS.map((r) => r.level),
      REGIONS.map((r) => r.nameKo), REGIONS.map((r) => r.nameEn)],
  );
}

/** Existing clinics with the same id are kept (a second scenario in the same store shares them). */
export async function insertClinics(tx: Queryable, clinics: SyntheticClinic[]): Promise<void> {
  await tx.query(
    `INSERT INTO clinic (id, name, sido_code, sigungu_code, address, phone)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
     ON CONFLICT (id) DO NOTHING`,
    [clinics.map((c) => c.id), clinics.map((c) => c.name), clinics.map((c) => c.sidoCode),
      clinics.map((c) => c.sigunguCode), clinics.map((c) => c.address), clinics.map((c) => c.phone)],
  );
}

export async function insertRules(tx: Queryable, campaignId: string, rules: VaccineRule[]): Promise<void> {
  await tx.query(
    `INSERT INTO campaign_vaccine_rule (campaign_id, seq, sido_code, day_from, day_to, vaccine_id)
     SELECT $1::text, * FROM unnest($2::int[], $3::text[], $4::date[], $5::date[], $6::text[])`,
    [campaignId, rules.map((r) => r.seq), rules.map((r) => r.sidoCode), rules.map((r) => r.dayFrom),
      rules.map((r) => r.dayTo), rules.map((r) => r.vaccineId)],
  );
}

/**
 * Staging table seed_dose1: one row per clinic × dose-1 day with its dose-2 day, the vaccine of
 * the first matching campaign_vaccine_rule (resolved once per 시/도 × day, then joined) and the
 * Monday week of both doses. Dropped at commit.
 */
export async function stageDose1(
  tx: Queryable,
  campaignId: string,
  clinics: readonly Pick<SyntheticClinic, 'id' | 'capacity'>[],
  days: string[],
  days2: string[],
): Promise<void> {
  await tx.query(`CREATE TEMP TABLE seed_clinic (clinic_id text PRIMARY KEY, capacity int NOT NULL) ON COMMIT DROP`);
  await tx.query(`INSERT INTO seed_clinic SELECT * FROM unnest($1::text[], $2::int[])`, [clinics.map((c) => c.id), clinics.map((c) => c.capacity)]);
  await tx.query(`CREATE TEMP TABLE seed_day (day date PRIMARY KEY, day2 date NOT NULL) ON COMMIT DROP`);
  await tx.query(`INSERT INTO seed_day SELECT * FROM unnest($1::date[], $2::date[])`, [days, days2]);
  await tx.query(
    `CREATE TEMP TABLE seed_vaccine ON COMMIT DROP AS
     SELECT s.code AS sido_code, d.day,
            (SELECT r.vaccine_id FROM campaign_vaccine_rule r
              WHERE r.campaign_id = $1 AND (r.sido_code IS NULL OR r.sido_code = s.code)
                AND (r.day_from IS NULL OR d.day >= r.day_from) AND (r.day_to IS NULL OR d.day <= r.day_to)
              ORDER BY r.seq LIMIT 1) AS vaccine_id
       FROM region s CROSS JOIN seed_day d WHERE s.level = 1`,
    [campaignId],
  );
  const uncovered = await tx.query<{ sido_code: string; day: string }>(`SELECT sido_code, day FROM seed_vaccine WHERE vaccine_id IS NULL LIMIT 1`);
  const gap = uncovered.rows[0];
  if (gap) throw new Error(`campaign ${campaignId}: no vaccine rule covers 시/도 ${gap.sido_code} on ${gap.day}`);
  await tx.query(
    `CREATE TEMP TABLE seed_dose1 ON COMMIT DROP AS
     SELECT sc.clinic_id, d.day, d.day2, v.vaccine_id, sc.capacity,
            date_trunc('week', d.day)::date AS week1, date_trunc('week', d.day2)::date AS week2
       FROM seed_clinic sc
       JOIN clinic c ON c.id = sc.clinic_id
       CROSS JOIN seed_day d
       JOIN seed_vaccine v ON v.sido_code = c.sido_code AND v.day = d.day
      ORDER BY sc.clinic_id, d.day`,
  );
  await tx.query('ANALYZE seed_dose1');
}

/**
 * One supply row per clinic × vaccine × Monday week, backing exactly the slots of that week. A week
 * that already has supply (the demo rolled forward into a week it had begun) gets these doses added.
 * `doses` 1 (a booster): dose 1 only, the staging's day2 is not read.
 */
export async function insertSupply(tx: Queryable, campaignId: string, doses: 1 | 2 = 2): Promise<void> {
  await tx.query(
    `INSERT INTO supply (campaign_id, clinic_id, vaccine_id, week_start, doses)
     SELECT $1::text, clinic_id, vaccine_id, week_start, sum(capacity)
       FROM (SELECT clinic_id, vaccine_id, week1 AS week_start, capacity FROM seed_dose1
             UNION ALL
             SELECT clinic_id, vaccine_id, week2, capacity FROM seed_dose1 WHERE $2::int = 2) w
      GROUP BY clinic_id, vaccine_id, week_start
      ORDER BY clinic_id, week_start, vaccine_id
     ON CONFLICT (campaign_id, clinic_id, vaccine_id, week_start) DO UPDATE SET doses = supply.doses + EXCLUDED.doses`,
    [campaignId, doses],
  );
}

/**
 * Dose-1 slots, then dose-2 slots: each dose-2 slot's capacity is the sum of the dose-1 capacity
 * that maps onto it (same clinic and vaccine), so every dose 1 booked has its dose 2 behind it.
 * The slot trigger adds each statement's capacity to supply.allocated (CHECK allocated <= doses).
 */
export async function insertSlots(tx: Queryable, campaignId: string, doses: 1 | 2 = 2): Promise<void> {
  // One statement for both doses: the statement-level supply trigger then runs once (it costs
  // ~3 s per run on 780k slots); input in key order keeps the unique-index inserts local.
  await tx.query(
    `INSERT INTO slot (campaign_id, clinic_id, day, dose, vaccine_id, supply_id, capacity, remaining)
     SELECT $1::text, clinic_id, day, dose, vaccine_id, supply_id, capacity, capacity
       FROM (SELECT s.clinic_id, s.day, 1 AS dose, s.vaccine_id, p.id AS supply_id, s.capacity
               FROM seed_dose1 s
               JOIN supply p ON p.campaign_id = $1 AND p.clinic_id = s.clinic_id
                            AND p.vaccine_id = s.vaccine_id AND p.week_start = s.week1
             UNION ALL
             SELECT s.clinic_id, s.day2, 2, s.vaccine_id, p.id, sum(s.capacity)::int
               FROM seed_dose1 s
               JOIN supply p ON p.campaign_id = $1 AND p.clinic_id = s.clinic_id
                            AND p.vaccine_id = s.vaccine_id AND p.week_start = s.week2
              WHERE $2::int = 2
              GROUP BY s.clinic_id, s.day2, s.vaccine_id, p.id) x
      ORDER BY clinic_id, day, dose, vaccine_id`,
    [campaignId, doses],
  );
}
