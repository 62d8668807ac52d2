/**
 * A booking window in the citizen's words, from its cohort: birth-day digits (the 10-day
 * rotation, 10부제), a birth-year range, both, or neither (open to everyone eligible). A window
 * with years but no digits after rotation windows is the catch-up for those who missed their day.
 */
import type { Campaign, WindowView } from './api.ts';
import { daysEndingIn } from './format.ts';
import { useT } from './parts.tsx';

export type WindowKind = 'rotation' | 'catch-up' | 'years' | 'all';

/** The campaign's full window (with its cohort) for a view that may lack it (openWindows, eligibility). */
export function fullWindow(c: Campaign, w: WindowView): WindowView {
  return c.windows.find((x) => x.seq === w.seq) ?? w;
}

export function kindOf(c: Campaign, w: WindowView): WindowKind {
  const digits = w.birthDayDigits ?? null;
  const years = w.birthYearFrom != null || w.birthYearTo != null;
  if (digits && digits.length > 0) return 'rotation';
  if (!years) return 'all';
  const rotationBefore = c.windows.some((x) => (x.birthDayDigits?.length ?? 0) > 0 && Date.parse(x.opensAt) < Date.parse(w.opensAt));
  return rotationBefore ? 'catch-up' : 'years';
}

/** Who may book in the window: "생년월일 끝자리가 9인 분" / "people whose day of birth ends in 9". */
export function whoOf(c: Campaign, view: WindowView): string {
  const t = useT();
  const w = fullWindow(c, view);
  const from = w.birthYearFrom ?? Number((c.birthFrom ?? '1900').slice(0, 4));
  const to = w.birthYearTo ?? Number((c.birthTo ?? '2100').slice(0, 4));
  const years = w.birthYearFrom != null || w.birthYearTo != null;
  switch (kindOf(c, w)) {
    case 'rotation': {
      const digits = t.fmt.orList((w.birthDayDigits ?? []).map(String));
      return years ? t.landing.whoDigitsYears(digits, from, to) : t.landing.whoDigits(digits);
    }
    case 'catch-up':
      return t.landing.whoCatchUp(from, to);
    case 'years':
      return t.landing.whoYears(from, to);
    case 'all':
      return t.landing.whoAll;
  }
}

/** "9일, 19일, 29일" / "9th, 19th or 29th" for the window's digits; null when it has none. */
export function daysOf(view: WindowView): string | null {
  const digits = view.birthDayDigits ?? [];
  if (digits.length === 0) return null;
  const t = useT();
  return t.fmt.orList(digits.flatMap(daysEndingIn).sort((a, b) => a - b).map(t.fmt.dayOfMonth));
}

/** Open for at most a day and a half: "오늘은 …"; longer windows say "지금은 …". */
export function isShort(w: WindowView): boolean {
  return Date.parse(w.closesAt) - Date.parse(w.opensAt) <= 36 * 3_600_000;
}
