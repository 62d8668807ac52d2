import type { Campaign, PersonFacts } from './campaign.ts';
import { evaluateEligibility, type EligibilityReason, type LocalizedText, type WindowView } from './eligibility.ts';

/** Why a verified person may not take a place in a verify-first line now, or null. */
export interface PersonalJoinRefusal {
  /** NOT_ELIGIBLE: never in this campaign; WINDOW_CLOSED: not in a window open now or about to. */
  code: 'YEYAK_E_NOT_ELIGIBLE' | 'YEYAK_E_WINDOW_CLOSED';
  reasons: EligibilityReason[];
  message: LocalizedText;
  nextWindow?: WindowView;
}

/**
 * A verify-first line knows who joins: a place, and later a pass, is only worth giving to someone
 * who could book with it — else the ineligible and the not-yet would take passes (the cap) from
 * those whose window is open. Allowed: the person's own window is open, or opens within
 * `leadMs` (the pre-queue before an opening). The roster is not read here (pure rule): the
 * booking checks it. The same wording as the eligibility answer.
 */
export function personalJoinRefusal(c: Campaign, person: PersonFacts, nowMs: number, leadMs: number): PersonalJoinRefusal | null {
  const e = evaluateEligibility({ campaign: c, person, inRoster: true, alreadyBooked: false, now: new Date(nowMs) });
  if (e.eligible) return null;
  if (e.reasons.includes('BIRTH_OUT_OF_RANGE') || e.reasons.includes('NOT_IN_ROSTER')) {
    return { code: 'YEYAK_E_NOT_ELIGIBLE', reasons: e.reasons, message: e.message };
  }
  if (e.nextWindow && new Date(e.nextWindow.opensAt).getTime() - nowMs <= leadMs) return null;
  return { code: 'YEYAK_E_WINDOW_CLOSED', reasons: e.reasons, message: e.message, ...(e.nextWindow ? { nextWindow: e.nextWindow } : {}) };
}
