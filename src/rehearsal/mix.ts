/** The share of each kind of citizen in a rehearsal (plan.ts draws from it). */

export type CitizenKind = 'regular' | 'outside-cohort' | 'not-yet' | 'storm' | 'bot';

/** What a regular citizen does after booking, or instead of it. */
export type Behaviour = 'book' | 'give-up' | 'change' | 'cancel';

export interface Mix {
  outsideCohort: number;
  notYet: number;
  storm: number;
  bot: number;
  /** Shares among the others (regular and storm citizens). */
  giveUp: number;
  change: number;
  cancel: number;
  /** Share typing a wrong code once before the right one. */
  wrongCode: number;
  /** Mean extra verification starts abandoned before the one that completes (replay: 2.5 per booking). */
  extraVerifications: number;
}

/**
 * The mix: ~10 % ineligible or not yet (half outside the 18–49 cohort, half from a later
 * rotation window), 5 % retry storms, 2 % bots; of the rest some give up, change or cancel.
 */
export const DEFAULT_MIX: Mix = { outsideCohort: 0.05, notYet: 0.05, storm: 0.05, bot: 0.02, giveUp: 0.05, change: 0.04, cancel: 0.03, wrongCode: 0.05, extraVerifications: 0.1 };

