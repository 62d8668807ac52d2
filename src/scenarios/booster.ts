/**
 * The booster-2021-12 scenario's seeding, on a store that already holds korea-2021-08 (seed.ts
 * seeds that first when it is absent): in one transaction,
 * 1. korea-2021-08 bookings as if given — people, confirmed reservations with both doses (dose 1
 *    from 26 Aug to 30 Sep 2021, dose 2 on the day rules/dose-dates.ts gives), the slots'
 *    remaining lowered, and each dose recorded administered (dose_outcome) on its day;
 * 2. vaccination records of doses given elsewhere (the Janssen single dose of June 2021), keyed by
 *    the RRN's hash only;
 * 3. the booster campaign (rules/booster-2021-12.ts) with its cohort, vaccine rules (Moderna in
 *    the capital region, Pfizer elsewhere, whatever the earlier doses were), and one-dose supply
 *    and slots at the first `clinics` korea-2021-08 clinics — supply of the booster's vaccine at a
 *    clinic is also what lets it release leftover doses for the booster.
 * Deterministic for a seed: the people, their RRNs and booking numbers come from mulberry32.
 * Four fixed people (BOOSTER_DEMO_PEOPLE) come first, for the README and the tests.
 */
import type { Queryable } from '../core/db.ts';
import { mulberry32 } from '../core/random.ts';
import { insertCampaign } from '../campaigns/store.ts';
import { booster202112Campaign, BOOSTER_2021_12_ID } from '../rules/booster-2021-12.ts';
import { korea202108Campaign, KOREA_2021_08_ID } from '../rules/korea-2021-08.ts';
import { dose2Day } from '../rules/dose-dates.ts';
import { hashRrn, parseRrn } from '../rules/rrn.ts';
import { addDays } from '../rules/time.ts';
import { insertRules, insertSlots, insertSupply, stageDose1, type VaccineRule } from './sql.ts';
import { NUMBERED_DOSE_PAIRS } from './dose-pairs-sql.ts';

export interface BoosterSeedOptions {
  seed: number;
  /** Booster clinics: the first this many korea-2021-08 clinics (by id). */
  clinics: number;
  /** The node's RRN key (YEYAK_RRN_SECRET): seeded people are found again when they verify. */
  rrnSecret: string;
}

export interface BoosterSeedSummary {
  clinics: number;
  slots: number;
  dose1Capacity: number;
  /** korea-2021-08 reservations seeded as given (both doses administered). */
  earlierDosesGiven: number;
  /** Uploaded-style vaccination records seeded. */
  vaccinationRecords: number;
}

