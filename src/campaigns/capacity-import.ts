/**
 * POST /admin/campaigns/{id}/capacity: dose-1 capacity per clinic × day × vaccine from a CSV
 * (`clinic_id,date,vaccine,capacity`). All or nothing: every row is checked — its fields, then
 * against the store (clinic, shot days, the campaign's vaccine rule for the clinic's 시/도 and
 * day), then, under the locks, against what is booked and the confirmed supply — and only a file
 * without a single problem is written, in the same transaction (capacity-plan.ts, capacity-sql.ts).
 */
import type { Db, Queryable } from '../core/db.ts';
import { DbError } from '../core/db-errors.ts';
import { YeyakError } from '../core/errors.ts';
import { withDbRetry } from '../core/retry.ts';
import type { Campaign } from '../rules/campaign.ts';
import { dose2Day } from '../rules/dose-dates.ts';
import { isRealDay, localDay } from '../rules/time.ts';
import { csvInvalid, csvProblem, parseCsvRows, type CsvProblem, type CsvRow } from './csv.ts';
import { dose2Keys, planCapacity, supplyNeeds, type CapacityRow } from './capacity-plan.ts';
import * as sql from './capacity-sql.ts';
import type { DefinitionVaccineRule } from './definition.ts';
import { loadVaccineRules } from './definition-sql.ts';
import { loadCampaign } from './store.ts';

const CAPACITY_COLUMNS = ['clinic_id', 'date', 'vaccine', 'capacity'] as const;
type CapacityColumn = (typeof CAPACITY_COLUMNS)[number];

/** Doses per clinic-day: far above any real clinic (a large centre gave ~2,000 a day in 2021). */
export const CAPACITY_PER_DAY_MAX = 100_000;
const ID_RE = /^[A-Za-z0-9-]{1,64}$/;
const COUNT_RE = /^[0-9]{1,7}$/;

export interface CapacityImportResult {
  /** Rows whose dose-1 capacity changed or whose slot was created. */
  imported: number;
  rows: number;
  /** Slots created (dose 1 and dose 2): the availability view must load them. */
  slotsCreated: number;
}

/** The vaccine the campaign's rules give a 시/도 on a day (first matching rule by seq), or null. */
export function ruleVaccine(rules: readonly DefinitionVaccineRule[], sidoCode: string, day: string): string | null {
  const rule = rules.find((r) => (r.sidoCode === null || r.sidoCode === sidoCode) && (r.dayFrom === null || day >= r.dayFrom) && (r.dayTo === null || day <= r.dayTo));
  return rule?.vaccineId ?? null;
}

interface References {
  readonly campaign: Campaign;
  readonly today: string;
  readonly rules: readonly DefinitionVaccineRule[];
  readonly clinics: ReadonlyMap<string, string>;
  readonly vaccines: ReadonlySet<string>;
}

/** Each field on its own (so every problem of a row is listed), then the rule's vaccine for the clinic's 시/도 and day. */
function checkRow(row: number, f: Readonly<Record<CapacityColumn, string>>, refs: References, out: CsvProblem[]): CapacityRow | null {
  const before = out.length;
  const { campaign: c } = refs;
  const sido = ID_RE.test(f.clinic_id) ? refs.clinics.get(f.clinic_id) : undefined;
  if (sido === undefined) out.push(csvProblem(row, 'clinic_id', 'CLINIC_UNKNOWN', 'No such clinic.', '없는 의료기관 ID입니다.'));
  const realDay = isRealDay(f.date);
  if (!realDay) out.push(csvProblem(row, 'date', 'DATE_INVALID', 'Not a real calendar day (YYYY-MM-DD).', '실제 날짜가 아닙니다(YYYY-MM-DD).'));
  else if (f.date < c.firstShotDay || f.date > c.lastShotDay) {
    out.push(csvProblem(row, 'date', 'DATE_OUTSIDE_CAMPAIGN', `Not a dose-1 day of the campaign (${c.firstShotDay}..${c.lastShotDay}).`, `이 사업의 1차 접종 기간(${c.firstShotDay}~${c.lastShotDay})이 아닙니다.`));
  } else if (f.date < refs.today) out.push(csvProblem(row, 'date', 'DATE_PAST', 'This day has passed.', '이미 지난 날짜입니다.'));
  const knownVaccine = ID_RE.test(f.vaccine) && refs.vaccines.has(f.vaccine);
  if (!knownVaccine) out.push(csvProblem(row, 'vaccine', 'VACCINE_UNKNOWN', 'No such vaccine.', '없는 백신입니다.'));
  else if (sido !== undefined && realDay) {
    const expected = ruleVaccine(refs.rules, sido, f.date);
    if (expected === null) out.push(csvProblem(row, 'vaccine', 'NO_VACCINE_RULE', "No vaccine rule of the campaign covers this clinic's 시/도 on this day.", '이 의료기관의 시/도와 날짜에 맞는 백신 규칙이 없습니다.'));
    else if (expected !== f.vaccine) out.push(csvProblem(row, 'vaccine', 'VACCINE_NOT_RULE', `The campaign gives ${expected} in this clinic's 시/도 on this day.`, `이 시/도와 날짜에는 ${expected} 백신을 접종합니다.`));
  }
  const capacity = COUNT_RE.test(f.capacity) ? Number(f.capacity) : NaN;
  if (!(capacity <= CAPACITY_PER_DAY_MAX)) {
    out.push(csvProblem(row, 'capacity', 'CAPACITY_INVALID', `A whole number from 0 to ${CAPACITY_PER_DAY_MAX}.`, `0부터 ${CAPACITY_PER_DAY_MAX}까지의 정수여야 합니다.`));
  }
  return out.length === before ? { row, clinicId: f.clinic_id, day: f.date, vaccineId: f.vaccine, capacity } : null;
}

