/**
 * Vaccination records from an operator's CSV (issue #11): POST /api/v1/admin/vaccination-records.
 * A file with any bad row imports nothing; every problem names its row, column and a stable code;
 * no RRN comes back in an answer or goes into the log; only the RRN's keyed hash is stored (the
 * hash person holds); operators only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashRrn } from '../../src/rules/rrn.ts';
import { addStaff } from '../../src/staff/staff.ts';
import { syntheticRrn, TEST_KEYS, type TestApp } from '../helpers/app.ts';
import { API, appOn, ENGINES, OPERATOR } from '../campaigns/helpers.ts';

const URL = `${API}/admin/vaccination-records`;
const a = syntheticRrn('1979-02-03', 701);
const b = syntheticRrn('1988-12-24', 702, 'F');
const digits = (rrn: string) => rrn.replace('-', '');

function post(t: TestApp, body: string, headers: Record<string, string> = OPERATOR) {
  return t.app.inject({ method: 'POST', url: URL, headers: { ...headers, 'content-type': 'text/csv; charset=utf-8' }, payload: body });
}

async function records(t: TestApp) {
  const r = await t.db.query<{ rrn_hash: string; dose: number; day: string; vaccine_id: string; source: string }>(
    'SELECT rrn_hash, dose, day::text AS day, vaccine_id, source FROM vaccination_record ORDER BY rrn_hash, dose',
  );
  return r.rows;
}

describe.each(ENGINES)('vaccination records on $name', ({ postgres }) => {
  let t: TestApp;
  const logLines: string[] = [];
  beforeAll(async () => {
    t = await appOn(postgres, { clinics: 2, now: '2021-12-10T10:00:00+09:00', logger: { level: 'trace', stream: { write: (line: string) => void logLines.push(line) } } });
  }, 120_000);
  afterAll(async () => t?.close());

  it('every bad row is listed with its row, column and code; nothing is imported; no RRN is echoed', async () => {
    const body = [
      'rrn,dose,day,vaccine,source',
      `${a},1,2021-06-10,janssen,KDCA`, // row 2: fine
      `790230-1234567,1,2021-06-10,janssen,KDCA`, // row 3: 30 Feb
      `${b},0,2021-13-01,novavax,`, // row 4: dose, day, vaccine, source
      `${a},1,2021-07-01,pfizer,KDCA`, // row 5: same person and dose as row 2
      `${b},2,2021-12-11,moderna,overseas`, // row 6: after today
      `${b},3,2019-05-05,moderna,overseas`, // row 7: before any COVID-19 dose
    ].join('\n');
    const res = await post(t, body);
    expect(res.statusCode).toBe(422);
    const error = res.json().error as { code: string; details: { errorCount: number; errors: { row: number; column: string | null; code: string }[] } };
    expect(error.code).toBe('YEYAK_E_CSV_INVALID');
    expect(error.details.errors.map((e) => `${e.row}:${e.column}:${e.code}`)).toEqual([
      '3:rrn:RRN_INVALID', '4:dose:DOSE_INVALID', '4:day:DAY_INVALID', '4:vaccine:VACCINE_UNKNOWN', '4:source:SOURCE_INVALID',
      '5:dose:DUPLICATE_ROW', '6:day:DAY_IN_FUTURE', '7:day:DAY_TOO_EARLY',
    ]);
    expect(await records(t)).toEqual([]);
    for (const rrn of [a, b, '790230-1234567']) {
      expect(res.body).not.toContain(digits(rrn).slice(6));
      for (const line of logLines) expect(line).not.toContain(digits(rrn).slice(6));
    }
  });

  it('a file without its header row is refused without echoing the first RRN', async () => {
    const res = await post(t, `${a},1,2021-06-10,janssen,KDCA\n`);
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('HEADER_UNKNOWN_COLUMN');
    expect(res.body).not.toContain(digits(a).slice(6));
    expect(await records(t)).toEqual([]);
  });

  it('a good file stores only keyed hashes; the same person and dose again replaces the record', async () => {
    const res = await post(t, `\uFEFFrrn,dose,day,vaccine,source\r\n${a},1,2021-06-10,janssen,KDCA\r\n${digits(b)},1,2021-07-01,astrazeneca,"KDCA, 보건소"\r\n${b},2,2021-09-20,pfizer,overseas\r\n`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ imported: 3, replaced: 0, rows: 3 });
    const ha = hashRrn(digits(a), TEST_KEYS.rrnHashSecret);
    const hb = hashRrn(digits(b), TEST_KEYS.rrnHashSecret);
    const stored = await records(t);
    expect(stored.map((r) => `${r.rrn_hash}:${r.dose}:${r.day}:${r.vaccine_id}`).sort()).toEqual(
      [`${ha}:1:2021-06-10:janssen`, `${hb}:1:2021-07-01:astrazeneca`, `${hb}:2:2021-09-20:pfizer`].sort(),
    );
    expect(JSON.stringify(stored)).not.toContain(digits(a));
    const again = await post(t, `rrn,dose,day,vaccine,source\n${b},2,2021-09-21,moderna,overseas\n`);
    expect(again.json()).toEqual({ imported: 0, replaced: 1, rows: 1 });
    expect((await records(t)).find((r) => r.rrn_hash === hb && r.dose === 2)).toMatchObject({ day: '2021-09-21', vaccine_id: 'moderna' });
  });

  it('operators only: no credential → 401, a clinic staff member → 403', async () => {
    const body = `rrn,dose,day,vaccine,source\n${a},1,2021-06-10,janssen,KDCA\n`;
    expect((await post(t, body, {})).statusCode).toBe(401);
    const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics` })).json() as { id: string }[];
    const clinic = await addStaff(t.db, { role: 'clinic', clinicId: clinics[0]?.id ?? '', name: '보건소 김간호사' }, t.clock.now());
    expect((await post(t, body, { authorization: `Bearer ${clinic.token}` })).statusCode).toBe(403);
  });
});
