/**
 * (~520 lines, one concept: the steps of one seeding transaction, in the order they run; the
 * regions table and the campaign definitions already live in files of their own.)
 *
 * Scenario seeding: vaccines, regions, synthetic clinics, one campaign with its vaccine rules,
 * supply and slots, all in one transaction. Deterministic for a given seed: clinic i is drawn from
 * its own PRNG stream (seed, i), so the first N clinics are the same whatever the total — the demo's
 * 300 clinics are the korea scenario's first 300 for the same seed, and seeding both into one store
 * agrees on them.
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
import { korea202108Campaign } from '../rules/korea-2021-08.ts';
import { addDays, daysBetween, localDay, zonedInstant } from '../rules/time.ts';
import { dose2Day } from '../rules/dose-dates.ts';
import { REGIONS, SIDO, SIGUNGU, sidoByCode } from './regions.ts';
import type { Sigungu } from './regions.ts';

export const SCENARIOS = ['demo', 'korea-2021-08'] as const;
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
}

export interface SeedSummary {
  scenario: ScenarioName;
  campaignId: string;
  clinics: number;
  slots: number;
  dose1Capacity: number;
  regions: number;
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

interface VaccineRule {
  seq: number;
  sidoCode: string | null;
  dayFrom: string | null;
  dayTo: string | null;
  vaccineId: string;
}

interface VaccineRow {
  id: string;
  nameKo: string;
  nameEn: string;
  platform: string;
  doses: 1 | 2;
  intervalDays: number | null;
  intervalMinDays: number | null;
  intervalMaxDays: number | null;
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
    await insertVaccines(tx);
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

// ---------------------------------------------------------------------------------------------
// Synthetic clinics

export interface SyntheticClinic {
  id: string;
  name: string;
  sidoCode: string;
  sigunguCode: string;
  address: string;
  phone: string;
  /** Dose-1 capacity per clinic-day. */
  capacity: number;
}

/** mulberry32: a tiny, well-mixed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One independent stream per (seed, index): murmur3's finaliser over both. */
function streamSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const NAME_WORDS = [
  '튼튼', '바른', '연세', '서울', '행복', '하나', '새봄', '우리', '미래', '사랑', '365', '참좋은', '건강한', '푸른',
  '밝은', '제일', '중앙', '한빛', '늘푸른', '다정', '온누리', '으뜸', '열린', '봄날', '믿음', '새롬', '좋은', '든든',
  '해맑은', '소망', '한마음', '이음', '가온', '미소', '새싹', '초록', '정성', '다온', '고운', '편한',
];
const NAME_KINDS = [
  '내과의원', '가정의학과의원', '소아청소년과의원', '이비인후과의원', '정형외과의원', '의원', '내과', '병원',
  '연합의원', '365의원', '재활의학과의원', '외과의원',
];
const ROAD_WORDS = [
  '중앙', '시장', '문화', '새말', '은행', '학교', '공원', '역전', '동산', '청석', '버들', '솔밭', '한내', '매봉',
  '느티', '장터', '샘터', '큰길', '강변', '신촌',
];
const COVER_ORDER: readonly Sigungu[] = coverOrder();
const SIGUNGU_WEIGHT_GUN = 0.35; // a 군 has far fewer people than a 구 or 시

/** Clinics 0..249 cover every 시/군/구, each 시/도 first; the rest follow population. */
function coverOrder(): Sigungu[] {
  const firsts = SIDO.map((s) => SIGUNGU.find((g) => g.sidoCode === s.code)).filter((g): g is Sigungu => !!g);
  return [...firsts, ...SIGUNGU.filter((g) => !firsts.includes(g))];
}

const SIDO_WEIGHTS = SIDO.map((s) => s.populationM);
const SIGUNGU_BY_SIDO = new Map(SIDO.map((s) => [s.code, SIGUNGU.filter((g) => g.sidoCode === s.code)]));

