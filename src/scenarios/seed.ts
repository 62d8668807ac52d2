/**
 * Scenario seeding: vaccines, regions, synthetic clinics, one campaign with its vaccine rules,
 * supply and slots, all in one transaction. Deterministic for a given seed (the synthetic clinics:
 * clinics.ts; the SQL of each step: sql.ts).
 *
 * Bulk rows go in as arrays (`unnest`) or are generated in SQL from small staging tables; there is
 * never one INSERT per row. Most of the time goes to the per-row foreign-key checks of the slot
 * INSERT (4 per row) that the schema requires; feeding it rows in unique-key order matters
 * (korea, 13,000 clinics, 780k slots on PostgreSQL 15: ~33 s sorted, ~50 s unsorted).
 */
import type { Db, Queryable } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import type { KnownScenario } from '../core/config-table.ts';
import type { Campaign } from '../rules/campaign.ts';
import { insertCampaign } from '../campaigns/store.ts';
import { korea202108Campaign, KOREA_2021_08_ID } from '../rules/korea-2021-08.ts';
import { BOOSTER_2021_12_ID } from '../rules/booster-2021-12.ts';
import { BOOSTER_CLINICS_DEFAULT, seedBooster } from './booster.ts';
import { addDays, daysBetween, localDay, zonedInstant } from '../rules/time.ts';
import { dose2Day } from '../rules/dose-dates.ts';
import { REGIONS } from './regions.ts';
import { generateClinics } from './clinics.ts';
import { insertClinics, insertRegions, insertRules, insertSlots, insertSupply, insertVaccines, stageDose1, type VaccineRow, type VaccineRule } from './sql.ts';