export const BOOSTER_CLINICS_DEFAULT = 1_000;
/** korea-2021-08 people seeded as given, and people with a record of a dose given elsewhere. */
export const BOOSTER_GIVEN_PEOPLE = 1_000;
export const BOOSTER_RECORD_PEOPLE = 300;
const GIVEN_DOSE1_FROM = '2021-08-26';
const GIVEN_DOSE1_TO = '2021-09-30';
/** The Janssen doses booked on 1 Jun 2021 were given from 10 to 20 June. */
const JANSSEN_FROM = '2021-06-10';
const JANSSEN_DAYS = 11;
const DEMO_CAPACITY_MIN = 20;
const DEMO_CAPACITY_MAX = 60;
const CAPITAL_SIDO = ['11', '28', '41'];
const RECORDED_BY = 'scenario booster-2021-12';
const BOOKING_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Synthetic people every store of this scenario holds, whatever the seed (verify with the name and
 * phone given: the sandbox's identity is the name and phone). `given`: a korea-2021-08 booking seeded
 * as given (the earliest pair: dose 1 on 26 Aug, dose 2 on 7 Oct 2021 → eligible from 5 Jan 2022);
 * `record`: an uploaded Janssen dose on 10 Jun 2021 (eligible since 8 Sep 2021); `none`: nothing.
 */
export const BOOSTER_DEMO_PEOPLE = {
  given: { rrn: '900101-1000001', name: '김추가', phone: '010-2021-0001' },
  record: { rrn: '850315-2000002', name: '이기록', phone: '010-2021-0002' },
  none: { rrn: '920707-1000003', name: '박없음', phone: '010-2021-0003' },
} as const;

interface SeedPerson {
  rrnHash: string;
  birthDate: string;
  sex: 'M' | 'F';
  name: string;
  phone: string;
}

function isSunday(day: string): boolean {
  return new Date(`${day}T00:00:00Z`).getUTCDay() === 0;
}

/** A synthetic RRN born between 1972 and 2003 (korea-2021-08's cohort); `serial` keeps it unique. */
function syntheticRrn(rand: () => number, serial: number): string {
  const birth = addDays('1972-01-01', Math.floor(rand() * 11_688)); // 1972-01-01 .. 2003-12-31
  const female = rand() < 0.5;
  const digit = birth >= '2000-01-01' ? (female ? 4 : 3) : female ? 2 : 1;
  return `${birth.slice(2, 4)}${birth.slice(5, 7)}${birth.slice(8, 10)}${digit}${String(serial).padStart(6, '0')}`;
}

function personOf(rrn: string, name: string, phone: string, secret: string): SeedPerson {
  const parsed = parseRrn(rrn);
  if (!parsed.ok) throw new Error(`booster seed: synthetic RRN invalid (${parsed.reason})`);
  return { rrnHash: hashRrn(parsed.normalized, secret), birthDate: parsed.facts.birthDate, sex: parsed.facts.sex, name, phone };
}

function bookingNumber(rand: () => number): string {
  const groups: string[] = [];
  for (let g = 0; g < 3; g++) {
    let s = '';
    for (let i = 0; i < 4; i++) s += BOOKING_ALPHABET[Math.floor(rand() * BOOKING_ALPHABET.length)];
    groups.push(s);
  }
  return groups.join('-');
}

/** The given people (demo person first) with their booking numbers, and the recorded people with their Janssen day. */
function people(opts: BoosterSeedOptions) {
  const rand = mulberry32(opts.seed ^ 0xb005_7e12);
  const demo = BOOSTER_DEMO_PEOPLE;
  const given = [personOf(demo.given.rrn, demo.given.name, demo.given.phone, opts.rrnSecret)];
  for (let i = 1; i < BOOSTER_GIVEN_PEOPLE; i++) given.push(personOf(syntheticRrn(rand, 100_000 + i), '가상 접종자', '010-0000-0000', opts.rrnSecret));
  const numbers = new Set<string>();
  while (numbers.size < given.length) numbers.add(bookingNumber(rand));
  const records = [{ rrnHash: personOf(demo.record.rrn, demo.record.name, demo.record.phone, opts.rrnSecret).rrnHash, day: JANSSEN_FROM }];
  for (let i = 1; i < BOOSTER_RECORD_PEOPLE; i++) {
    const p = personOf(syntheticRrn(rand, 600_000 + i), '', '', opts.rrnSecret);
    records.push({ rrnHash: p.rrnHash, day: addDays(JANSSEN_FROM, Math.floor(rand() * JANSSEN_DAYS)) });
  }
  return { given, bookingNumbers: [...numbers], records };
}

/** korea-2021-08's dose-1 → dose-2 days for the given bookings (the booking path's rule). */
function givenDayPairs(): { day1: string[]; day2: string[] } {
  const k = korea202108Campaign();
  const out = { day1: [] as string[], day2: [] as string[] };
  for (let d = GIVEN_DOSE1_FROM; d <= GIVEN_DOSE1_TO; d = addDays(d, 1)) {
    out.day1.push(d);
    out.day2.push(dose2Day(d, k.dose2IntervalDays ?? 0, k.blackoutDays, k.blackoutShiftDays));
  }
  return out;
}

/**
 * The given bookings in one statement (as test/operations/audit-bulk.ts books): person i takes
 * the i-th (dose-1 slot, dose-2 slot) pair with room (dose-pairs-sql.ts), so the first person gets
 * the first clinic's earliest day; the slots' remaining drop by what was
 * taken, and each dose is recorded administered on its day (18:00 in Seoul).
 */
async function insertGiven(tx: Queryable, p: ReturnType<typeof people>): Promise<number> {
  const pairs = givenDayPairs();
  const col = <K extends keyof SeedPerson>(k: K) => p.given.map((x) => x[k]);
  const r = await tx.query<{ n: number }>(
    `WITH ${NUMBERED_DOSE_PAIRS},
     input AS (SELECT * FROM unnest($5::text[], $6::date[], $7::text[], $8::text[], $9::text[], $10::text[]) WITH ORDINALITY
                 AS t(rrn_hash, birth_date, sex, name, phone, booking_number, i)),
     chosen AS (SELECT n.*, x.rrn_hash, x.birth_date, x.sex, x.name, x.phone, x.booking_number FROM numbered n JOIN input x ON x.i = n.i),
     people AS (
       INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone, created_at)
       SELECT rrn_hash, birth_date, sex, false, name, phone, $11::timestamptz FROM chosen ORDER BY i
       RETURNING id, rrn_hash),
     res AS (
       INSERT INTO reservation (booking_number, campaign_id, person_id, clinic_id, status, booked_by, created_at, updated_at)
       SELECT c.booking_number, $1, p.id, c.clinic_id, 'confirmed', 'self', $11::timestamptz, $11::timestamptz
         FROM chosen c JOIN people p ON p.rrn_hash = c.rrn_hash ORDER BY c.i
       RETURNING id, booking_number, person_id),
     doses AS (
       INSERT INTO reservation_dose (reservation_id, dose, slot_id, clinic_id, day, vaccine_id)
       SELECT r.id, d.dose, CASE d.dose WHEN 1 THEN c.slot1 ELSE c.slot2 END, c.clinic_id,
              CASE d.dose WHEN 1 THEN c.day1 ELSE c.day2 END, c.vaccine_id
         FROM chosen c JOIN res r ON r.booking_number = c.booking_number CROSS JOIN (VALUES (1), (2)) AS d(dose)
       RETURNING reservation_id, dose, slot_id, clinic_id, day),
     outcomes AS (
       INSERT INTO dose_outcome (reservation_id, dose, campaign_id, person_id, clinic_id, day, outcome, recorded_at, recorded_by)
       SELECT d.reservation_id, d.dose, $1, r.person_id, d.clinic_id, d.day, 'administered', (d.day + time '09:00') AT TIME ZONE 'UTC', $12
         FROM doses d JOIN res r ON r.id = d.reservation_id
       RETURNING 1),
     used AS (SELECT slot_id, count(*)::int AS n FROM doses GROUP BY slot_id),
     claimed AS (UPDATE slot s SET remaining = s.remaining - u.n FROM used u WHERE s.id = u.slot_id RETURNING 1)
     SELECT (SELECT count(*) FROM res)::int AS n, (SELECT count(*) FROM claimed) AS slots, (SELECT count(*) FROM outcomes) AS outcomes`,
    [KOREA_2021_08_ID, pairs.day1, pairs.day2, p.given.length, col('rrnHash'), col('birthDate'), col('sex'), col('name'), col('phone'),
      p.bookingNumbers, '2021-08-21T12:00:00Z', RECORDED_BY],
  );
  return r.rows[0]?.n ?? 0;
}

async function insertRecords(tx: Queryable, p: ReturnType<typeof people>): Promise<number> {
  const r = await tx.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO vaccination_record (rrn_hash, dose, day, vaccine_id, source, uploaded_at, uploaded_by)
       SELECT h, 1, d, 'janssen', 'KDCA', $3::timestamptz, $4 FROM unnest($1::text[], $2::date[]) AS t(h, d)
       RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [p.records.map((x) => x.rrnHash), p.records.map((x) => x.day), '2021-12-01T00:00:00Z', RECORDED_BY],
  );
  return r.rows[0]?.n ?? 0;
}

