/**
 * POST /admin/vaccination-records: doses given outside this system, from an operator's CSV
 * (`rrn,dose,day,vaccine,source`), so that a booster's cohort rule (rules/cohort.ts) sees them.
 * Only the RRN's keyed hash is stored (the hash person and campaign_roster hold); a problem names
 * the row and the column, never the value, so an RRN never comes back in an answer or goes into a
 * log. All or nothing: every row is checked first, then one INSERT. The same person and dose
 * again (in a later file) replaces the earlier record: the latest upload is the record.
 */
import type { Db } from '../core/db.ts';
import { isPlainText } from '../core/schemas.ts';
import { parseRrn } from '../rules/rrn.ts';
import { isRealDay, KOREA_TIME_ZONE, localDay } from '../rules/time.ts';
import { csvInvalid, csvProblem, parseCsvRows, type CsvProblem } from './csv.ts';
import { RRN_WORDS, type RrnHasher } from './roster-import.ts';

const RECORD_COLUMNS = ['rrn', 'dose', 'day', 'vaccine', 'source'] as const;
/** Dose numbers a record may carry (primary series, boosters). */
export const RECORD_DOSE_MAX = 9;
/** As the column's CHECK (migration 020). */
const SOURCE_LENGTH_MAX = 100;
/** No COVID-19 dose was given anywhere before this day (the first, in the UK, on 8 Dec 2020). */
export const RECORD_FIRST_DAY = '2020-12-01';

export interface VaccinationRecordRow {
  rrnHash: string;
  dose: number;
  day: string;
  vaccineId: string;
  source: string;
}

export interface VaccinationRecordImport {
  /** Data rows in the file. */
  rows: number;
  /** New records. */
  imported: number;
  /** Records of a person and dose already on file, replaced by this file's. */
  replaced: number;
}

/** The rows as records, or every problem. `vaccines`: the store's vaccine ids. */
export function checkVaccinationRecords(text: string, now: Date, hash: RrnHasher, vaccines: ReadonlySet<string>): { records: VaccinationRecordRow[]; rows: number; problems: CsvProblem[] } {
  const parsed = parseCsvRows(text, RECORD_COLUMNS);
  const problems = [...parsed.problems];
  const today = localDay(now, KOREA_TIME_ZONE);
  const firstRowOf = new Map<string, number>();
  const records: VaccinationRecordRow[] = [];
  for (const { row, fields } of parsed.rows) {
    const before = problems.length;
    const rrn = parseRrn(fields.rrn);
    const rrnReason = !rrn.ok ? rrn.reason : rrn.facts.birthDate > today ? 'FUTURE_DATE' : null;
    if (rrnReason !== null) {
      const [en, ko] = RRN_WORDS[rrnReason];
      problems.push(csvProblem(row, 'rrn', 'RRN_INVALID', en, ko));
    }
    const dose = /^[0-9]{1,2}$/.test(fields.dose) ? Number(fields.dose) : NaN;
    if (!(dose >= 1 && dose <= RECORD_DOSE_MAX)) {
      problems.push(csvProblem(row, 'dose', 'DOSE_INVALID', `A dose number from 1 to ${RECORD_DOSE_MAX}.`, `접종 차수는 1부터 ${RECORD_DOSE_MAX}까지의 숫자여야 합니다.`));
    }
    if (!isRealDay(fields.day)) {
      problems.push(csvProblem(row, 'day', 'DAY_INVALID', 'Not a real calendar day (YYYY-MM-DD).', '실제 날짜가 아닙니다(YYYY-MM-DD).'));
    } else if (fields.day > today) {
      problems.push(csvProblem(row, 'day', 'DAY_IN_FUTURE', 'A dose given after today (Korea).', '오늘 이후의 접종일입니다.'));
    } else if (fields.day < RECORD_FIRST_DAY) {
      problems.push(csvProblem(row, 'day', 'DAY_TOO_EARLY', `Before any COVID-19 dose was given (${RECORD_FIRST_DAY}).`, `코로나19 접종이 시작되기 전(${RECORD_FIRST_DAY})의 날짜입니다.`));
    } else if (rrn.ok && fields.day < rrn.facts.birthDate) {
      problems.push(csvProblem(row, 'day', 'DAY_BEFORE_BIRTH', 'A dose given before the person was born.', '출생일 이전의 접종일입니다.'));
    }
    if (!vaccines.has(fields.vaccine)) {
      problems.push(csvProblem(row, 'vaccine', 'VACCINE_UNKNOWN', `No such vaccine: one of ${[...vaccines].sort().join(', ')}.`, `없는 백신입니다: ${[...vaccines].sort().join(', ')} 중 하나여야 합니다.`));
    }
    if (fields.source === '' || !isPlainText(fields.source) || [...fields.source].length > SOURCE_LENGTH_MAX) {
      problems.push(csvProblem(row, 'source', 'SOURCE_INVALID', `Where the record comes from: one line of visible text, 1 to ${SOURCE_LENGTH_MAX} characters.`, `기록 출처는 보이는 문자로 된 한 줄, 1~${SOURCE_LENGTH_MAX}자여야 합니다.`));
    }
    if (problems.length > before || !rrn.ok) continue;
    const rrnHash = hash(rrn.normalized);
    const key = `${rrnHash}:${dose}`;
    const earlier = firstRowOf.get(key);
    if (earlier !== undefined) {
      problems.push(csvProblem(row, 'dose', 'DUPLICATE_ROW', `The same person and dose as row ${earlier}.`, `${earlier}행과 같은 사람, 같은 차수입니다.`));
      continue;
    }
    firstRowOf.set(key, row);
    records.push({ rrnHash, dose, day: fields.day, vaccineId: fields.vaccine, source: fields.source });
  }
  return { records, rows: parsed.rows.length, problems };
}

