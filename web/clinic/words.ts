/**
 * The portal's dictionary and the few things it puts into words: Korean days and times (the
 * clinic's day is Korea's, whatever the tablet's own time zone), vaccine names, errors.
 */
import { ApiError } from '../shared/http.ts';
import { lang, pick } from '../shared/ui.tsx';
import { clinic as ko } from '../i18n/ko/clinic.ts';
import { clinic as en } from '../i18n/en/clinic.ts';
import { common as commonKo } from '../i18n/ko/common.ts';
import { common as commonEn } from '../i18n/en/common.ts';
import { errors as errorsKo } from '../i18n/ko/errors.ts';
import { errors as errorsEn } from '../i18n/en/errors.ts';

export const t = () => pick({ ko, en });
export const common = () => pick({ ko: commonKo, en: commonEn });

const DAY_MS = 86_400_000;
/** Korea has kept UTC+9 all year since 1988. */
const KOREA_OFFSET_MS = 9 * 3_600_000;

/** YYYY-MM-DD in Korea at an instant (ms since the epoch). */
export function koreaDay(ms: number): string {
  return new Date(ms + KOREA_OFFSET_MS).toISOString().slice(0, 10);
}

/** HH:MM in Korea of an ISO instant. */
export function koreaTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms + KOREA_OFFSET_MS).toISOString().slice(11, 16) : iso;
}

/** A whole date typed or picked (typing a year digit by digit passes through years like 0002). */
export const PLAUSIBLE_DAY = /^2\d{3}-\d{2}-\d{2}$/;

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** "8월 12일 (목)" / "Thu 12 Aug". */
export function dayLabel(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  if (!Number.isFinite(d.getTime())) return day;
  const w = t();
  return w.dateFormat(d.getUTCMonth() + 1, d.getUTCDate(), w.weekdays[d.getUTCDay()] ?? '');
}

export function vaccineName(id: string): string {
  return t().vaccines[id] ?? id;
}

/** An error in plain words: the catalogue's wording for its code, else the server's message. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const dict: Record<string, string> = lang.value === 'en' ? errorsEn : errorsKo;
    const worded = t().errors[e.code] ?? dict[e.code];
    if (worded) return worded;
    const server = lang.value === 'en' ? e.message : e.messageKo || e.message;
    return server || t().unknownError;
  }
  if (e instanceof TypeError) return common().networkError;
  return t().unknownError;
}

