/**
 * Booking windows (e.g. the 10-day birth-date rotation, 10부제). A window is half-open:
 * opensAt <= now < closesAt, compared in epoch milliseconds, so the opening second is in and the
 * closing second is out regardless of any time zone.
 */
import type { Campaign, CampaignWindow, PersonFacts } from './campaign.ts';

/** Last digit of the day of birth: born on the 9th/19th/29th → 9, on the 10th/20th/30th → 0. */
export function birthDayDigit(facts: PersonFacts): number {
  return Number(facts.birthDate.slice(8, 10)) % 10;
}

function birthYear(facts: PersonFacts): number {
  return Number(facts.birthDate.slice(0, 4));
}

/** Whether the window's cohort (birth-day digit and birth-year range) includes the person. */
export function windowAdmits(w: CampaignWindow, facts: PersonFacts): boolean {
  const year = birthYear(facts);
  if (w.birthDayDigits !== null && !w.birthDayDigits.includes(birthDayDigit(facts))) return false;
  if (w.birthYearFrom !== null && year < w.birthYearFrom) return false;
  if (w.birthYearTo !== null && year > w.birthYearTo) return false;
  return true;
}

export function isOpen(w: CampaignWindow, now: Date): boolean {
  const t = now.getTime();
  return w.opensAt.getTime() <= t && t < w.closesAt.getTime();
}

/** Windows open at `now`, for anyone. */
export function openWindows(c: Campaign, now: Date): CampaignWindow[] {
  return c.windows.filter((w) => isOpen(w, now));
}

function earliest(ws: readonly CampaignWindow[]): CampaignWindow | null {
  // Not relying on the "sorted by opensAt" promise: operators edit windows as data.
  let best: CampaignWindow | null = null;
  for (const w of ws) if (best === null || w.opensAt.getTime() < best.opensAt.getTime()) best = w;
  return best;
}

/** The open window that admits the person (the earliest-opened one if windows overlap), or null. */
export function currentWindowFor(c: Campaign, facts: PersonFacts, now: Date): CampaignWindow | null {
  return earliest(openWindows(c, now).filter((w) => windowAdmits(w, facts)));
}

/** The earliest window admitting the person that opens strictly after `now`, or null. */
export function nextWindowFor(c: Campaign, facts: PersonFacts, now: Date): CampaignWindow | null {
  const t = now.getTime();
  return earliest(c.windows.filter((w) => w.opensAt.getTime() > t && windowAdmits(w, facts)));
}

/** Whether any window, for anyone, is open now or opens later: the campaign is still running. */
export function campaignRunning(c: Campaign, now: Date): boolean {
  const t = now.getTime();
  return c.windows.some((w) => t < w.closesAt.getTime());
}