/** Writes the file's records (one statement), or a 422 and nothing written. */
export async function importVaccinationRecords(db: Db, text: string, now: Date, hash: RrnHasher, uploadedBy: string): Promise<VaccinationRecordImport> {
  const vaccines = await db.query<{ id: string }>('SELECT id FROM vaccine');
  const checked = checkVaccinationRecords(text, now, hash, new Set(vaccines.rows.map((v) => v.id)));
  if (checked.problems.length > 0) throw csvInvalid(checked.problems);
  const col = <K extends keyof VaccinationRecordRow>(k: K) => checked.records.map((r) => r[k]);
  // xmax = 0 only on a row this statement inserted (an updated row carries our transaction's id).
  const r = await db.query<{ imported: number; replaced: number }>(
    `WITH written AS (
       INSERT INTO vaccination_record (rrn_hash, dose, day, vaccine_id, source, uploaded_at, uploaded_by)
       SELECT h, d, dy, v, s, $6::timestamptz, $7::text FROM unnest($1::text[], $2::smallint[], $3::date[], $4::text[], $5::text[]) AS t(h, d, dy, v, s)
       ON CONFLICT (rrn_hash, dose) DO UPDATE SET day = EXCLUDED.day, vaccine_id = EXCLUDED.vaccine_id, source = EXCLUDED.source,
         uploaded_at = EXCLUDED.uploaded_at, uploaded_by = EXCLUDED.uploaded_by
       RETURNING (xmax = 0) AS inserted)
     SELECT count(*) FILTER (WHERE inserted)::int AS imported, count(*) FILTER (WHERE NOT inserted)::int AS replaced FROM written`,
    [col('rrnHash'), col('dose'), col('day'), col('vaccineId'), col('source'), now.toISOString(), uploadedBy],
  );
  return { rows: checked.rows, imported: r.rows[0]?.imported ?? 0, replaced: r.rows[0]?.replaced ?? 0 };
}
