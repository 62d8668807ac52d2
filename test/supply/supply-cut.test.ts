/**
 * Confirmed supply (issue #11): PUT …/supply raises or cuts a week's delivery. A cut shrinks the
 * week's unbooked capacity first (dose 1, with its dose 2; then dose 2, with the dose-1 days it
 * backs), keeps capacity − remaining = booked on every slot, and reports every booked dose it
 * cannot cover; a dose given back in such a week pays the shortfall instead of being offered again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { dose2Day } from '../../src/rules/dose-dates.ts';
import { appOn, ENGINES } from '../campaigns/helpers.ts';
import { API, book, expectSupplyInvariants, putSupply, supplyOf } from './helpers.ts';

const dose2Of = (day: string) => dose2Day(day, 21, [], -1);
// The demo on 2026-11-26 (a Thursday): dose-1 days 11-27 … 12-17, dose 2 three weeks later.
const WEEK = '2026-11-30';
const DAY = '2026-12-01';

interface Slot { id: number; day: string; dose: number; capacity: number; remaining: number }
async function slotsIn(t: TestApp, clinicId: string, supplyId: number): Promise<Slot[]> {
  const r = await t.db.query<Slot>('SELECT id, day, dose, capacity, remaining FROM slot WHERE clinic_id = $1 AND supply_id = $2 ORDER BY dose, day', [clinicId, supplyId]);
  return r.rows;
}

describe.each(ENGINES)('supply cuts on $name', ({ postgres }) => {
  let t: TestApp;
  let clinic: string;
  beforeAll(async () => {
    t = await appOn(postgres, { clinics: 2 });
    clinic = (await t.db.query<{ id: string }>('SELECT id FROM clinic ORDER BY id LIMIT 1')).rows[0]?.id as string;
  }, 120_000);
  afterAll(async () => t?.close());

  it('a cut takes the unbooked capacity first, dose 2 with it, and covers every booked dose while it can', async () => {
    const booked: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const b = await book(t, 100 + i, clinic, DAY);
      expect(b.status, JSON.stringify(b.body)).toBe(201);
      booked.push(b.body.bookingNumber as string);
    }
    const week = (await supplyOf(t.db, 'demo', clinic)).find((p) => p.week_start === WEEK);
    if (!week) throw new Error('no supply for the week');
    const res = await putSupply(t, 'demo', [{ clinicId: clinic, vaccineId: 'pfizer', weekStart: WEEK, doses: 3 }]);
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report.uncoveredTotal).toBe(0);
    expect(report.uncovered).toEqual([]);
    expect(report.rows).toEqual([expect.objectContaining({ clinicId: clinic, weekStart: WEEK, requested: 3, doses: 3, allocated: 3, booked: 3, uncovered: 0, cut: week.allocated - 3 })]);
    // Every dose-1 slot of the week holds only what is booked; the booked day's dose 2 too.
    for (const s of await slotsIn(t, clinic, week.id)) expect(s).toMatchObject({ remaining: 0, capacity: s.day === DAY ? 3 : 0 });
    const dose2 = await t.db.query<Slot>("SELECT capacity, remaining FROM slot WHERE clinic_id = $1 AND dose = 2 AND day = $2", [clinic, dose2Of(DAY)]);
    expect(dose2.rows[0]).toMatchObject({ capacity: 3, remaining: 0 });
    await expectSupplyInvariants(t.db, dose2Of);
    // The availability view no longer offers the week.
    const dates = await t.app.inject({ url: `${API}/campaigns/demo/clinics/${clinic}/dates` });
    const offered = (dates.json() as { date: string; remaining: number }[]).filter((d) => d.remaining > 0).map((d) => d.date);
    expect(offered.filter((d) => d >= WEEK && d < '2026-12-07')).toEqual([]);
  });

  it('a cut below what is booked keeps the bookings, lists the latest as uncovered, and a cancel there pays the shortfall', async () => {
    const res = await putSupply(t, 'demo', [{ clinicId: clinic, vaccineId: 'pfizer', weekStart: WEEK, doses: 1 }]);
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report.rows[0]).toMatchObject({ requested: 1, doses: 3, allocated: 3, booked: 3, uncovered: 2, cut: 0 });
    expect(report.uncoveredTotal).toBe(2);
    const numbers = await t.db.query<{ booking_number: string }>(
      "SELECT booking_number FROM reservation WHERE clinic_id = $1 AND status = 'confirmed' ORDER BY created_at DESC, id DESC LIMIT 2", [clinic]);
    expect(report.uncovered.map((u: { bookingNumber: string }) => u.bookingNumber).sort()).toEqual(numbers.rows.map((r) => r.booking_number).sort());
    for (const u of report.uncovered) expect(u).toMatchObject({ dose: 1, day: DAY, clinicId: clinic, vaccineId: 'pfizer', weekStart: WEEK });
    await expectSupplyInvariants(t.db, dose2Of);

    // One of them cancels: the dose goes to the shortfall, not back on offer.
    const who = await t.db.query<{ booking_number: string }>(
      "SELECT booking_number FROM reservation WHERE clinic_id = $1 AND status = 'confirmed' ORDER BY id LIMIT 1", [clinic]);
    const bookingNumber = who.rows[0]?.booking_number as string;
    const token = await t.login((await import('../helpers/app.ts')).syntheticRrn('1980-05-05', 101));
    const cancel = await t.app.inject({ method: 'DELETE', url: `${API}/reservations/${bookingNumber}`, headers: { authorization: `Bearer ${token}` } });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const week = (await supplyOf(t.db, 'demo', clinic)).find((p) => p.week_start === WEEK);
    expect(week).toMatchObject({ doses: 2, allocated: 2, uncovered: 1 });
    const day = (await slotsIn(t, clinic, week?.id as number)).find((s) => s.day === DAY);
    expect(day).toMatchObject({ capacity: 2, remaining: 0 });
    await expectSupplyInvariants(t.db, dose2Of);
  });

  it('a raise gives the week room again; a cut of a week with dose-2 days also cuts the dose-1 days they back', async () => {
    const raise = await putSupply(t, 'demo', [{ clinicId: clinic, vaccineId: 'pfizer', weekStart: WEEK, doses: 50 }]);
    expect(raise.json().rows[0]).toMatchObject({ requested: 50, doses: 50, allocated: 2, uncovered: 0, cut: 0 });
    // 2026-12-14: dose-1 days 12-14 … 12-17 and the dose-2 days of 11-27 … 11-29 (12-18 … 12-20).
    const late = '2026-12-14';
    const res = await putSupply(t, 'demo', [{ clinicId: clinic, vaccineId: 'pfizer', weekStart: late, doses: 0 }]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().rows[0]).toMatchObject({ requested: 0, doses: 0, allocated: 0, uncovered: 0 });
    const feeders = await t.db.query<Slot>("SELECT day, capacity, remaining FROM slot WHERE clinic_id = $1 AND dose = 1 AND day BETWEEN '2026-11-27' AND '2026-11-29'", [clinic]);
    expect(feeders.rows.length).toBe(3);
    for (const s of feeders.rows) expect(s).toMatchObject({ capacity: 0, remaining: 0 });
    await expectSupplyInvariants(t.db, dose2Of);
  });

  it('a booked dose 2 in a week cut to nothing is listed as uncovered, and its dose-1 day keeps only what is booked', async () => {
    const other = (await t.db.query<{ id: string }>('SELECT id FROM clinic ORDER BY id OFFSET 1 LIMIT 1')).rows[0]?.id as string;
    const b = await book(t, 200, other, '2026-11-27'); // dose 2 on 12-18, in the week of 12-14
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    const res = await putSupply(t, 'demo', [{ clinicId: other, vaccineId: 'pfizer', weekStart: '2026-12-14', doses: 0 }]);
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report.rows[0]).toMatchObject({ requested: 0, doses: 1, allocated: 1, booked: 1, uncovered: 1 });
    expect(report.uncovered).toEqual([{ bookingNumber: b.body.bookingNumber, dose: 2, day: dose2Of('2026-11-27'), clinicId: other, vaccineId: 'pfizer', weekStart: '2026-12-14' }]);
    const feeder = await t.db.query<Slot>("SELECT capacity, remaining FROM slot WHERE clinic_id = $1 AND dose = 1 AND day = '2026-11-27'", [other]);
    expect(feeder.rows[0]).toMatchObject({ capacity: 1, remaining: 0 });
    await expectSupplyInvariants(t.db, dose2Of);
  });

  it('refuses bad rows with their row numbers and stable codes, and changes nothing', async () => {
    const before = await supplyOf(t.db, 'demo', clinic);
    const res = await putSupply(t, 'demo', [
      { clinicId: clinic, vaccineId: 'pfizer', weekStart: '2026-12-01', doses: 5 },
      { clinicId: 'C999999', vaccineId: 'pfizer', weekStart: WEEK, doses: 5 },
      { clinicId: clinic, vaccineId: 'nope', weekStart: WEEK, doses: 5 },
      { clinicId: clinic, vaccineId: 'pfizer', weekStart: WEEK, doses: 0 },
      { clinicId: clinic, vaccineId: 'pfizer', weekStart: WEEK, doses: 1 },
    ]);
    expect(res.statusCode).toBe(422);
    const error = res.json().error;
    expect(error.code).toBe('YEYAK_E_SUPPLY_INVALID');
    expect(error.details.errors.map((e: { row: number; code: string }) => [e.row, e.code])).toEqual([
      [1, 'WEEK_NOT_MONDAY'], [2, 'CLINIC_UNKNOWN'], [3, 'VACCINE_UNKNOWN'], [5, 'DUPLICATE_ROW'],
    ]);
    expect(await supplyOf(t.db, 'demo', clinic)).toEqual(before);
  });
});