export const SCENARIOS = ['demo', 'korea-2021-08', 'booster-2021-12'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
// Configuration refuses at boot a scenario it does not know (core/config-table.ts): the two lists
// must agree both ways, or this line does not compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const scenariosMatchConfig: Same<ScenarioName, KnownScenario> = true;

export interface SeedOptions {
  scenario: ScenarioName;
  /** PRNG seed (uint32); default DEFAULT_SEED. */
  seed?: number;
  /** Number of clinics; default 13,000 (korea) or 300 (demo). */
  clinics?: number;
  clock: Clock;
  /**
   * Progress within each step of SEED_STEPS, in rows: called with done = 0 when the step starts and
   * done = total when it ends (each step is one bulk statement, so there is nothing in between).
   */
  onProgress?: (step: SeedStep, done: number, total: number) => void;
  /** The node's RRN key (YEYAK_RRN_SECRET): booster-2021-12 seeds people, who must be found again when they verify. */
  rrnSecret?: string;
}

export interface SeedSummary {
  scenario: ScenarioName;
  campaignId: string;
  clinics: number;
  slots: number;
  dose1Capacity: number;
  regions: number;
  /** booster-2021-12: the campaigns this run seeded (korea-2021-08 too when it was absent). */
  seeded?: string[];
  /** booster-2021-12: korea-2021-08 reservations seeded as given, and vaccination records. */
  earlierDosesGiven?: number;
  vaccinationRecords?: number;
}

/** The CLI's default too, so `serve` (demo) and `seed` (korea) agree on the clinics they share. */
export const DEFAULT_SEED = 1;
export const CLINICS_MAX = 100_000; // ids are 'C' + 6 digits; 100k clinics ≈ 6M slot rows
const SEED_WORK_MEM = '128MB'; // per sort/hash node: the staging joins and aggregates stay in memory
export const SEED_STEPS = ['regions', 'clinics', 'supply', 'slots'] as const;
export type SeedStep = (typeof SEED_STEPS)[number];

/** The August 2021 cohort (16.2M) plus 5 % headroom, split over every clinic and dose-1 day. */
const KOREA_DOSE1_CAPACITY_TOTAL = Math.round(16_200_000 * 1.05);
const KOREA_CLINIC_JITTER = 0.2; // ±20 % per clinic
const DEMO_CAPACITY_MIN = 20;
const DEMO_CAPACITY_MAX = 60;
/** Capital region (서울, 인천, 경기): Pfizer in the first two weeks while the rest got Moderna. */
const CAPITAL_SIDO = ['11', '28', '41'];

export interface ScenarioPlan {
  campaign: Campaign;
  defaultClinics: number;
  blackoutLabels: Record<string, string>;
  rules: VaccineRule[];
  /** Dose-1 days are every day in firstShotDay..lastShotDay except these. */
  skipDose1Day: (day: string) => boolean;
  /** Dose-1 capacity per clinic-day from the clinic's PRNG draw u ∈ [0, 1) and the day count. */
  capacityOf: (u: number, clinics: number, dose1Days: number) => number;
}

export const VACCINES: readonly VaccineRow[] = [
  { id: 'pfizer', nameKo: '화이자', nameEn: 'Pfizer-BioNTech', platform: 'mRNA', doses: 2, intervalDays: 21, intervalMinDays: 21, intervalMaxDays: 42 },
  { id: 'moderna', nameKo: '모더나', nameEn: 'Moderna', platform: 'mRNA', doses: 2, intervalDays: 28, intervalMinDays: 28, intervalMaxDays: 42 },
  { id: 'astrazeneca', nameKo: '아스트라제네카', nameEn: 'AstraZeneca', platform: 'viral vector', doses: 2, intervalDays: 77, intervalMinDays: 56, intervalMaxDays: 84 },
  { id: 'janssen', nameKo: '얀센', nameEn: 'Janssen', platform: 'viral vector', doses: 1, intervalDays: null, intervalMinDays: null, intervalMaxDays: null },
];

function isSunday(day: string): boolean {
  return new Date(`${day}T00:00:00Z`).getUTCDay() === 0;
}

function koreaPlan(): ScenarioPlan {
  const campaign = korea202108Campaign();
  const capitalUntil = addDays(campaign.firstShotDay, 13);
  const blackout = new Set(campaign.blackoutDays);
  return {
    campaign,
    defaultClinics: 13_000,
    blackoutLabels: Object.fromEntries(campaign.blackoutDays.map((d) => [d, '추석 연휴 (Chuseok)'])),
    rules: [
      ...CAPITAL_SIDO.map((sido, i) => ({ seq: i + 1, sidoCode: sido, dayFrom: campaign.firstShotDay, dayTo: capitalUntil, vaccineId: 'pfizer' })),
      { seq: 10, sidoCode: null, dayFrom: campaign.firstShotDay, dayTo: capitalUntil, vaccineId: 'moderna' },
      { seq: 20, sidoCode: null, dayFrom: null, dayTo: null, vaccineId: 'pfizer' },
    ],
    skipDose1Day: (day) => blackout.has(day) || isSunday(day),
    capacityOf: (u, clinics, days) => {
      const base = KOREA_DOSE1_CAPACITY_TOTAL / (clinics * days);
      return Math.max(1, Math.round(base * (1 - KOREA_CLINIC_JITTER + 2 * KOREA_CLINIC_JITTER * u)));
    },
  };
}

/** The demo is relative to today (Seoul): open since yesterday, shots from tomorrow for 3 weeks. */
export function demoPlan(clock: Clock): ScenarioPlan {
  const tz = 'Asia/Seoul';
  const today = localDay(clock.now(), tz);
  const campaign: Campaign = {
    id: 'demo',
    nameKo: '데모 접종 예약',
    nameEn: 'Demo vaccination booking',
    timeZone: tz,
    birthFrom: '1940-01-01',
    birthTo: '2005-12-31',
    rosterRequired: false,
    proxyAllowed: true,
    doses: 2,
    dose2IntervalDays: 21,
    changeFreezeDays: 1,
    cancelUntilDays: 1,
    blackoutShiftDays: -1,
    firstShotDay: addDays(today, 1),
    lastShotDay: addDays(today, 21),
    queueEnabled: false,
    queue: { ratePerS: 50, activeMax: 500, shuffleAtOpening: false, powBits: 0 },
    queueOrder: 'queue-first',
    noticeKo: null,
    noticeEn: null,
    windows: [
      {
        seq: 1,
        labelKo: '전체 대상자',
        labelEn: 'Everyone eligible',
        opensAt: zonedInstant(addDays(today, -1), '00:00', tz),
        closesAt: zonedInstant(addDays(today, 29), '00:00', tz),
        birthDayDigits: null,
        birthYearFrom: null,
        birthYearTo: null,
      },
    ],
    blackoutDays: [],
  };
  return {
    campaign,
    defaultClinics: 300,
    blackoutLabels: {},
    rules: [{ seq: 1, sidoCode: null, dayFrom: null, dayTo: null, vaccineId: 'pfizer' }],
    skipDose1Day: () => false,
    capacityOf: (u) => DEMO_CAPACITY_MIN + Math.floor(u * (DEMO_CAPACITY_MAX - DEMO_CAPACITY_MIN + 1)),
  };
}

function planFor(scenario: string, clock: Clock): ScenarioPlan {
  if (scenario === 'demo') return demoPlan(clock);
  if (scenario === 'korea-2021-08') return koreaPlan();
  throw new Error(`unknown scenario ${JSON.stringify(scenario)}; known: ${SCENARIOS.join(', ')}`);
}

/** True when no campaign has been stored yet (a fresh store to seed). */
export async function isStoreEmpty(db: Queryable): Promise<boolean> {
  const r = await db.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM campaign) AS empty');
  return r.rows[0]?.empty === true;
}

