/**
 * A booster's cohort by earlier doses (issue #11) on the citizen pages: who may book (landing),
 * why not yet or not at all, with the last dose's day and the day they may book (eligibility),
 * and that there is one dose only (landing, receipt).
 */
import { pick } from '../shared/ui.tsx';
import { booster as ko } from '../i18n/ko/booster.ts';
import { booster as en } from '../i18n/en/booster.ts';
import type { Campaign, Eligibility } from './api.ts';
import { birthDay, day } from './format.ts';

export const useBooster = () => pick({ ko, en });

/** Landing: the cohort and the one dose, for a campaign with a cohort by earlier doses. */
export function BoosterCohort(props: { c: Campaign }) {
  const b = useBooster();
  const { c } = props;
  if (!c.cohort) return null;
  return (
    <>
      <p data-testid="booster-cohort">
        {b.cohort(c.cohort.minDaysSinceLastDose)}
        {c.birthTo && !c.birthFrom ? ` · ${b.bornBy(birthDay(c.birthTo))}` : ''}
      </p>
      {c.doses === 1 && <p>{b.oneDose}</p>}
    </>
  );
}

/** Eligibility: the cohort's refusal (too soon, no earlier dose) as a title and its lines, or null. */
export function boosterRefusal(a: Eligibility, b: ReturnType<typeof useBooster>): { title: string; lines: string[] } | null {
  const cohort = a.cohort;
  if (a.reasons.includes('TOO_SOON') && cohort?.lastDoseDay && cohort.eligibleFrom) {
    return { title: b.tooSoonTitle, lines: [b.tooSoon(day(cohort.lastDoseDay, true), cohort.minDaysSinceLastDose), b.eligibleFrom(day(cohort.eligibleFrom, true))] };
  }
  if (a.reasons.includes('NO_EARLIER_DOSE')) return { title: b.noDoseTitle, lines: [b.noDose] };
  return null;
}

/** Eligible for a booster: the last dose the decision rests on. */
export function LastDose(props: { a: Eligibility }) {
  const b = useBooster();
  const last = props.a.cohort?.lastDoseDay;
  return last ? <p data-testid="last-dose">{b.lastDose(day(last, true))}</p> : null;
}

/** The name of dose 1 on the summary and the receipt: "booster" for a campaign with a cohort by earlier doses. */
export function useDose1Label(c: Campaign | undefined, dose1: string): string {
  const b = useBooster();
  return c?.cohort ? b.dose : dose1;
}

/** Receipt of a one-dose booster: no second dose to look for. */
export function BoosterNote() {
  return <p class="notice" data-testid="booster-one-dose">{useBooster().receiptNote}</p>;
}
