/**
 * Dose-date rules. All days are 'YYYY-MM-DD' in the campaign's time zone; `today` must be the
 * campaign-local day of "now" (localDay(clock.now(), campaign.timeZone)), not the server's date.
 * Invalid days throw (RangeError) from the time helpers.
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

/**
 * A reservation may be changed while the dose-1 day is at least `freezeDays` days away:
 * refused when daysBetween(today, dose1Day) < freezeDays, because deliveries are fixed that far
 * ahead. With 14: shot on 26 Aug → last change on 12 Aug. Callers check both the current and the
 * new dose-1 day.
 */
export function canChange(currentDose1Day: string, today: string, freezeDays: number): boolean {
  return daysBetween(today, currentDose1Day) >= freezeDays;
}

/**
 * Cancellation is allowed while daysBetween(today, dose1Day) >= untilDays.
 * With 2: shot on 26 Aug → last cancellation on 24 Aug.
 */
export function canCancel(dose1Day: string, today: string, untilDays: number): boolean {
  return daysBetween(today, dose1Day) >= untilDays;
}