export async function seedScenario(db: Db, opts: SeedOptions): Promise<SeedSummary> {
  if (opts.scenario === 'booster-2021-12') return seedBoosterScenario(db, opts);
  const plan = planFor(opts.scenario, opts.clock);
  const seed = opts.seed ?? DEFAULT_SEED;
  const clinicCount = opts.clinics ?? plan.defaultClinics;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(clinicCount) || clinicCount < 1 || clinicCount > CLINICS_MAX) {
    throw new RangeError(`clinics must be an integer in 1..${CLINICS_MAX}, got ${clinicCount}`);
  }
  const c = plan.campaign;
  if (c.doses !== 2 || c.dose2IntervalDays === null) throw new Error(`scenario ${c.id}: only 2-dose campaigns are seeded`);
  const dose1Days = dose1DaysOf(plan);
  const dose2Days = dose1Days.map((d) => dose2Day(d, c.dose2IntervalDays ?? 0, c.blackoutDays, c.blackoutShiftDays));
  assertIntervalsAllowed(plan, dose1Days, dose2Days);
  const clinics = generateClinics(seed, clinicCount, (u) => plan.capacityOf(u, clinicCount, dose1Days.length));

  const progress = (step: SeedStep, done: number, total: number) => opts.onProgress?.(step, done, total);
  const clinicDays = clinics.length * dose1Days.length;

  return db.transaction(async (tx) => {
    // The pool's statement timeout guards the booking path; bulk seeding statements run longer.
    await tx.query('SET LOCAL statement_timeout = 0');
    await tx.query(`SET LOCAL work_mem = '${SEED_WORK_MEM}'`);
    const exists = await tx.query('SELECT 1 FROM campaign WHERE id = $1', [c.id]);
    if (exists.rows.length > 0) throw new Error(`campaign ${c.id} already exists in this store; seed into an empty store`);
    progress('regions', 0, REGIONS.length);
    await insertVaccines(tx, VACCINES);
    await insertRegions(tx);
    progress('regions', REGIONS.length, REGIONS.length);
    progress('clinics', 0, clinics.length);
    await insertClinics(tx, clinics);
    await insertCampaign(tx, c, { blackoutLabels: plan.blackoutLabels });
    await insertRules(tx, c.id, plan.rules);
    progress('clinics', clinics.length, clinics.length);
    progress('supply', 0, clinicDays);
    await stageDose1(tx, c.id, clinics, dose1Days, dose2Days);
    await insertSupply(tx, c.id);
    progress('supply', clinicDays, clinicDays);
    progress('slots', 0, 2 * clinicDays);
    await insertSlots(tx, c.id);
    const totals = await tx.query<{ slots: number; dose1: number }>(
      `SELECT count(*)::int AS slots, coalesce(sum(capacity) FILTER (WHERE dose = 1), 0)::int8 AS dose1
         FROM slot WHERE campaign_id = $1`,
      [c.id],
    );
    const t = totals.rows[0];
    progress('slots', t?.slots ?? 0, t?.slots ?? 0);
    return {
      scenario: opts.scenario,
      campaignId: c.id,
      clinics: clinics.length,
      slots: t?.slots ?? 0,
      dose1Capacity: Number(t?.dose1 ?? 0),
      regions: REGIONS.length,
    };
  });
}

