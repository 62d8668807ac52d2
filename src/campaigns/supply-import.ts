/**
 * Confirmed weekly deliveries per clinic × vaccine, set by operators as JSON rows
 * (PUT …/supply) or a CSV file (POST …/supply.csv, `clinic_id,week_start,vaccine,doses`). All or
 * nothing, as the capacity import: every row is checked (its fields, then the clinic and vaccine
 * against the store), and only a request without a single problem is written, in one transaction
 * under the campaign's import lock (capacity-sql.ts), by set_supply (migrations/017): a raise just
 * sets the doses; a cut shrinks the unbooked capacity first and reports the booked doses it cannot
 * cover (supply-sql.ts SupplyReport).
 */
import type { Db, Queryable } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import { withDbRetry } from '../core/retry.ts';
import type { Campaign } from '../rules/campaign.ts';
import { dose2Day } from '../rules/dose-dates.ts';
import { addDays, isRealDay, localDay } from '../rules/time.ts';
import { weekStartOf } from './capacity-plan.ts';
import { clinicRegions, lockCampaignForImport, vaccineIds } from './capacity-sql.ts';
import { csvInvalid, csvProblem, parseCsvRows, type CsvProblem } from './csv.ts';
import { loadCampaign } from './store.ts';
import { setSupply, type DayPair, type SupplyInput, type SupplyReport } from './supply-sql.ts';

export const SUPPLY_COLUMNS = ['clinic_id', 'week_start', 'vaccine', 'doses'] as const;
type SupplyColumn = (typeof SUPPLY_COLUMNS)[number];

/** Doses per clinic × vaccine × week: far above any real clinic (≈2,000 a day at a large centre in 2021). */
export const SUPPLY_DOSES_PER_WEEK_MAX = 1_000_000;
/** Rows per JSON request (a bigger set goes as CSV, or in parts). */
export const SUPPLY_ROWS_MAX = 10_000;
const ID_RE = /^[A-Za-z0-9-]{1,64}$/;
const COUNT_RE = /^[0-9]{1,7}$/;

/** A row as received: numbered as its source numbers it (CSV: spreadsheet row; JSON: place from 1). */
interface RawRow {
  readonly row: number;
  readonly clinicId: string;
  readonly weekStart: string;
  readonly vaccineId: string;
  readonly doses: string;
}

/** The row's own problems (every field on its own), with the column names of its source. */
function checkRow(r: RawRow, names: Readonly<Record<'clinic' | 'week' | 'vaccine' | 'doses', string>>, c: Campaign, out: CsvProblem[]): SupplyInput | null {
  const before = out.length;
  if (!ID_RE.test(r.clinicId)) out.push(csvProblem(r.row, names.clinic, 'CLINIC_UNKNOWN', 'No such clinic.', '없는 의료기관 ID입니다.'));
  if (!isRealDay(r.weekStart)) out.push(csvProblem(r.row, names.week, 'DATE_INVALID', 'Not a real calendar day (YYYY-MM-DD).', '실제 날짜가 아닙니다(YYYY-MM-DD).'));
  else if (weekStartOf(r.weekStart) !== r.weekStart) {
    out.push(csvProblem(r.row, names.week, 'WEEK_NOT_MONDAY', `A delivery week starts on a Monday (this day's week: ${weekStartOf(r.weekStart)}).`, `공급 주는 월요일부터입니다(이 날의 주: ${weekStartOf(r.weekStart)}).`));
  } else if (addDays(r.weekStart, 6) < c.firstShotDay) {
    out.push(csvProblem(r.row, names.week, 'WEEK_OUTSIDE_CAMPAIGN', `The week ends before the campaign's first shot day (${c.firstShotDay}).`, `이 주는 사업의 첫 접종일(${c.firstShotDay}) 전에 끝납니다.`));
  }
  if (!ID_RE.test(r.vaccineId)) out.push(csvProblem(r.row, names.vaccine, 'VACCINE_UNKNOWN', 'No such vaccine.', '없는 백신입니다.'));
  const doses = COUNT_RE.test(r.doses) ? Number(r.doses) : NaN;
  if (!(doses <= SUPPLY_DOSES_PER_WEEK_MAX)) {
    out.push(csvProblem(r.row, names.doses, 'DOSES_INVALID', `A whole number from 0 to ${SUPPLY_DOSES_PER_WEEK_MAX}.`, `0부터 ${SUPPLY_DOSES_PER_WEEK_MAX}까지의 정수여야 합니다.`));
  }
  return out.length === before ? { clinicId: r.clinicId, vaccineId: r.vaccineId, weekStart: r.weekStart, doses } : null;
}

