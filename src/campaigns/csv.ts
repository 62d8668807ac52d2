/**
 * CSV uploads (an operator's capacity and roster files), read with csv-parse — never split on
 * commas: quoted fields hold commas, quotes and line breaks. Every problem is collected with the
 * row a spreadsheet shows it on (the header is row 1), so one answer lists them all; a file with
 * any problem imports nothing (the importers check everything before they write).
 *
 * A problem never quotes the field's value: the report names the row and the column, so an RRN
 * typed into the wrong column is not echoed back (or into a log).
 */
import type { FastifyInstance } from 'fastify';
import { parse, type CsvError } from 'csv-parse/sync';
import { YeyakError } from '../core/errors.ts';

/** Body limit of a CSV upload: 5 MiB, about 150,000 capacity rows or 200,000 roster rows. */
export const CSV_BODY_LIMIT_BYTES = 5 * 1024 * 1024;
/** Data rows per file; a bigger file is split by the operator. */
export const CSV_ROWS_MAX = 200_000;
/** Bytes per record: guards memory against a quote that is never closed. */
const CSV_RECORD_BYTES_MAX = 4 * 1024;
/** Problems listed in one answer (errorCount says how many there were). */
export const CSV_PROBLEMS_LISTED_MAX = 1_000;

/** One problem of an upload: `row` as a spreadsheet numbers it (header 1, first data row 2). */
export interface CsvProblem {
  readonly row: number;
  /** The header name of the field at fault; null for the row or the file as a whole. */
  readonly column: string | null;
  readonly code: string;
  readonly message: string;
  readonly messageKo: string;
}

export function csvProblem(row: number, column: string | null, code: string, message: string, messageKo: string): CsvProblem {
  return { row, column, code, message, messageKo };
}

/** A data row: its spreadsheet row number and its fields by (lower-case) header name. */
export interface CsvRow<C extends string> {
  readonly row: number;
  readonly fields: Readonly<Record<C, string>>;
}

interface ParsedRecord {
  record: Record<string, string | undefined>;
  info: { records: number; empty_lines: number; error?: { code?: string; record?: unknown[] } };
}

const HEADER_ROW = 1;

/**
 * Options, chosen for files exported from a spreadsheet:
 * - bom: Excel's "CSV UTF-8" starts with a byte-order mark, which would otherwise stick to the
 *   first header name;
 * - columns: the header names the fields (any order, case-insensitive); checked here, so an
 *   unknown or missing column is a problem of row 1, not a silent `undefined`;
 * - trim: spaces around a value (" 20 ") are never meaningful in ids, dates, counts or names;
 *   inside quotes they are kept (and then refused by the field's check);
 * - relax_column_count: a row with too few or too many fields becomes that row's problem
 *   (csv-parse marks it in `info.error`) instead of ending the parse — so every row is reported;
 * - skip_empty_lines: a blank line (often the last) is no row to import, but a spreadsheet shows
 *   it, so it still counts in the row numbers (`info.empty_lines`);
 * - relax_quotes off, skip_records_with_error off: a stray quote leaves the rest of the file
 *   unreadable (csv-parse's recovery misreads what follows), so it is one problem, at its row;
 * - no cast: every field stays a string and is checked by the importer.
 */
export function parseCsvRows<C extends string>(text: string, columns: readonly C[]): { rows: CsvRow<C>[]; problems: CsvProblem[] } {
  const problems: CsvProblem[] = [];
  const replacement = text.indexOf('\uFFFD');
  if (replacement >= 0) {
    const row = HEADER_ROW + (text.slice(0, replacement).match(/\n/g)?.length ?? 0);
    problems.push(csvProblem(row, null, 'ENCODING', 'The file is not UTF-8: save it as "CSV UTF-8" and upload it again.', '파일이 UTF-8 형식이 아닙니다. "CSV UTF-8" 형식으로 저장한 뒤 다시 올려 주세요.'));
    return { rows: [], problems };
  }
  let headerSeen = false;
  let records: ParsedRecord[];
  try {
    records = parse(text, {
      bom: true,
      columns: (header: string[]) => {
        headerSeen = true;
        const names = header.map((h) => h.toLowerCase());
        problems.push(...headerProblems(names, columns));
        return names;
      },
      trim: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: CSV_RECORD_BYTES_MAX,
      info: true,
    }) as unknown as ParsedRecord[];
  } catch (e) {
    problems.push(syntaxProblem(e as CsvError));
    return { rows: [], problems };
  }
  if (!headerSeen) {
    problems.push(csvProblem(HEADER_ROW, null, 'HEADER_MISSING', `The file is empty: its first row must be the header ${columns.join(',')}.`, `파일이 비어 있습니다. 첫 줄은 머리글(${columns.join(',')})이어야 합니다.`));
    return { rows: [], problems };
  }
  if (problems.length > 0) return { rows: [], problems };
  if (records.length === 0) {
    problems.push(csvProblem(HEADER_ROW + 1, null, 'NO_ROWS', 'The file has a header but no data rows.', '머리글만 있고 데이터 행이 없습니다.'));
  }
  if (records.length > CSV_ROWS_MAX) {
    problems.push(csvProblem(HEADER_ROW + CSV_ROWS_MAX + 1, null, 'TOO_MANY_ROWS', `At most ${CSV_ROWS_MAX} data rows per file; split the file.`, `한 파일에 데이터 행은 최대 ${CSV_ROWS_MAX}개입니다. 파일을 나누어 올려 주세요.`));
    return { rows: [], problems };
  }
  const rows: CsvRow<C>[] = [];
  for (const { record, info } of records) {
    // info.records counts this record; blank lines before it still take a spreadsheet row.
    const row = HEADER_ROW + info.records + info.empty_lines;
    if (info.error?.code === 'CSV_RECORD_INCONSISTENT_COLUMNS') {
      const found = info.error.record?.length ?? 0;
      problems.push(csvProblem(row, null, 'FIELD_COUNT', `This row has ${found} fields; the header has ${columns.length}.`, `이 행의 항목 수(${found})가 머리글의 항목 수(${columns.length})와 다릅니다.`));
      continue;
    }
    const fields = Object.fromEntries(columns.map((c) => [c, record[c] ?? ''])) as Record<C, string>;
    rows.push({ row, fields });
  }
  return { rows, problems };
}

