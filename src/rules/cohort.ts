/**
 * The booster's cohort rule, pure: given the day of a person's last earlier dose (found by the
 * booking capability's SQL: a source campaign's dose whose day has passed or that was recorded
 * administered, or an uploaded vaccination record) and today in the campaign's zone, may they
 * book? Days are 'YYYY-MM-DD' in the campaign's zone, so "90 days after" flips at local midnight,
 * never at the server's.
 */
import type { AfterDosesCohort, Campaign } from './campaign.ts';
import { addDays, localDay } from './time.ts';

/** At most ten years between the last dose and the booster: a longer one is a typo (the definition's schema; migration 020's CHECK says the same). */
export const MIN_DAYS_SINCE_LAST_DOSE_MAX = 3650;

export type CohortStatus =
  | { readonly kind: 'OK'; readonly lastDoseDay: string; readonly eligibleFrom: string }
  | { readonly kind: 'NO_EARLIER_DOSE' }
  | { readonly kind: 'TOO_SOON'; readonly lastDoseDay: string; readonly eligibleFrom: string };

/** The first day a person whose last dose was on `lastDoseDay` may book. */
function eligibleFromDay(cohort: AfterDosesCohort, lastDoseDay: string): string {
  return addDays(lastDoseDay, cohort.minDaysSinceLastDose);
}

/** The cohort rule on days: `today` ≥ last dose + N days. */
export function cohortStatus(cohort: AfterDosesCohort, lastDoseDay: string | null, today: string): CohortStatus {
  if (lastDoseDay === null) return { kind: 'NO_EARLIER_DOSE' };
  const eligibleFrom = eligibleFromDay(cohort, lastDoseDay);
  // 'YYYY-MM-DD' strings order like the days they name.
  return today >= eligibleFrom ? { kind: 'OK', lastDoseDay, eligibleFrom } : { kind: 'TOO_SOON', lastDoseDay, eligibleFrom };
}

/** The cohort rule at an instant: today is the campaign's local day at `now`. */
export function cohortStatusAt(c: Campaign, lastDoseDay: string | null, now: Date): CohortStatus | null {
  if (!c.cohort) return null;
  return cohortStatus(c.cohort, lastDoseDay, localDay(now, c.timeZone));
}

/** Source campaigns of a cohort for the SQL: null means every campaign but the booster itself. */
export function sourceCampaignsOf(c: Campaign): readonly string[] | null {
  return c.cohort?.sourceCampaigns ?? null;
}
