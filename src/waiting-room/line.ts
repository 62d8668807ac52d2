/**
 * Where a ticket stands in its campaign's line, from the ticket and the line's counters alone:
 * nothing is stored per ticket. Pure: the caller gives the time.
 */
import { assert } from '../core/errors.ts';
import type { Campaign } from '../rules/campaign.ts';
import { estimateWait, type Estimate } from './estimate.ts';
import { shuffledPosition } from './permutation.ts';
import type { QueueState } from './store.ts';
import type { Ticket } from './tokens.ts';

export interface StatusAnswer extends Estimate {
  state: 'waiting' | 'admitted';
  ahead: number;
  position: number | null;
  paused: boolean;
  opening: string | null;
  notice: { ko: string; en: string } | null;
  pass?: string;
  passExpiresAt?: string;
  /**
   * Present (true) when this place was spent on a completed booking: the answer stays 'admitted'
   * but carries no pass — none is ever issued for it again. Joining again without this ticket
   * gives a new place at the back of the line.
   */
  used?: true;
  /**
   * Present (true) when the place is admitted but the passes in use are at the cap: no pass yet;
   * ask again after pollAfterMs (short). The claim window still runs from the admission.
   */
  passPending?: true;
  /**
   * Present while the campaign is sold out (sold-out.ts): nobody is admitted and an admitted
   * place gets no pass; the place is kept. supplyNotice says it in Korean and English.
   */
  supplyState?: 'sold_out';
  supplyNotice?: { ko: string; en: string };
}

/** Internal: a place whose claim window passed unclaimed (status answers 409 TICKET_LAPSED). */
export type PlaceAnswer = StatusAnswer & { lapsed?: true };

/** The instant the campaign's line starts moving: its first window's opening. */
export function openingOf(c: Campaign): Date | null {
  return c.windows.length > 0 ? (c.windows[0] as { opensAt: Date }).opensAt : null;
}

/** A join now goes to the pre-queue: the campaign shuffles at its opening, which is still ahead. */
export function joinsPreQueue(c: Campaign, nowMs: number): boolean {
  const opening = openingOf(c);
  return c.queue.shuffleAtOpening && opening !== null && nowMs < opening.getTime();
}

/** Position in the line, or null while a pre-queue ticket waits for the opening shuffle. */
export function positionOf(t: Ticket, state: QueueState): number | null {
  if (t.preQueue) {
    if (state.shuffleSeed === null || state.frozenPreCount === null) return null;
    assert(t.seq <= state.frozenPreCount, 'pre-queue number beyond the frozen count');
    return shuffledPosition(t.seq, state.frozenPreCount, state.shuffleSeed);
  }
  return (state.frozenPreCount ?? state.preCount) + t.seq;
}

/** The ticket's answer before any claim: its place, who is ahead, and the estimated wait. */
export function answerOf(c: Campaign, t: Ticket, state: QueueState, nowMs: number): StatusAnswer {
  const position = positionOf(t, state);
  const opening = openingOf(c);
  // Before the shuffle nobody's place is known: everyone else in the pre-queue may end up ahead.
  const ahead = position === null ? Math.max(0, state.preCount - 1) : Math.max(0, position - state.admittedUpTo - 1);
  const rate = state.observedRatePerS > 0 ? state.observedRatePerS : state.ratePerS;
  const startsInS = opening ? Math.max(0, opening.getTime() - nowMs) / 1000 : 0;
  return {
    state: position !== null && position <= state.admittedUpTo ? 'admitted' : 'waiting',
    ahead,
    position,
    paused: state.paused,
    opening: opening && nowMs < opening.getTime() ? opening.toISOString() : null,
    notice: state.notice,
    ...estimateWait(ahead, rate, t.seq, startsInS),
  };
}