/** Rows with their problems: own fields, duplicates (same clinic, vaccine and week), unknown clinics and vaccines. */
async function checkRows(tx: Queryable, c: Campaign, raw: readonly RawRow[], names: Parameters<typeof checkRow>[1], out: CsvProblem[]): Promise<SupplyInput[]> {
  const firstRowOf = new Map<string, number>();
  const checked: { row: number; input: SupplyInput }[] = [];
  for (const r of raw) {
    const key = `${r.clinicId}|${r.vaccineId}|${r.weekStart}`;
    const earlier = firstRowOf.get(key);
    if (earlier === undefined) firstRowOf.set(key, r.row);
    else out.push(csvProblem(r.row, null, 'DUPLICATE_ROW', `Same clinic, vaccine and week as row ${earlier}.`, `${earlier}행과 의료기관·백신·주가 같습니다.`));
    const input = checkRow(r, names, c, out);
    if (input && earlier === undefined) checked.push({ row: r.row, input });
  }
  const clinics = await clinicRegions(tx, [...new Set(checked.map((x) => x.input.clinicId))]);
  const vaccines = await vaccineIds(tx);
  const valid: SupplyInput[] = [];
  for (const { row, input } of checked) {
    const clinicKnown = clinics.has(input.clinicId);
    if (!clinicKnown) out.push(csvProblem(row, names.clinic, 'CLINIC_UNKNOWN', 'No such clinic.', '없는 의료기관 ID입니다.'));
    if (!vaccines.has(input.vaccineId)) out.push(csvProblem(row, names.vaccine, 'VACCINE_UNKNOWN', 'No such vaccine.', '없는 백신입니다.'));
    else if (clinicKnown) valid.push(input);
  }
  return valid;
}

/** Every dose-1 day of the campaign and the dose-2 day booking gives it (none for one dose). */
export function dayPairs(c: Campaign): DayPair[] {
  const interval = c.dose2IntervalDays;
  if (c.doses !== 2 || interval === null) return [];
  const pairs: DayPair[] = [];
  for (let day = c.firstShotDay; day <= c.lastShotDay; day = addDays(day, 1)) {
    pairs.push({ day1: day, day2: dose2Day(day, interval, c.blackoutDays, c.blackoutShiftDays) });
  }
  return pairs;
}

type Invalid = (problems: readonly CsvProblem[]) => YeyakError;

async function setInTransaction(tx: Queryable, campaignId: string, raw: readonly RawRow[], names: Parameters<typeof checkRow>[1], early: readonly CsvProblem[], invalid: Invalid, now: Date): Promise<SupplyReport> {
  if (!(await lockCampaignForImport(tx, campaignId))) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
  const campaign = await loadCampaign(tx, campaignId);
  if (!campaign) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
  const problems = [...early];
  const rows = await checkRows(tx, campaign, raw, names, problems);
  if (problems.length > 0) throw invalid(problems);
  // Slots of days before today are cut first: nobody can book them any more.
  return setSupply(tx, campaignId, rows, dayPairs(campaign), localDay(now, campaign.timeZone));
}

const JSON_NAMES = { clinic: 'clinicId', week: 'weekStart', vaccine: 'vaccineId', doses: 'doses' } as const;
const CSV_NAMES = { clinic: 'clinic_id', week: 'week_start', vaccine: 'vaccine', doses: 'doses' } as const;

/** PUT …/supply: the rows as JSON (the schema has checked their types). */
export async function setSupplyRows(db: Db, campaignId: string, rows: readonly SupplyInput[], now: Date): Promise<SupplyReport> {
  const raw = rows.map((r, i) => ({ row: i + 1, clinicId: r.clinicId, weekStart: r.weekStart, vaccineId: r.vaccineId, doses: String(r.doses) }));
  const invalid: Invalid = (problems) => {
    const sorted = [...problems].sort((a, b) => a.row - b.row);
    return new YeyakError('YEYAK_E_SUPPLY_INVALID', undefined, { errors: sorted.slice(0, 1_000), errorCount: sorted.length });
  };
  return withDbRetry(() => db.transaction((tx) => setInTransaction(tx, campaignId, raw, JSON_NAMES, [], invalid, now)));
}

/** POST …/supply.csv: `clinic_id,week_start,vaccine,doses`, the capacity file's conventions (csv.ts). */
export async function importSupplyCsv(db: Db, campaignId: string, text: string, now: Date): Promise<SupplyReport & { imported: number }> {
  const parsed = parseCsvRows<SupplyColumn>(text, SUPPLY_COLUMNS);
  const raw = parsed.rows.map(({ row, fields: f }) => ({ row, clinicId: f.clinic_id, weekStart: f.week_start, vaccineId: f.vaccine, doses: f.doses }));
  const report = await withDbRetry(() => db.transaction((tx) => setInTransaction(tx, campaignId, raw, CSV_NAMES, parsed.problems, csvInvalid, now)));
  return { ...report, imported: raw.length };
}
