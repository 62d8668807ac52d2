/**
 * The console's dictionary and what it puts into words: numbers, rates, Korea's time of day
 * (the opening runs on Korea's clock, wherever the operator's computer is), errors.
 */
import { ApiError } from '../shared/http.ts';
import { lang, pick } from '../shared/ui.tsx';
import { ops as ko } from '../i18n/ko/ops.ts';
import { ops as en } from '../i18n/en/ops.ts';
import { common as commonKo } from '../i18n/ko/common.ts';
import { common as commonEn } from '../i18n/en/common.ts';

export const t = () => pick({ ko, en });
export const common = () => pick({ ko: commonKo, en: commonEn });

/** Korea has kept UTC+9 all year since 1988. */
const KOREA_OFFSET_MS = 9 * 3_600_000;

const whole = { ko: new Intl.NumberFormat('ko-KR'), en: new Intl.NumberFormat('en-GB') };
const tenth = {
  ko: new Intl.NumberFormat('ko-KR', { maximumFractionDigits: 1 }),
  en: new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 }),
};

/** 12,345 */
export function count(n: number): string {
  return whole[lang.value].format(n);
}

/** 12.3 (rates per second) */
export function rate(n: number): string {
  return tenth[lang.value].format(n);
}

/** HH:MM:SS in Korea of an ISO instant or of ms since the epoch. */
export function koreaTime(at: string | number): string {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return Number.isFinite(ms) ? new Date(ms + KOREA_OFFSET_MS).toISOString().slice(11, 19) : String(at);
}

/** YYYY-MM-DD HH:MM:SS in Korea. */
export function koreaDateTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms + KOREA_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ') : iso;
}

/** "3분 20초" / "3 min 20 s"; null → the dictionary's "no data yet". */
export function duration(seconds: number | null): string {
  const w = t();
  if (seconds === null || !Number.isFinite(seconds)) return w.noData;
  const s = Math.max(0, Math.round(seconds));
  return w.duration(Math.floor(s / 60), s % 60);
}

/** A server message in the page's language (problems carry message and messageKo). */
export function serverWords(p: { message: string; messageKo?: string }): string {
  return lang.value === 'ko' && p.messageKo ? p.messageKo : p.message;
}

/**
 * An error in plain words: the console's own wording for the codes staff meet, else the server's
 * message in the page's language (every error carries both). The citizens' catalogue wording
 * (i18n/errors.ts) is not loaded here: it speaks to citizens, and it would cost the console's
 * budget 5 KB.
 */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const worded = (t().errors as Record<string, string>)[e.code];
    if (worded) return worded;
    const server = serverWords({ message: e.message, messageKo: e.messageKo });
    return server || t().unknownError;
  }
  if (e instanceof TypeError) return common().networkError;
  return t().unknownError;
}
