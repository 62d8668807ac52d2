/**
 * Capacity from a CSV (issue #9): POST /api/v1/admin/campaigns/{id}/capacity. A file with any bad
 * row imports nothing and names every bad row as a spreadsheet shows it (header = row 1); a good
 * file moves dose-1 capacity, dose 2 follows (the sum of the dose-1 days whose dose-2 day it is),
 * supply stays the sum of its slots, and availability shows the change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { addStaff } from '../../src/staff/staff.ts';
import { dose2Day } from '../../src/rules/dose-dates.ts';
import { API, appOn, bookDemo, capacitySnapshot, csvPost, ENGINES, OPERATOR } from './helpers.ts';

const HEADER = 'clinic_id,date,vaccine,capacity';
/** A clinic with no slots yet (its 시/도 is 서울, 11; rule: pfizer everywhere). */
const NEW_CLINIC = 'C900001';

interface Slot {
  id: number;
  day: string;
  capacity: number;
  remaining: number;
  supply_id: number;
}

async function slotsOf(t: TestApp, clinicId: string, dose: 1 | 2): Promise<Slot[]> {
  const r = await t.db.query<Slot>(
    `SELECT id, day, capacity, remaining, supply_id FROM slot WHERE campaign_id = 'demo' AND clinic_id = $1 AND dose = $2 ORDER BY day`,
    [clinicId, dose],
  );
  return r.rows;
}

const errorsOf = (res: { json(): unknown }) => (res.json() as { error: { details: { errors: { row: number; column: string | null; code: string }[] } } }).error.details.errors;