/** Every row's own problems and duplicates (same clinic, day and vaccine as an earlier row); the rows without any. */
function checkRows(rows: readonly CsvRow<CapacityColumn>[], refs: References, out: CsvProblem[]): CapacityRow[] {
  const firstRowOf = new Map<string, number>();
  const valid: CapacityRow[] = [];
  for (const { row, fields } of rows) {
    const key = `${fields.clinic_id}|${fields.date}|${fields.vaccine}`;
    const earlier = firstRowOf.get(key);
    if (earlier === undefined) firstRowOf.set(key, row);
    else out.push(csvProblem(row, null, 'DUPLICATE_ROW', `Same clinic, day and vaccine as row ${earlier}.`, `${earlier}행과 의료기관·날짜·백신이 같습니다.`));
    const checked = checkRow(row, fields, refs, out);
    if (checked && earlier === undefined) valid.push(checked);
  }
  return valid;
}

/** Every row checked, then written in one transaction, or a 422 listing every problem and nothing written. */
export async function importCapacity(db: Db, campaignId: string, text: string, now: Date): Promise<CapacityImportResult> {
  const parsed = parseCsvRows(text, CAPACITY_COLUMNS);
  // Constraint failures that a second run (which locks the slot another writer just created) cures.
  for (let attempt = 1; ; attempt++) {
    try {
      return await withDbRetry(() => db.transaction((tx) => importInTransaction(tx, campaignId, parsed, now)));
    } catch (e) {
      if (e instanceof DbError && e.code === '23505' && attempt < 2) continue;
      if (e instanceof DbError && e.code?.startsWith('23')) throw writeRefused(parsed.rows.map((r) => r.row), e);
      throw e;
    }
  }
}

async function importInTransaction(tx: Queryable, campaignId: string, parsed: ReturnType<typeof parseCsvRows<CapacityColumn>>, now: Date): Promise<CapacityImportResult> {
  if (!(await sql.lockCampaignForImport(tx, campaignId))) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
  const campaign = await loadCampaign(tx, campaignId);
  if (!campaign) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
  const problems = [...parsed.problems];
  const clinicIds = new Set(parsed.rows.map((r) => r.fields.clinic_id).filter((id) => ID_RE.test(id)));
  const refs: References = {
    campaign,
    today: localDay(now, campaign.timeZone),
    rules: await loadVaccineRules(tx, campaignId),
    clinics: await sql.clinicRegions(tx, [...clinicIds]),
    vaccines: await sql.vaccineIds(tx),
  };
  const rows = checkRows(parsed.rows, refs, problems);
  const dose2DayOf = dose2DayFunction(campaign);
  const pairs = new Map(rows.map((r) => [`${r.clinicId}|${r.vaccineId}`, { clinicId: r.clinicId, vaccineId: r.vaccineId }]));
  const dose1 = await sql.lockDose1Slots(tx, campaignId, [...pairs.values()]);
  const dose2 = await sql.lockDose2Slots(tx, campaignId, dose2Keys(rows, dose2DayOf));
  const needs = supplyNeeds({ rows, dose1, dose2, dose2DayOf });
  const supply = await sql.lockSupply(tx, campaignId, needs.ids, needs.keys);
  const plan = planCapacity({ rows, dose1, dose2, supply, dose2DayOf });
  problems.push(...plan.problems);
  if (problems.length > 0) throw csvInvalid(problems);
  await sql.writeCapacity(tx, campaignId, plan.writes);
  return { imported: plan.imported, rows: parsed.rows.length, slotsCreated: plan.writes.newSlots.length };
}

/** Dose-1 day → dose-2 day as booking computes it (memoised: a file has many rows per day); null for one dose. */
function dose2DayFunction(c: Campaign): ((day: string) => string) | null {
  const interval = c.dose2IntervalDays;
  if (c.doses !== 2 || interval === null) return null;
  const memo = new Map<string, string>();
  return (day) => {
    let day2 = memo.get(day);
    if (day2 === undefined) memo.set(day, (day2 = dose2Day(day, interval, c.blackoutDays, c.blackoutShiftDays)));
    return day2;
  };
}

/**
 * The database refused a write the checks allowed (a constraint the checks do not model): nothing
 * was written, and every row the file would have changed is reported, with the constraint's name.
 */
function writeRefused(rows: readonly number[], e: DbError): YeyakError {
  const constraint = e.constraint ?? e.code ?? 'unknown';
  return csvInvalid(rows.map((row) => csvProblem(row, null, 'WRITE_REFUSED',
    `The database refused the file's changes (constraint ${constraint}); nothing was imported. Try again, or check the row.`,
    `데이터베이스가 변경을 거부했습니다(제약 조건 ${constraint}). 아무것도 가져오지 않았습니다. 다시 시도하거나 행을 확인해 주세요.`)));
}
