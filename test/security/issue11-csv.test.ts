/**
 * Security review of issue #11's CSV uploads (supply, vaccination records) against a malicious
 * file: formula cells (=, +, -, @) and an RRN in the wrong column are never echoed into the
 * answer the console lists (nor into the log); a file over the body limit is refused before it is
 * parsed; huge or negative numbers and exponent forms are refused; nothing is half-imported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_BODY_LIMIT_BYTES } from '../../src/campaigns/csv.ts';
import { syntheticRrn, TEST_ADMIN_TOKEN, type TestApp, createTestApp } from '../helpers/app.ts';

const API = '/api/v1';
const operator = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'text/csv; charset=utf-8' };
/** A CSV cell, quoted as a spreadsheet writes it. */
const q = (cell: string) => `"${cell.replaceAll('"', '""')}"`;
const FORMULAS = ["=HYPERLINK(\"http://evil.kr\",\"x\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", '@SUM(1+1)*cmd|calc'];

describe('issue #11 CSV uploads against a malicious file', () => {
  let t: TestApp;
  let clinic: string;
  const logLines: string[] = [];
  beforeAll(async () => {
    t = await createTestApp({ clinics: 2, logger: { level: 'trace', stream: { write: (line: string) => void logLines.push(line) } } });
    clinic = (await t.db.query<{ id: string }>('SELECT id FROM clinic ORDER BY id LIMIT 1')).rows[0]?.id as string;
  }, 120_000);
  afterAll(async () => t?.close());

  const post = (url: string, payload: string) => t.app.inject({ method: 'POST', url, headers: operator, payload });
  const supplyRows = async () => (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM supply')).rows[0]?.n;

  it('supply: formula cells in every column → 422 with rows and codes, no cell echoed; nothing set', async () => {
    const before = await supplyRows();
    const body = ['clinic_id,week_start,vaccine,doses', ...FORMULAS.map((f) => [q(f), q(f), q(f), q(f)].join(','))].join('\r\n');
    const res = await post(`${API}/admin/campaigns/demo/supply.csv`, body);
    expect(res.statusCode, res.body).toBe(422);
    for (const needle of ['HYPERLINK', 'cmd', 'calc', 'SUM', 'evil']) expect(res.body).not.toContain(needle);
    // Read as rows (not one MALFORMED): each cell refused by its column's code.
    const columns = (res.json().error.details.errors as { row: number; column: string | null }[]).filter((e) => e.row === 2).map((e) => e.column);
    expect(columns).toEqual(expect.arrayContaining(['clinic_id', 'week_start', 'doses']));
    expect(await supplyRows()).toBe(before);
  });

  it('supply: negative, huge, exponent and fractional doses, a non-Monday week, a duplicated row → each refused by code', async () => {
    const rows = ['-1', '99999999999999999999', '1e3', '10.5', ' 0x10'].map((d) => `${clinic},2026-11-30,pfizer,${d}`);
    const res = await post(`${API}/admin/campaigns/demo/supply.csv`, ['\uFEFFclinic_id,week_start,vaccine,doses', ...rows, `${clinic},2026-12-01,pfizer,5`, `${clinic},2026-12-07,pfizer,5`, `${clinic},2026-12-07,pfizer,5`].join('\r\n'));
    expect(res.statusCode, res.body).toBe(422);
    const codes = (res.json().error.details.errors as { row: number; code: string }[]).map((e) => `${e.row}:${e.code}`);
    for (const row of [2, 3, 4, 5, 6]) expect(codes).toContain(`${row}:DOSES_INVALID`);
    expect(codes).toContain('7:WEEK_NOT_MONDAY');
    expect(codes).toContain('9:DUPLICATE_ROW');
  });

  it('a file over the CSV body limit → 413 before it is read; nothing set', async () => {
    const before = await supplyRows();
    const row = `${clinic},2026-11-30,pfizer,10\n`;
    const res = await post(`${API}/admin/campaigns/demo/supply.csv`, `clinic_id,week_start,vaccine,doses\n${row.repeat(Math.ceil((CSV_BODY_LIMIT_BYTES + 1) / row.length))}`);
    expect(res.statusCode).toBe(413);
    expect(await supplyRows()).toBe(before);
  });

  it('vaccination records: an RRN in the source column, formula cells → 422 without either, in the answer or the log', async () => {
    const rrn = syntheticRrn('1979-02-03', 911);
    const digits = rrn.replace('-', '');
    logLines.length = 0;
    const body = ['rrn,dose,day,vaccine,source', `${rrn},1,2021-06-10,janssen,${rrn}\u0007`, ...FORMULAS.map((f) => `${q(f)},1,2021-06-10,janssen,${q(f)}`), `${rrn},1,2099-01-01,janssen,KDCA`].join('\n');
    const res = await post(`${API}/admin/vaccination-records`, body);
    expect(res.statusCode, res.body).toBe(422);
    for (const needle of [digits.slice(6), 'HYPERLINK', 'cmd', 'SUM', 'evil']) {
      expect(res.body).not.toContain(needle);
      for (const line of logLines) expect(line).not.toContain(needle);
    }
    const codes = (res.json().error.details.errors as { row: number; code: string }[]).map((e) => `${e.row}:${e.code}`);
    expect(codes).toContain('2:SOURCE_INVALID');
    expect(codes).toContain('7:DAY_IN_FUTURE');
    expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM vaccination_record')).rows[0]?.n).toBe(0);
  });
});