describe.each(ENGINES)('capacity import on $name', ({ postgres }) => {
  let t: TestApp;
  let clinic: string;
  let other: string;
  beforeAll(async () => {
    t = await appOn(postgres, {
      clinics: 3,
      beforeBuild: async (db) => {
        await db.query(`INSERT INTO clinic (id, name, sido_code, sigungu_code, address, phone)
                        SELECT $1, '새 접종센터', sido_code, sigungu_code, '서울 어딘가 1', '02-000-0000' FROM clinic ORDER BY id LIMIT 1`, [NEW_CLINIC]);
      },
    });
    const clinics = await t.db.query<{ id: string }>("SELECT id FROM clinic WHERE id <> $1 ORDER BY id", [NEW_CLINIC]);
    clinic = clinics.rows[0]?.id as string;
    other = clinics.rows[1]?.id as string;
  }, 120_000);
  afterAll(async () => t?.close());

  it('a good file (BOM, CRLF, quotes, spaces, a blank line) lowers dose 1, dose 2 and supply follow, availability shows it', async () => {
    const [d1, d2] = await slotsOf(t, clinic, 1);
    if (!d1 || !d2) throw new Error('no slots');
    const dose2Before = await slotsOf(t, clinic, 2);
    const supplyBefore = await t.db.query<{ id: number; allocated: number }>("SELECT id, allocated FROM supply WHERE campaign_id = 'demo' AND clinic_id = $1 ORDER BY id", [clinic]);
    const body = `\uFEFF${HEADER}\r\n${clinic},${d1.day},pfizer,${d1.capacity - 5}\r\n\r\n"${clinic}", ${d2.day} ,"pfizer", ${d2.capacity - 2} \r\n`;
    const res = await csvPost(t, 'demo', 'capacity', body);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ imported: 2, rows: 2 });

    const after = await slotsOf(t, clinic, 1);
    expect(after.find((s) => s.id === d1.id)).toMatchObject({ capacity: d1.capacity - 5, remaining: d1.remaining - 5 });
    expect(after.find((s) => s.id === d2.id)).toMatchObject({ capacity: d2.capacity - 2, remaining: d2.remaining - 2 });
    // Dose 2 of each day (+21, no blackout days in the demo) went down by the same.
    const dose2After = await slotsOf(t, clinic, 2);
    for (const [day1, delta] of [[d1.day, 5], [d2.day, 2]] as const) {
      const day2 = dose2Day(day1, 21, [], -1);
      const was = dose2Before.find((s) => s.day === day2);
      expect(dose2After.find((s) => s.day === day2)?.capacity).toBe((was?.capacity ?? 0) - delta);
    }
    // Supply: still exactly the sum of the capacity of its slots.
    const sums = await t.db.query<{ id: number; allocated: number; slots: number }>(
      `SELECT p.id, p.allocated, (SELECT coalesce(sum(s.capacity), 0)::int FROM slot s WHERE s.supply_id = p.id) AS slots
         FROM supply p WHERE p.campaign_id = 'demo' AND p.clinic_id = $1 ORDER BY p.id`,
      [clinic],
    );
    for (const row of sums.rows) expect(row.allocated).toBe(row.slots);
    const moved = supplyBefore.rows.reduce((sum, b) => sum + b.allocated, 0) - sums.rows.reduce((sum, b) => sum + b.allocated, 0);
    expect(moved).toBe(2 * (5 + 2));

    await t.app.yeyak.availability.refresh();
    const dates = await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/${clinic}/dates` });
    const shown = (dates.json() as { date: string; remaining: number }[]).find((d) => d.date === d1.day);
    expect(shown?.remaining).toBe(d1.remaining - 5);
  });

  it('one bad row (row 3) → 422 naming row 3 and its column, and no slot or supply changed', async () => {
    const [d1, d2] = await slotsOf(t, other, 1);
    if (!d1 || !d2) throw new Error('no slots');
    const before = await capacitySnapshot(t.db, 'demo');
    const body = `${HEADER}\n${other},${d1.day},pfizer,${d1.capacity - 1}\n${other},${d2.day},pfizer,lots\n`;
    const res = await csvPost(t, 'demo', 'capacity', body);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ error: { code: 'YEYAK_E_CSV_INVALID' } });
    expect(errorsOf(res)).toEqual([expect.objectContaining({ row: 3, column: 'capacity', code: 'CAPACITY_INVALID', messageKo: expect.any(String) })]);
    expect(await capacitySnapshot(t.db, 'demo')).toBe(before);
  });

  it('every kind of bad row is listed with its row and column; nothing is imported', async () => {
    const [d1, d2, d3] = await slotsOf(t, other, 1);
    if (!d1 || !d2 || !d3) throw new Error('no slots');
    const before = await capacitySnapshot(t.db, 'demo');
    const lines = [
      `${other},${d1.day},pfizer,${d1.capacity}`, // 2: fine (unchanged)
      `C999999,${d1.day},pfizer,10`, // 3: unknown clinic
      `${other},2026-02-30,pfizer,10`, // 4: not a day
      `${other},2027-03-01,pfizer,10`, // 5: outside the shot days
      `${other},${d2.day},sputnik,10`, // 6: unknown vaccine
      `${other},${d2.day},moderna,10`, // 7: not the rule's vaccine
      `${other},${d3.day},pfizer,-1`, // 8: negative
      `${other},${d3.day},pfizer,2.5`, // 9: not whole, and the same clinic, day and vaccine as row 8
      `${other},${d1.day},pfizer,${d1.capacity}`, // 10: duplicate of row 2
      `${other},${d2.day},pfizer,100000`, // 11: over the confirmed supply
      `${other},${d3.day}`, // 12: too few fields
      `"${other},${d2.day}",pfizer,10`, // 13: the quoted comma does not split: 3 fields, not 4
    ];
    const res = await csvPost(t, 'demo', 'capacity', `${HEADER}\n${lines.join('\n')}\n`);
    expect(res.statusCode).toBe(422);
    const found = errorsOf(res).map((e) => `${e.row}:${e.column}:${e.code}`);
    expect(found).toEqual(expect.arrayContaining([
      '3:clinic_id:CLINIC_UNKNOWN', '4:date:DATE_INVALID', '5:date:DATE_OUTSIDE_CAMPAIGN', '6:vaccine:VACCINE_UNKNOWN',
      '7:vaccine:VACCINE_NOT_RULE', '8:capacity:CAPACITY_INVALID', '9:capacity:CAPACITY_INVALID', '9:null:DUPLICATE_ROW',
      '10:null:DUPLICATE_ROW', '11:capacity:OVER_SUPPLY', '12:null:FIELD_COUNT', '13:null:FIELD_COUNT',
    ]));
    expect(found.some((f) => f.startsWith('2:'))).toBe(false);
    expect(await capacitySnapshot(t.db, 'demo')).toBe(before);
  });

  it('a quoted field keeps its comma (one field, not two), and a header of the wrong names is row 1', async () => {
    const [d1] = await slotsOf(t, other, 1);
    if (!d1) throw new Error('no slots');
    const quoted = await csvPost(t, 'demo', 'capacity', `${HEADER}\n${other},${d1.day},"pfizer,moderna",10\n`);
    expect(errorsOf(quoted).map((e) => `${e.row}:${e.column}:${e.code}`)).toEqual(['2:vaccine:VACCINE_UNKNOWN']);
    const header = await csvPost(t, 'demo', 'capacity', `clinic,date,vaccine,capacity,extra\n${other},${d1.day},pfizer,10,1\n`);
    expect(errorsOf(header).map((e) => `${e.row}:${e.column}:${e.code}`)).toEqual([
      '1:null:HEADER_UNKNOWN_COLUMN', '1:null:HEADER_UNKNOWN_COLUMN', '1:clinic_id:HEADER_MISSING_COLUMN',
    ]);
    const twice = await csvPost(t, 'demo', 'capacity', `clinic_id,date,vaccine,capacity,date\n${other},${d1.day},pfizer,10,x\n`);
    expect(errorsOf(twice).map((e) => `${e.row}:${e.column}:${e.code}`)).toEqual(['1:date:HEADER_DUPLICATE_COLUMN']);
    const stray = await csvPost(t, 'demo', 'capacity', `${HEADER}\n${other},${d1.day},pfizer,10\n${other},"2026-1"2-01,pfizer,10\n`);
    expect(errorsOf(stray).map((e) => `${e.row}:${e.code}`)).toEqual(['3:MALFORMED']);
    for (const empty of ['', '\uFEFF', `${HEADER}\n`]) {
      const res = await csvPost(t, 'demo', 'capacity', empty);
      expect(res.statusCode).toBe(422);
    }
  });

  it('capacity below what is booked (dose 1, and dose 2 behind it) is refused for that row', async () => {
    const [d1] = await slotsOf(t, other, 1);
    if (!d1) throw new Error('no slots');
    await bookDemo(t, '1980-05-05', 42, other, d1.day);
    const before = await capacitySnapshot(t.db, 'demo');
    const res = await csvPost(t, 'demo', 'capacity', `${HEADER}\n${other},${d1.day},pfizer,0\n`);
    expect(errorsOf(res).map((e) => `${e.row}:${e.column}:${e.code}`)).toEqual(['2:capacity:BELOW_BOOKED', '2:capacity:DOSE2_BELOW_BOOKED']);
    expect(await capacitySnapshot(t.db, 'demo')).toBe(before);
    const exact = await csvPost(t, 'demo', 'capacity', `${HEADER}\n${other},${d1.day},pfizer,1\n`);
    expect(exact.statusCode, exact.body).toBe(200);
    expect((await slotsOf(t, other, 1)).find((s) => s.id === d1.id)).toMatchObject({ capacity: 1, remaining: 0 });
  });

  it('a clinic-day without a slot needs supply; with it, dose 1 and dose 2 slots are created and bookable', async () => {
    const day = '2026-12-01';
    const day2 = dose2Day(day, 21, [], -1);
    const body = `${HEADER}\n${NEW_CLINIC},${day},pfizer,30\n`;
    const before = await capacitySnapshot(t.db, 'demo');
    const refused = await csvPost(t, 'demo', 'capacity', body);
    expect(errorsOf(refused).map((e) => `${e.row}:${e.column}:${e.code}`)).toEqual(['2:vaccine:NO_SUPPLY', '2:vaccine:NO_SUPPLY_DOSE2']);
    expect(await capacitySnapshot(t.db, 'demo')).toBe(before);

    await t.db.query(
      `INSERT INTO supply (campaign_id, clinic_id, vaccine_id, week_start, doses)
       VALUES ('demo', $1, 'pfizer', date_trunc('week', $2::date)::date, 40), ('demo', $1, 'pfizer', date_trunc('week', $3::date)::date, 40)`,
      [NEW_CLINIC, day, day2],
    );
    const created = await csvPost(t, 'demo', 'capacity', body);
    expect(created.statusCode, created.body).toBe(200);
    expect(created.json()).toEqual({ imported: 1, rows: 1 });
    expect((await slotsOf(t, NEW_CLINIC, 1)).map((s) => [s.day, s.capacity, s.remaining])).toEqual([[day, 30, 30]]);
    expect((await slotsOf(t, NEW_CLINIC, 2)).map((s) => [s.day, s.capacity, s.remaining])).toEqual([[day2, 30, 30]]);
    const supply = await t.db.query<{ allocated: number }>("SELECT allocated FROM supply WHERE clinic_id = $1 ORDER BY week_start", [NEW_CLINIC]);
    expect(supply.rows.map((r) => r.allocated)).toEqual([30, 30]);
    // This node's availability view loaded the new slots at once.
    const dates = await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/${NEW_CLINIC}/dates` });
    expect(dates.statusCode, dates.body).toBe(200);
    expect(dates.json()).toEqual([{ date: day, remaining: 30, vaccine: 'pfizer', dose2Date: day2 }]);
    // 40 doses a week: a second day of 20 would need 50.
    const over = await csvPost(t, 'demo', 'capacity', `${HEADER}\n${NEW_CLINIC},2026-12-02,pfizer,20\n`);
    expect(errorsOf(over).map((e) => `${e.row}:${e.code}`)).toEqual(['2:OVER_SUPPLY', '2:OVER_SUPPLY']);
  });

  it('a constraint the checks do not model fails the write: 422 for the rows, everything rolled back', async () => {
    const [d1, d2] = await slotsOf(t, clinic, 1);
    if (!d1 || !d2) throw new Error('no slots');
    await t.db.query('ALTER TABLE slot ADD CONSTRAINT test_no_seven CHECK (capacity <> 7)');
    try {
      const before = await capacitySnapshot(t.db, 'demo');
      // Row 2's change alone would pass; row 3's trips the constraint in the same UPDATE, and both roll back.
      const res = await csvPost(t, 'demo', 'capacity', `${HEADER}\n${clinic},${d1.day},pfizer,${d1.capacity - 1}\n${clinic},${d2.day},pfizer,7\n`);
      expect(res.statusCode).toBe(422);
      expect(errorsOf(res).map((e) => `${e.row}:${e.code}`)).toEqual(['2:WRITE_REFUSED', '3:WRITE_REFUSED']);
      expect(res.body).toContain('test_no_seven');
      expect(await capacitySnapshot(t.db, 'demo')).toBe(before);
    } finally {
      await t.db.query('ALTER TABLE slot DROP CONSTRAINT test_no_seven');
    }
  });

  it('operators only; an unknown campaign is 404; JSON is not CSV; a body over 5 MiB is 413', async () => {
    const { token } = await addStaff(t.db, { role: 'clinic', clinicId: clinic, name: '접수' }, t.clock.now());
    const clinicStaff = await csvPost(t, 'demo', 'capacity', `${HEADER}\n`, { authorization: `Bearer ${token}` });
    expect(clinicStaff.statusCode).toBe(403);
    expect((await csvPost(t, 'demo', 'capacity', `${HEADER}\n`, {})).statusCode).toBe(401);
    const unknown = await csvPost(t, 'nope-campaign', 'capacity', `${HEADER}\n${clinic},2026-12-01,pfizer,1\n`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'YEYAK_E_CAMPAIGN_NOT_FOUND' } });
    const json = await t.app.inject({ method: 'POST', url: `${API}/admin/campaigns/demo/capacity`, headers: OPERATOR, payload: { rows: [] } });
    expect(json.statusCode).toBe(400);
    const huge = await csvPost(t, 'demo', 'capacity', `${HEADER}\n${'x'.repeat(5 * 1024 * 1024)}\n`);
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ error: { code: 'YEYAK_E_BODY_TOO_LARGE' } });
  });
});
