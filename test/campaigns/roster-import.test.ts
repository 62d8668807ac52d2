/**
 * Rosters from a CSV (issue #9): POST /api/v1/admin/campaigns/{id}/roster. Only the RRN's keyed
 * hash is stored — the one identity keys people by, so a rostered person who verifies is found —
 * a file with one bad row adds nobody, and no RRN comes back in an answer or goes into the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticRrn, TEST_KEYS, type TestApp } from '../helpers/app.ts';
import { hashRrn } from '../../src/rules/rrn.ts';
import type { CampaignDefinition } from '../../src/campaigns/definition.ts';
import { API, appOn, csvPost, ENGINES, OPERATOR } from './helpers.ts';

const onRoster = syntheticRrn('1979-02-03', 501);
const alsoOnRoster = syntheticRrn('1988-12-24', 502, 'F');
const notOnRoster = syntheticRrn('1979-02-04', 503);

async function rosterHashes(t: TestApp): Promise<string[]> {
  const r = await t.db.query<{ rrn_hash: string }>("SELECT rrn_hash FROM campaign_roster WHERE campaign_id = 'demo' ORDER BY rrn_hash");
  return r.rows.map((x) => x.rrn_hash);
}

const digitsOf = (rrn: string) => rrn.replace('-', '');

describe.each(ENGINES)('roster import on $name', ({ postgres }) => {
  let t: TestApp;
  const logLines: string[] = [];
  beforeAll(async () => {
    t = await appOn(postgres, { clinics: 3, logger: { level: 'trace', stream: { write: (line: string) => void logLines.push(line) } } });
  }, 120_000);
  afterAll(async () => t?.close());

  it('a file with a bad RRN row (row 3) adds nobody; the report names the row and column, never the number', async () => {
    const badDate = '790230-1234567'; // 30 Feb does not exist
    const body = `name,rrn\n김민지,${onRoster}\n이서준,${badDate}\n"Park, Jiwoo",12345\n박하늘,${onRoster}\n\u0007벨,${alsoOnRoster}\n`;
    const res = await csvPost(t, 'demo', 'roster', body);
    expect(res.statusCode).toBe(422);
    const errors = (res.json() as { error: { code: string; details: { errors: { row: number; column: string; code: string }[] } } }).error;
    expect(errors.code).toBe('YEYAK_E_CSV_INVALID');
    expect(errors.details.errors.map((e) => `${e.row}:${e.column}:${e.code}`)).toEqual([
      '3:rrn:RRN_INVALID', '4:rrn:RRN_INVALID', '5:rrn:DUPLICATE_ROW', '6:name:NAME_INVALID',
    ]);
    expect(await rosterHashes(t)).toEqual([]);
    for (const rrn of [onRoster, badDate, alsoOnRoster]) {
      expect(res.body).not.toContain(digitsOf(rrn).slice(6));
      expect(res.body).not.toContain(rrn);
    }
    // A file without its header row: the first person's RRN is where the header should be, and is not echoed.
    const headless = await csvPost(t, 'demo', 'roster', `김민지,${onRoster}\n이서연,${alsoOnRoster}\n`);
    expect(headless.statusCode).toBe(422);
    expect(headless.body).toContain('HEADER_UNKNOWN_COLUMN');
    expect(headless.body).not.toContain(digitsOf(onRoster).slice(6));
    expect(await rosterHashes(t)).toEqual([]);
  });

  it('a good file (BOM, quoted name with a comma) stores only the keyed hashes; a second import adds nobody twice', async () => {
    const body = `\uFEFFname,rrn\r\n"Kim, Minji",${onRoster}\r\n이서연,${digitsOf(alsoOnRoster)}\r\n`;
    const res = await csvPost(t, 'demo', 'roster', body);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ imported: 2, rows: 2 });
    const expected = [onRoster, alsoOnRoster].map((r) => hashRrn(digitsOf(r), TEST_KEYS.rrnHashSecret)).sort();
    expect(await rosterHashes(t)).toEqual(expected);
    const again = await csvPost(t, 'demo', 'roster', `name,rrn\n김민지,${onRoster}\n`);
    expect(again.json()).toEqual({ imported: 0, rows: 1 });
    const dump = JSON.stringify((await t.db.query("SELECT * FROM campaign_roster")).rows);
    for (const rrn of [onRoster, alsoOnRoster]) expect(dump).not.toContain(digitsOf(rrn));
  });

  it('with the roster required, the rostered person is eligible and the other is not', async () => {
    const d = (await t.app.inject({ method: 'GET', url: `${API}/admin/campaigns/demo`, headers: OPERATOR })).json() as CampaignDefinition;
    const put = await t.app.inject({ method: 'PUT', url: `${API}/admin/campaigns/demo`, headers: OPERATOR, payload: { ...d, rosterRequired: true } });
    expect(put.statusCode, put.body).toBe(200);
    const eligibility = async (rrn: string) => {
      const token = await t.login(rrn);
      return (await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/eligibility`, headers: { authorization: `Bearer ${token}` } })).json() as { eligible: boolean; reasons: string[] };
    };
    expect(await eligibility(onRoster)).toMatchObject({ eligible: true });
    expect(await eligibility(notOnRoster)).toMatchObject({ eligible: false, reasons: ['NOT_IN_ROSTER'] });
  });

  it('people born outside the campaign’s range are refused; operators only; the log never holds an RRN', async () => {
    const old = syntheticRrn('1930-01-01', 9);
    const res = await csvPost(t, 'demo', 'roster', `name,rrn\n노인,${old}\n`);
    expect((res.json() as { error: { details: { errors: { code: string }[] } } }).error.details.errors.map((e) => e.code)).toEqual(['RRN_OUTSIDE_COHORT']);
    expect((await csvPost(t, 'demo', 'roster', 'name,rrn\n', {})).statusCode).toBe(401);
    expect((await csvPost(t, 'nope-campaign', 'roster', `name,rrn\n김,${onRoster}\n`)).statusCode).toBe(404);
    const log = logLines.join('');
    expect(log).toContain('roster imported');
    for (const rrn of [onRoster, alsoOnRoster, old, '790230-1234567']) {
      expect(log).not.toContain(digitsOf(rrn));
      expect(log).not.toContain(rrn);
    }
  });
});
