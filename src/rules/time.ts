/**
 * Calendar and time-zone helpers. Every rule about "which day" or "what hour" is evaluated in the
 * campaign's IANA zone, never the server's: in July 2021 a bug in reading the current time told
 * eligible people "not eligible" for seven hours. Luxon is always given an explicit zone here, so
 * the process's TZ cannot leak in.
 *
 * Days are plain 'YYYY-MM-DD' strings; day arithmetic is done in UTC, where every day has 24 hours.
 */
import { DateTime } from 'luxon';

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const HHMM_RE = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;
const MS_PER_DAY = 86_400_000;

/** Strict 'YYYY-MM-DD' that names a real calendar date (2021-02-29 is not one). */
/** Korea's zone: where people's "today" is (a birth date in the future, a clinic's day). Campaigns carry their own. */
export const KOREA_TIME_ZONE = 'Asia/Seoul';

export function isRealDay(s: string): boolean {
  return DAY_RE.test(s) && DateTime.fromISO(s, { zone: 'utc' }).isValid;
}

function utcDay(day: string): DateTime {
  if (!isRealDay(day)) throw new RangeError(`not a real day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  return DateTime.fromISO(day, { zone: 'utc' });
}

function inZone(instant: Date, timeZone: string): DateTime {
  const dt = DateTime.fromJSDate(instant, { zone: timeZone });
  if (!dt.isValid) throw new RangeError(`invalid instant or time zone: ${timeZone} (${dt.invalidReason ?? ''})`);
  return dt;
}

/** The calendar day ('YYYY-MM-DD') that `instant` falls on in `timeZone`. */
export function localDay(instant: Date, timeZone: string): string {
  return inZone(instant, timeZone).toFormat('yyyy-MM-dd');
}

/**
 * The instant of wall-clock `hhmm` ('HH:mm' or 'HH:mm:ss') on `day` in `timeZone`. A wall time that
 * does not exist (a DST gap) moves forward, as Luxon does; Asia/Seoul has had no DST since 1988.
 */
export function zonedInstant(day: string, hhmm: string, timeZone: string): Date {
  if (!HHMM_RE.test(hhmm)) throw new RangeError(`not a wall time (HH:mm[:ss]): ${JSON.stringify(hhmm)}`);
  utcDay(day);
  const dt = DateTime.fromISO(`${day}T${hhmm}`, { zone: timeZone });
  if (!dt.isValid) throw new RangeError(`invalid time zone: ${timeZone} (${dt.invalidReason ?? ''})`);
  return dt.toJSDate();
}

/** `day` moved by `n` calendar days (n may be negative). */
export function addDays(day: string, n: number): string {
  if (!Number.isInteger(n)) throw new RangeError(`addDays: n must be an integer, got ${n}`);
  return utcDay(day).plus({ days: n }).toFormat('yyyy-MM-dd');
}

/** Calendar days from `fromDay` to `toDay` (to − from): ('2021-08-26', '2021-08-28') → 2. */
export function daysBetween(fromDay: string, toDay: string): number {
  return Math.round((utcDay(toDay).toMillis() - utcDay(fromDay).toMillis()) / MS_PER_DAY);
}

/** ISO-8601 with the zone's offset, e.g. '2021-08-11T20:00:00+09:00' (milliseconds only if non-zero). */
export function isoInZone(instant: Date, timeZone: string): string {
  return inZone(instant, timeZone).toISO({ suppressMilliseconds: true }) ?? '';
}

/** Short human wall time in the zone: ko '8월 11일 20:00', en 'Aug 11, 20:00'. */
export function formatLocal(instant: Date, timeZone: string, locale: 'ko' | 'en'): string {
  const dt = inZone(instant, timeZone);
  // Fixed patterns (not Intl presets) so the text is the same on every ICU build.
  return locale === 'ko' ? dt.toFormat("M'월' d'일' HH:mm") : dt.setLocale('en-US').toFormat('MMM d, HH:mm');
}