function boosterRules(): VaccineRule[] {
  return [
    ...CAPITAL_SIDO.map((sido, i) => ({ seq: i + 1, sidoCode: sido, dayFrom: null, dayTo: null, vaccineId: 'moderna' })),
    { seq: 10, sidoCode: null, dayFrom: null, dayTo: null, vaccineId: 'pfizer' },
  ];
}

/** Booster dose-1 days: every day of the campaign but Sundays and New Year's Day. */
export function boosterShotDays(): string[] {
  const c = booster202112Campaign();
  const days: string[] = [];
  for (let d = c.firstShotDay; d <= c.lastShotDay; d = addDays(d, 1)) if (!isSunday(d) && d !== '2022-01-01') days.push(d);
  return days;
}

/** Seeds the booster on a store holding korea-2021-08 (see above), in the caller's transaction. */
export async function seedBooster(tx: Queryable, opts: BoosterSeedOptions): Promise<BoosterSeedSummary> {
  const exists = await tx.query('SELECT 1 FROM campaign WHERE id = $1', [BOOSTER_2021_12_ID]);
  if (exists.rows.length > 0) throw new Error(`campaign ${BOOSTER_2021_12_ID} already exists in this store`);
  const p = people(opts);
  const earlierDosesGiven = await insertGiven(tx, p);
  const vaccinationRecords = await insertRecords(tx, p);
  const c = booster202112Campaign();
  await insertCampaign(tx, c);
  await insertRules(tx, c.id, boosterRules());
  const ids = await tx.query<{ id: string }>(
    `SELECT c.id FROM clinic c WHERE EXISTS (SELECT 1 FROM supply s WHERE s.campaign_id = $1 AND s.clinic_id = c.id) ORDER BY c.id LIMIT $2`,
    [KOREA_2021_08_ID, opts.clinics],
  );
  const rand = mulberry32(opts.seed ^ 0xc1_1c5);
  const clinics = ids.rows.map((r) => ({ id: r.id, capacity: DEMO_CAPACITY_MIN + Math.floor(rand() * (DEMO_CAPACITY_MAX - DEMO_CAPACITY_MIN + 1)) }));
  const days = boosterShotDays();
  await stageDose1(tx, c.id, clinics, days, days);
  await insertSupply(tx, c.id, 1);
  await insertSlots(tx, c.id, 1);
  const totals = await tx.query<{ slots: number; dose1: number }>(
    'SELECT count(*)::int AS slots, coalesce(sum(capacity), 0)::int8 AS dose1 FROM slot WHERE campaign_id = $1',
    [c.id],
  );
  const t = totals.rows[0];
  return { clinics: clinics.length, slots: t?.slots ?? 0, dose1Capacity: Number(t?.dose1 ?? 0), earlierDosesGiven, vaccinationRecords };
}