function pickWeighted<T>(items: readonly T[], weights: readonly number[], u: number): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = u * total;
  for (let i = 0; i < items.length; i++) {
    x -= weights[i] ?? 0;
    if (x < 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

function pick<T>(items: readonly T[], u: number): T {
  return items[Math.floor(u * items.length)] as T;
}

function sigunguForClinic(index: number, rand: () => number): Sigungu {
  const covering = COVER_ORDER[index];
  if (covering) return covering;
  const sido = pickWeighted(SIDO, SIDO_WEIGHTS, rand());
  const list = SIGUNGU_BY_SIDO.get(sido.code) ?? [];
  return pickWeighted(list, list.map((g) => (g.nameKo.endsWith('군') ? SIGUNGU_WEIGHT_GUN : 1)), rand());
}

/** '종로구' → '종로', '수원시 장안구' → '수원장안', '중구' stays (too short to strip). */
function shortSigungu(nameKo: string): string {
  const strip = (s: string) => (s.length > 2 ? s.slice(0, -1) : s);
  return nameKo.split(' ').map(strip).join('');
}

export function generateClinics(seed: number, count: number, capacityOf: (u: number) => number): SyntheticClinic[] {
  const out: SyntheticClinic[] = [];
  const namesSeen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const rand = mulberry32(streamSeed(seed, i));
    const capacity = capacityOf(rand()); // first draw: capacity, so it never depends on the rest
    const g = sigunguForClinic(i, rand);
    const sido = sidoByCode(g.sidoCode);
    const area = shortSigungu(g.nameKo) === sido.shortKo ? sido.shortKo : sido.shortKo + shortSigungu(g.nameKo);
    let name = '';
    for (let attempt = 0; attempt < 8 && (name === '' || namesSeen.has(name)); attempt++) {
      name = `${area} ${pick(NAME_WORDS, rand())}${pick(NAME_KINDS, rand())}`;
    }
    if (namesSeen.has(name)) name = `${name} ${i + 1}`;
    namesSeen.add(name);
    const road = `${pick(ROAD_WORDS, rand())}${rand() < 0.5 ? '로' : '길'} ${1 + Math.floor(rand() * 300)}`;
    // Subscriber numbers in Korea never begin with 0, so these name no real line.
    const phone = `${sido.areaCode}-0${String(Math.floor(rand() * 1000)).padStart(3, '0')}-${String(Math.floor(rand() * 10000)).padStart(4, '0')}`;
    out.push({
      id: `C${String(i + 1).padStart(6, '0')}`,
      name,
      sidoCode: g.sidoCode,
      sigunguCode: g.code,
      address: `${sido.nameKo} ${g.nameKo} ${road}, ${2 + Math.floor(rand() * 4)}층`,
      phone,
      capacity,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SQL steps

async function insertVaccines(tx: Queryable): Promise<void> {
  const col = <K extends keyof VaccineRow>(k: K) => VACCINES.map((v) => v[k]);
  await tx.query(
    `INSERT INTO vaccine (id, name_ko, name_en, platform, doses, interval_days, interval_min_days, interval_max_days)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::int[], $7::int[], $8::int[])
     ON CONFLICT (id) DO NOTHING`,
    [col('id'), col('nameKo'), col('nameEn'), col('platform'), col('doses'), col('intervalDays'), col('intervalMinDays'), col('intervalMaxDays')],
  );
}

async function insertRegions(tx: Queryable): Promise<void> {
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
async function insertClinics(tx: Queryable, clinics: SyntheticClinic[]): Promise<void> {
  await tx.query(
    `INSERT INTO clinic (id, name, sido_code, sigungu_code, address, phone)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
     ON CONFLICT (id) DO NOTHING`,
    [clinics.map((c) => c.id), clinics.map((c) => c.name), clinics.map((c) => c.sidoCode),
      clinics.map((c) => c.sigunguCode), clinics.map((c) => c.address), clinics.map((c) => c.phone)],
  );
}

async function insertRules(tx: Queryable, campaignId: string, rules: VaccineRule[]): Promise<void> {
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
 */
export async function insertSupply(tx: Queryable, campaignId: string): Promise<void> {
  await tx.query(
    `INSERT INTO supply (campaign_id, clinic_id, vaccine_id, week_start, doses)
     SELECT $1::text, clinic_id, vaccine_id, week_start, sum(capacity)
       FROM (SELECT clinic_id, vaccine_id, week1 AS week_start, capacity FROM seed_dose1
             UNION ALL
             SELECT clinic_id, vaccine_id, week2, capacity FROM seed_dose1) w
      GROUP BY clinic_id, vaccine_id, week_start
      ORDER BY clinic_id, week_start, vaccine_id
     ON CONFLICT (campaign_id, clinic_id, vaccine_id, week_start) DO UPDATE SET doses = supply.doses + EXCLUDED.doses`,
    [campaignId],
  );
}

/**
 * Dose-1 slots, then dose-2 slots: each dose-2 slot's capacity is the sum of the dose-1 capacity
 * that maps onto it (same clinic and vaccine), so every dose 1 booked has its dose 2 behind it.
 * The slot trigger adds each statement's capacity to supply.allocated (CHECK allocated <= doses).
 */
export async function insertSlots(tx: Queryable, campaignId: string): Promise<void> {
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
              GROUP BY s.clinic_id, s.day2, s.vaccine_id, p.id) x
      ORDER BY clinic_id, day, dose, vaccine_id`,
    [campaignId],
  );
}
