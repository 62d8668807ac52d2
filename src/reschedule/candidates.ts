/**
 * The plan's dose-2 days for each dose-1 day, in the order a reservation tries them: dose 1 + each
 * interval from minDays to maxDays, each moved off the days to avoid by the plan's shift (the
 * booking path's own rule, rules/dose-dates.ts dose2Day), repeats dropped (a shifted day may land
 * on another interval's day). Pure; the job stores them (reschedule_candidate) so every batch and
 * every resume uses the same days.
 */
import { dose2Day } from '../rules/dose-dates.ts';
import { addDays } from '../rules/time.ts';
import type { ReschedulePlan } from './plan.ts';

export interface CandidateDay {
  readonly day1: string;
  readonly rank: number;
  readonly day2: string;
}

/** Throws RangeError when the days to avoid never end for the shift (see dose2Day). */
export function candidateDays(plan: ReschedulePlan): CandidateDay[] {
  const out: CandidateDay[] = [];
  for (let day1 = plan.dose1From; day1 <= plan.dose1To; day1 = addDays(day1, 1)) {
    const seen = new Set<string>();
    for (let days = plan.interval.minDays; days <= plan.interval.maxDays; days++) {
      const day2 = dose2Day(day1, days, plan.avoidDays, plan.shiftDays);
      if (seen.has(day2)) continue;
      seen.add(day2);
      out.push({ day1, rank: seen.size, day2 });
    }
  }
  return out;
}
