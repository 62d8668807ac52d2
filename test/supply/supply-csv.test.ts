/**
 * Confirmed supply from a CSV (issue #11): POST …/supply.csv, `clinic_id,week_start,vaccine,doses`,
 * the capacity file's conventions — a file with any bad row sets nothing and names every bad row
 * as a spreadsheet shows it (header = row 1) with a stable code; a good one is set in one go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { appOn, capacitySnapshot, ENGINES } from '../campaigns/helpers.ts';
import { API, OPERATOR, postSupplyCsv, supplyOf } from './helpers.ts';

const HEADER = 'clinic_id,week_start,vaccine,doses';

describe.each(ENGINES)('supply CSV on $name', ({ postgres }) => {
  let t: TestApp;
  let clinic: string;
  beforeAll(async () => {
    t = await appOn(postgres, { clinics: 2 });
    clinic = (await t.db.query<{ id: string }>('SELECT id FROM clinic ORDER BY id LIMIT 1')).rows[0]?.id as string;
  }, 120_000);
  afterAll(async () => t?.close());

  it('a file with bad rows sets nothing and lists each with its row and code', async () => {
    const before = await capacitySnapshot(t.db, 'demo');
    const body = [
      HEADER,
      `${clinic},2026-11-30,pfizer,10`, // fine alone, but the file has problems
      `${clinic},2026-12-01,pfizer,10`, // row 3: not a Monday
      `C999999,2026-11-30,pfizer,10`, // row 4: unknown clinic
      `${clinic},2026-11-30,pfizer,-1`, // row 5: bad count (and a duplicate of row 2)
      '',
      `${clinic},2026-13-40,moderna,x`, // row 7: bad date and count
      `${clinic},2026-12-07,pfizer`, // row 8: a field short
    ].join('\n');
    const res = await postSupplyCsv(t, 'demo', body);
    expect(res.statusCode, res.body).toBe(422);
    const error = res.json().error;
    expect(error.code).toBe('YEYAK_E_CSV_INVALID');
    expect(error.details.errors.map((e: { row: number; column: string | null; code: string }) => [e.row, e.column, e.code])).toEqual([
      [3, 'week_start', 'WEEK_NOT_MONDAY'],
      [4, 'clinic_id', 'CLINIC_UNKNOWN'],
      [5, null, 'DUPLICATE_ROW'],
      [5, 'doses', 'DOSES_INVALID'],
      [7, 'week_start', 'DATE_INVALID'],
      [7, 'doses', 'DOSES_INVALID'],
      [8, null, 'FIELD_COUNT'],
    ]);
    expect(await capacitySnapshot(t.db, 'demo')).toBe(before);
    const noHeader = await postSupplyCsv(t, 'demo', `${clinic},2026-11-30,pfizer,10\n`);
    expect(noHeader.json().error.details.errors[0]).toMatchObject({ row: 1, code: 'HEADER_UNKNOWN_COLUMN' });
  });

  it('a good file (BOM, CRLF, quotes) sets every row in one go; GET shows doses, allocated and booked', async () => {
    const weeks = await supplyOf(t.db, 'demo', clinic);
    const [a, b] = weeks;
    if (!a || !b) throw new Error('no supply');
    const body = `\uFEFF${HEADER}\r\n${clinic},${a.week_start},pfizer,${a.allocated + 40}\r\n"${clinic}", ${b.week_start} ,"pfizer",${b.allocated + 41}\r\n`;
    const res = await postSupplyCsv(t, 'demo', body);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ imported: 2, uncoveredTotal: 0, uncovered: [] });
    const got = await t.app.inject({ url: `${API}/admin/campaigns/demo/supply?clinicId=${clinic}`, headers: OPERATOR });
    expect(got.statusCode).toBe(200);
    const rows = got.json().rows as { weekStart: string; doses: number; allocated: number; booked: number }[];
    expect(rows.find((r) => r.weekStart === a.week_start)).toMatchObject({ doses: a.allocated + 40, allocated: a.allocated, booked: 0 });
    expect(rows.find((r) => r.weekStart === b.week_start)).toMatchObject({ doses: b.allocated + 41, allocated: b.allocated });
    expect(got.json().truncated).toBe(false);
  });

  it('operators only', async () => {
    expect((await t.app.inject({ url: `${API}/admin/campaigns/demo/supply` })).statusCode).toBe(401);
    expect((await t.app.inject({ url: `${API}/admin/campaigns/nope/supply`, headers: OPERATOR })).json().error.code).toBe('YEYAK_E_CAMPAIGN_NOT_FOUND');
  });
});
