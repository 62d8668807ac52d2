// The change and cancel windows live in SQL: test/booking/windows.test.ts drives them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dose2Day } from '../../src/rules/dose-dates.ts';
import { korea202108Campaign } from '../../src/rules/korea-2021-08.ts';
import { addDays, daysBetween } from '../../src/rules/time.ts';

const CHUSEOK = ['2021-09-20', '2021-09-21', '2021-09-22'];

describe('dose2Day', () => {
  const cases: Array<[dose1: string, interval: number, blackout: string[], shift: number, expected: string]> = [
    ['2021-08-26', 42, [], -5, '2021-10-07'],
    ['2021-08-26', 42, CHUSEOK, -5, '2021-10-07'],
    ['2021-08-10', 42, CHUSEOK, -5, '2021-09-16'], // 21 Sep → 16 Sep
    ['2021-08-09', 42, CHUSEOK, -5, '2021-09-15'], // 20 Sep → 15 Sep
    ['2021-08-11', 42, CHUSEOK, -5, '2021-09-17'], // 22 Sep → 17 Sep
    ['2021-08-12', 42, CHUSEOK, -5, '2021-09-23'], // the day after Chuseok is fine
    ['2021-08-08', 42, CHUSEOK, -5, '2021-09-19'], // the day before too
    ['2021-08-10', 28, CHUSEOK, -5, '2021-09-07'],
    ['2021-08-10', 42, ['2021-09-21', '2021-09-16'], -5, '2021-09-11'], // shifted onto another blackout day: shift again
    ['2021-08-10', 42, CHUSEOK, 1, '2021-09-23'], // a positive shift walks out of the run
    ['2021-12-20', 42, [], -5, '2022-01-31'], // across a year end
    ['2024-01-18', 42, ['2024-02-29'], -1, '2024-02-28'], // leap day
  ];
  it.each(cases)('%s + %i days (blackout %j, shift %i) → %s', (dose1, interval, blackout, shift, expected) => {
    expect(dose2Day(dose1, interval, blackout, shift)).toBe(expected);
  });

  it('uses the campaign data as the 2021 rules did', () => {
    const c = korea202108Campaign();
    expect(dose2Day('2021-08-10', c.dose2IntervalDays ?? 0, c.blackoutDays, c.blackoutShiftDays)).toBe('2021-09-16');
  });

  it('throws instead of looping forever', () => {
    expect(() => dose2Day('2021-08-10', 42, CHUSEOK, 0)).toThrow(RangeError);
    const longRun = Array.from({ length: 400 }, (_, i) => addDays('2021-09-21', -i));
    expect(() => dose2Day('2021-08-10', 42, longRun, -1)).toThrow(RangeError);
    expect(() => dose2Day('2021-02-29', 42, [], -5)).toThrow(RangeError);
  });

  it('never lands on a blackout day and stays within 366 days of dose 1 + interval', () => {
    const start = '2021-01-01';
    const day = fc.integer({ min: 0, max: 800 }).map((n) => addDays(start, n));
    const shift = fc.integer({ min: -10, max: 10 }).filter((n) => n !== 0);
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 90 }), shift, fc.array(fc.integer({ min: -60, max: 60 }), { maxLength: 40 }), (dose1, interval, s, offsets) => {
        const target = addDays(dose1, interval);
        // Blackout days cluster around the target so shifts actually happen.
        const blackout = offsets.map((o) => addDays(target, o));
        const result = dose2Day(dose1, interval, blackout, s);
        expect(blackout).not.toContain(result);
        expect(Math.abs(daysBetween(target, result))).toBeLessThanOrEqual(366);
        // It moves only in the shift's direction, by whole shifts.
        expect(daysBetween(target, result) % s === 0).toBe(true);
        expect(Math.sign(daysBetween(target, result)) * Math.sign(s)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });
});
