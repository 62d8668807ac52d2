/**
 * POST /admin/campaigns/{id}/roster: people added to a campaign's roster from a CSV (`name,rrn`).
 * Only the RRN's keyed hash is stored (campaign_roster.rrn_hash, the hash identity keys people by,
 * given to this capability as a function by the app); the name is checked as free text and not
 * kept — eligibility is by RRN. All or nothing, one INSERT. A problem names the row and the column,
 * never the value: an RRN never comes back in an answer or goes into a log.
 */
import type { Db } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import { isPlainText } from '../core/schemas.ts';
import type { Campaign } from '../rules/campaign.ts';
import { parseRrn, type RrnInvalidReason } from '../rules/rrn.ts';
import { KOREA_TIME_ZONE, localDay } from '../rules/time.ts';
import { csvInvalid, csvProblem, parseCsvRows, type CsvProblem } from './csv.ts';

const ROSTER_COLUMNS = ['name', 'rrn'] as const;
/** As every name field of the API (core/schemas.ts namedPersonProperties). */
const NAME_LENGTH_MAX = 100;

/** The keyed hash of a 13-digit RRN (identity's: rules/rrn.ts hashRrn with the node's RRN secret). */
export type RrnHasher = (normalized13Digits: string) => string;

/** Why an RRN field was refused, in words that never quote it (the vaccination-record upload says the same). */
export const RRN_WORDS: Readonly<Record<RrnInvalidReason | 'FUTURE_DATE', [string, string]>> = {
  FORMAT: ['Not a resident registration number: YYMMDD-GNNNNNN (13 digits, the hyphen optional).', '주민등록번호 형식(YYMMDD-GNNNNNN, 13자리)이 아닙니다.'],
  DATE: ['The birth date in this number does not exist.', '주민등록번호의 생년월일이 실제 날짜가 아닙니다.'],
  GENDER_DIGIT: ['The 7th digit is not a valid one.', '주민등록번호 뒷자리 첫 숫자가 올바르지 않습니다.'],
  FUTURE_DATE: ['The birth date in this number is after today.', '주민등록번호의 생년월일이 오늘 이후입니다.'],
};

/** The rows' RRN hashes, or every problem. Born outside the campaign's birth range: never eligible, so refused. */
function checkRoster(text: string, c: Campaign, now: Date, hash: RrnHasher): { hashes: string[]; rows: number; problems: CsvProblem[] } {
  const parsed = parseCsvRows(text, ROSTER_COLUMNS);
  const problems = [...parsed.problems];
  const today = localDay(now, KOREA_TIME_ZONE);
  const firstRowOf = new Map<string, number>();
  const hashes: string[] = [];
  for (const { row, fields } of parsed.rows) {
    if (!isPlainText(fields.name) || [...fields.name].length > NAME_LENGTH_MAX) {
      problems.push(csvProblem(row, 'name', 'NAME_INVALID', `A name: one line of visible text, at most ${NAME_LENGTH_MAX} characters.`, `이름은 보이는 문자로 된 한 줄, 최대 ${NAME_LENGTH_MAX}자여야 합니다.`));
    }
    const rrn = parseRrn(fields.rrn);
    const reason = !rrn.ok ? rrn.reason : rrn.facts.birthDate > today ? 'FUTURE_DATE' : null;
    if (reason !== null || !rrn.ok) {
      const [en, ko] = RRN_WORDS[reason ?? 'FORMAT'];
      problems.push(csvProblem(row, 'rrn', 'RRN_INVALID', en, ko));
      continue;
    }
    const born = rrn.facts.birthDate;
    if ((c.birthFrom !== null && born < c.birthFrom) || (c.birthTo !== null && born > c.birthTo)) {
      problems.push(csvProblem(row, 'rrn', 'RRN_OUTSIDE_COHORT', `Born outside the campaign's birth range (${c.birthFrom ?? '…'}..${c.birthTo ?? '…'}): never eligible.`, `사업 대상 출생일 범위(${c.birthFrom ?? '…'}~${c.birthTo ?? '…'}) 밖의 생년월일입니다.`));
      continue;
    }
    const h = hash(rrn.normalized);
    const earlier = firstRowOf.get(h);
    if (earlier !== undefined) problems.push(csvProblem(row, 'rrn', 'DUPLICATE_ROW', `The same person as row ${earlier}.`, `${earlier}행과 같은 사람입니다.`));
    else {
      firstRowOf.set(h, row);
      hashes.push(h);
    }
  }
  return { hashes, rows: parsed.rows.length, problems };
}

/** Adds the file's people to the roster (already there: kept, not counted), or a 422 and nothing added. */
export async function importRoster(db: Db, c: Campaign, text: string, now: Date, hash: RrnHasher): Promise<{ imported: number; rows: number }> {
  const checked = checkRoster(text, c, now, hash);
  if (checked.problems.length > 0) throw csvInvalid(checked.problems);
  return db.transaction(async (tx) => {
    const found = await tx.query('SELECT 1 FROM campaign WHERE id = $1 FOR SHARE', [c.id]);
    if (found.rows.length === 0) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
    const r = await tx.query<{ n: number }>(
      `WITH added AS (
         INSERT INTO campaign_roster (campaign_id, rrn_hash) SELECT $1, h FROM unnest($2::text[]) AS t(h)
         ON CONFLICT DO NOTHING RETURNING 1)
       SELECT count(*)::int AS n FROM added`,
      [c.id, checked.hashes],
    );
    return { imported: r.rows[0]?.n ?? 0, rows: checked.rows };
  });
}
