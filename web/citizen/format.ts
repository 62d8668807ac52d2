/**
 * Dates and times as citizens read them: always in the campaign's zone (Korea time), whatever
 * the phone's own zone, worded by the dictionary (`t.fmt`). Days are 'YYYY-MM-DD' strings in
 * that zone; their arithmetic is done on UTC midnights so no zone or DST can shift them.
 */
import { nowMs } from '../shared/clock.ts';
import { lang, pick } from '../shared/ui.tsx';
import { citizen as ko } from '../i18n/ko/citizen.ts';
import { citizen as en } from '../i18n/en/citizen.ts';

export const KOREA = 'Asia/Seoul';
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsIn(ms: number, timeZone: string): { y: number; m: number; d: number; hm: string } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const x of f.formatToParts(ms)) p[x.type] = x.value;
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day), hm: `${p.hour}:${p.minute}` };
}

function ymdParts(ymd: string): { y: number; m: number; d: number; w: number } {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  return { y, m, d, w: new Date(Date.UTC(y, m - 1, d)).getUTCDay() };
}

const dict = () => pick({ ko, en }).fmt;

/** An instant: "8월 11일 20:00" / "11 Aug 20:00". */
export function instant(iso: string, timeZone = KOREA): string {
  const p = partsIn(Date.parse(iso), timeZone);
  return dict().instant(p.m, p.d, p.hm);
}

/** A day with its weekday: "8월 26일 (목)" / "Thu 26 Aug"; withYear: "2021년 8월 26일 (목)". */
export function day(ymd: string, withYear = false): string {
  const p = ymdParts(ymd);
  return withYear ? dict().fullDay(p.y, p.m, p.d, p.w) : dict().day(p.m, p.d, p.w);
}

/** A birth date bound of a campaign ('1972-01-01'): "1972년 1월 1일". */
export function birthDay(ymd: string): string {
  const p = ymdParts(ymd);
  return dict().birthDay(p.y, p.m, p.d);
}

export function count(n: number): string {
  return n.toLocaleString(lang.value === 'ko' ? 'ko-KR' : 'en-GB');
}

/** Today in the zone, by the page's (server-synced) clock. */
export function today(timeZone = KOREA): string {
  const p = partsIn(nowMs(), timeZone);
  return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
}

export function addDays(ymd: string, n: number): string {
  const p = ymdParts(ymd);
  return new Date(Date.UTC(p.y, p.m - 1, p.d) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from a to b (b − a). */
export function daysBetween(a: string, b: string): number {
  const pa = ymdParts(a);
  const pb = ymdParts(b);
  return Math.round((Date.UTC(pb.y, pb.m - 1, pb.d) - Date.UTC(pa.y, pa.m - 1, pa.d)) / DAY_MS);
}

/** The days of the month whose last digit is `digit`: 9 → 9, 19, 29; 0 → 10, 20, 30. */
export function daysEndingIn(digit: number): number[] {
  return [digit, digit + 10, digit + 20, digit + 30].filter((d) => d >= 1 && d <= 31);
}