export function dose1DaysOf(plan: ScenarioPlan): string[] {
  const { firstShotDay, lastShotDay } = plan.campaign;
  const days: string[] = [];
  const span = daysBetween(firstShotDay, lastShotDay);
  for (let i = 0; i <= span; i++) {
    const day = addDays(firstShotDay, i);
    if (!plan.skipDose1Day(day)) days.push(day);
  }
  if (days.length === 0) throw new Error(`scenario ${plan.campaign.id}: no dose-1 day between ${firstShotDay} and ${lastShotDay}`);
  return days;
}

/** Every vaccine a rule can give must allow the campaign's dose-2 offsets (after blackout shifts). */
function assertIntervalsAllowed(plan: ScenarioPlan, dose1Days: string[], dose2Days: string[]): void {
  for (const rule of plan.rules) {
    const v = VACCINES.find((x) => x.id === rule.vaccineId);
    if (!v || v.doses !== 2 || v.intervalMinDays === null || v.intervalMaxDays === null) {
      throw new Error(`rule ${rule.seq}: vaccine ${rule.vaccineId} is not a known 2-dose vaccine`);
    }
    dose1Days.forEach((d1, i) => {
      const gap = daysBetween(d1, dose2Days[i] ?? d1);
      if (gap < (v.intervalMinDays ?? 0) || gap > (v.intervalMaxDays ?? 0)) {
        throw new Error(`dose 2 ${gap} days after ${d1} is outside ${v.id}'s ${v.intervalMinDays}–${v.intervalMaxDays} days`);
      }
    });
  }
}

/**
 * booster-2021-12 is seeded from korea-2021-08's bookings as if given, so it needs korea-2021-08
 * in the same store: seeded first (same seed and clinics) when absent, in its own transaction.
 */
async function seedBoosterScenario(db: Db, opts: SeedOptions): Promise<SeedSummary> {
  if (!opts.rrnSecret) throw new Error(`scenario ${BOOSTER_2021_12_ID} seeds people: it needs the node's RRN key (rrnSecret)`);
  const rrnSecret = opts.rrnSecret;
  const seed = opts.seed ?? DEFAULT_SEED;
  const seeded: string[] = [];
  const held = await db.query('SELECT 1 FROM campaign WHERE id = $1', [KOREA_2021_08_ID]);
  if (held.rows.length === 0) {
    await seedScenario(db, { ...opts, scenario: 'korea-2021-08' });
    seeded.push(KOREA_2021_08_ID);
  }
  const clinics = opts.clinics ?? BOOSTER_CLINICS_DEFAULT;
  if (!Number.isInteger(clinics) || clinics < 1 || clinics > CLINICS_MAX) throw new RangeError(`clinics must be an integer in 1..${CLINICS_MAX}, got ${clinics}`);
  const b = await db.transaction(async (tx) => {
    await tx.query('SET LOCAL statement_timeout = 0');
    await tx.query(`SET LOCAL work_mem = '${SEED_WORK_MEM}'`);
    return seedBooster(tx, { seed, clinics, rrnSecret });
  });
  seeded.push(BOOSTER_2021_12_ID);
  return {
    scenario: opts.scenario,
    campaignId: BOOSTER_2021_12_ID,
    clinics: b.clinics,
    slots: b.slots,
    dose1Capacity: b.dose1Capacity,
    regions: REGIONS.length,
    seeded,
    earlierDosesGiven: b.earlierDosesGiven,
    vaccinationRecords: b.vaccinationRecords,
  };
}