/**
 * Header problems. An unknown header field is named by its position, not its text: a file that
 * lacks its header row has data there (a roster's first RRN), which must not be echoed back.
 */
function headerProblems(names: readonly string[], columns: readonly string[]): CsvProblem[] {
  const out: CsvProblem[] = [];
  const expected = columns.join(',');
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (!columns.includes(name)) {
      out.push(csvProblem(HEADER_ROW, null, 'HEADER_UNKNOWN_COLUMN', `Header field ${i + 1} is not a known column (is the header row missing?); expected ${expected}.`, `머리글의 ${i + 1}번째 항목을 알 수 없습니다(머리글 행이 빠졌나요?). 머리글은 ${expected} 이어야 합니다.`));
    } else if (seen.has(name)) {
      out.push(csvProblem(HEADER_ROW, name, 'HEADER_DUPLICATE_COLUMN', `The header names this column twice; expected ${expected}.`, `머리글에 같은 항목이 두 번 있습니다. 머리글은 ${expected} 이어야 합니다.`));
    }
    seen.add(name);
  });
  for (const c of columns) {
    if (!seen.has(c)) out.push(csvProblem(HEADER_ROW, c, 'HEADER_MISSING_COLUMN', `The header lacks this column; expected ${expected}.`, `머리글에 이 항목이 없습니다. 머리글은 ${expected} 이어야 합니다.`));
  }
  return out;
}

/** A parse that cannot go on (a stray or unclosed quote, a record over the size limit), at the row it began. */
function syntaxProblem(e: CsvError): CsvProblem {
  const counters = e as unknown as { header?: boolean; records?: number; empty_lines?: number };
  const row = counters.header ? HEADER_ROW : HEADER_ROW + (counters.records ?? 0) + (counters.empty_lines ?? 0) + 1;
  // csv-parse's own message quotes the characters it met: never passed on.
  if (e.code === 'CSV_MAX_RECORD_SIZE') {
    return csvProblem(row, null, 'ROW_TOO_LONG', `A row longer than ${CSV_RECORD_BYTES_MAX} bytes (an unclosed quote?): nothing after it can be read.`, `한 행이 ${CSV_RECORD_BYTES_MAX}바이트를 넘습니다(닫히지 않은 따옴표?). 이 행부터는 읽을 수 없습니다.`);
  }
  return csvProblem(row, null, 'MALFORMED', 'Malformed CSV from this row on (a stray or unclosed quote "): nothing after it can be read.', '이 행부터 CSV 형식이 올바르지 않습니다(따옴표 " 가 잘못되었거나 닫히지 않음). 이 행 이후는 읽을 수 없습니다.');
}

/** The 422 answer: every problem in row order (the first CSV_PROBLEMS_LISTED_MAX of them). */
export function csvInvalid(problems: readonly CsvProblem[]): YeyakError {
  const sorted = [...problems].sort((a, b) => a.row - b.row);
  return new YeyakError('YEYAK_E_CSV_INVALID', undefined, {
    errors: sorted.slice(0, CSV_PROBLEMS_LISTED_MAX),
    errorCount: sorted.length,
  });
}

/** Accepts `text/csv` bodies (as a string, up to CSV_BODY_LIMIT_BYTES) on this plugin's routes. */
export function acceptCsvBodies(app: FastifyInstance): void {
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
}
