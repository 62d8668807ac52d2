/**
 * Dose-date rules. All days are 'YYYY-MM-DD' in the campaign's time zone. Invalid days throw
 * (RangeError) from the time helpers. The change and cancel windows (changeFreezeDays,
 * cancelUntilDays) are not here: the database decides them, under the reservation's row lock
 * (change_reservation, cancel_reservation), against the campaign-local today booking passes.
 */
import { addDays, daysBetween } from './time.ts';

/** More shifts than a year of blackout days means misconfigured data, not a real calendar. */
const MAX_SHIFTS = 366;

/**
 * Dose 2 = dose 1 + interval; while that lands on a blackout day (e.g. Chuseok), move it by
 * `shiftDays` (2021: five days earlier) and check again. Throws rather than loop forever when
 * `shiftDays` is 0 or the blackout run is implausibly long, so the result always stays within
 * 366 days of dose 1 + interval.
 */
export function dose2Day(
  dose1Day: string,
  intervalDays: number,
  blackoutDays: readonly string[],
  shiftDays: number,
): string {
  const target = addDays(dose1Day, intervalDays);
  const blackout = new Set(blackoutDays);
  let day = target;
  for (let shifts = 0; blackout.has(day); shifts++) {
    if (shiftDays === 0) throw new RangeError(`dose 2 on blackout day ${day} and blackoutShiftDays is 0`);
    const next = addDays(day, shiftDays);
    if (shifts >= MAX_SHIFTS || Math.abs(daysBetween(target, next)) > MAX_SHIFTS) {
      throw new RangeError(`dose 2 from ${target}: blackout days never end (shift ${shiftDays})`);
    }
    day = next;
  }
  return day;
}

