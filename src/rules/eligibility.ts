/**
 * Can this person book in this campaign now — and if not, why, and when? A person who only has to
 * wait is told exactly when their window opens, never a bare "not eligible" (the 20 Jul 2021 bug
 * told eligible people "not eligible in this period" for seven hours).
 *
 * Reasons, in the order they are reported (the message follows the first):
 * - BIRTH_OUT_OF_RANGE, NOT_IN_ROSTER: the person is not in the campaign at all. Window timing is
 *   then not evaluated: "your window opens Aug 11" would be a false promise.
 * - NO_EARLIER_DOSE: a booster (an after-doses cohort, rules/cohort.ts) and no earlier dose is
 *   known; TOO_SOON: the last one was fewer than N days ago — with the day they become eligible
 *   (`cohort.eligibleFrom`), and window timing is not evaluated either.
 * - ALREADY_BOOKED: one reservation per person.
 * - exactly one window reason when no open window admits the person:
 *   WINDOW_NOT_YET_OPEN — a later window admits them (even if other cohorts' windows are open now);
 *   NOT_YOUR_WINDOW     — windows are open or still to come for others, but none is left for them;
 *   CAMPAIGN_CLOSED     — every window of the campaign has closed.
 */
import type { Campaign, CampaignWindow, PersonFacts } from './campaign.ts';
import { formatLocal, isoInZone } from './time.ts';
import { cohortStatusAt, type CohortStatus } from './cohort.ts';
import { campaignRunning, currentWindowFor, nextWindowFor } from './windows.ts';

export const eligibilityReasons = [
  'BIRTH_OUT_OF_RANGE',
  'NOT_IN_ROSTER',
  'NO_EARLIER_DOSE',
  'TOO_SOON',
  'ALREADY_BOOKED',
  'WINDOW_NOT_YET_OPEN',
  'NOT_YOUR_WINDOW',
  'CAMPAIGN_CLOSED',
] as const;
export type EligibilityReason = (typeof eligibilityReasons)[number];

export interface LocalizedText {
  ko: string;
  en: string;
}

export interface WindowView {
  seq: number;
  label: LocalizedText;
  /** ISO-8601 with the campaign's offset, e.g. '2021-08-11T20:00:00+09:00'. */
  opensAt: string;
  closesAt: string;
}

export interface EligibilityResult {
  eligible: boolean;
  reasons: EligibilityReason[];
  /** The open window admitting the person (present even when ALREADY_BOOKED). */
  window?: WindowView;
  /** With WINDOW_NOT_YET_OPEN: the window to come back for. */
  nextWindow?: WindowView;
  /** A booster's cohort: the last earlier dose's day (null: none known) and the first day to book. */
  cohort?: CohortView;
  message: LocalizedText;
}

export interface CohortView {
  minDaysSinceLastDose: number;
  lastDoseDay: string | null;
  eligibleFrom?: string;
}

export interface EligibilityInput {
  campaign: Campaign;
  person: PersonFacts;
  inRoster: boolean;
  alreadyBooked: boolean;
  now: Date;
  /**
   * The day of the person's last earlier dose (a campaign with a cohort; null: none known).
   * Undefined: the cohort is not evaluated (the waiting room's pure join rule, like the roster;
   * the booking path always gives it).
   */
  lastDoseDay?: string | null;
}

export function windowView(c: Campaign, w: CampaignWindow): WindowView {
  return {
    seq: w.seq,
    label: { ko: w.labelKo, en: w.labelEn },
    opensAt: isoInZone(w.opensAt, c.timeZone),
    closesAt: isoInZone(w.closesAt, c.timeZone),
  };
}

function membershipReasons(c: Campaign, person: PersonFacts, inRoster: boolean): EligibilityReason[] {
  const reasons: EligibilityReason[] = [];
  // 'YYYY-MM-DD' strings order like the dates they name.
  const born = person.birthDate;
  if ((c.birthFrom !== null && born < c.birthFrom) || (c.birthTo !== null && born > c.birthTo)) {
    reasons.push('BIRTH_OUT_OF_RANGE');
  }
  if (c.rosterRequired && !inRoster) reasons.push('NOT_IN_ROSTER');
  return reasons;
}

type WindowStatus =
  | { kind: 'OPEN'; current: CampaignWindow }
  | { kind: 'WINDOW_NOT_YET_OPEN'; next: CampaignWindow }
  | { kind: 'NOT_YOUR_WINDOW' | 'CAMPAIGN_CLOSED' };

function windowStatus(c: Campaign, person: PersonFacts, now: Date): WindowStatus {
  const current = currentWindowFor(c, person, now);
  if (current) return { kind: 'OPEN', current };
  const next = nextWindowFor(c, person, now);
  if (next) return { kind: 'WINDOW_NOT_YET_OPEN', next };
  return { kind: campaignRunning(c, now) ? 'NOT_YOUR_WINDOW' : 'CAMPAIGN_CLOSED' };
}

export function evaluateEligibility(input: EligibilityInput): EligibilityResult {
  const { campaign: c, person } = input;
  const membership = membershipReasons(c, person, input.inRoster);
  if (membership[0]) return { eligible: false, reasons: membership, message: membershipMessage(c, membership[0]) };

  const cohort = input.lastDoseDay === undefined ? null : cohortStatusAt(c, input.lastDoseDay, input.now);
  const cohortView = cohort && c.cohort ? toCohortView(c.cohort.minDaysSinceLastDose, cohort) : undefined;
  if (cohort && cohort.kind !== 'OK' && cohortView) {
    const reasons: EligibilityReason[] = cohort.kind === 'TOO_SOON' && input.alreadyBooked ? ['ALREADY_BOOKED', 'TOO_SOON'] : [cohort.kind];
    return { eligible: false, reasons, cohort: cohortView, message: cohortMessage(c, cohort) };
  }

  const status = windowStatus(c, person, input.now);
  const reasons: EligibilityReason[] = input.alreadyBooked ? ['ALREADY_BOOKED'] : [];
  if (status.kind !== 'OPEN') reasons.push(status.kind);
  const result: EligibilityResult = {
    eligible: reasons.length === 0,
    reasons,
    message: input.alreadyBooked ? ALREADY_BOOKED_MESSAGE : windowMessage(c, status),
  };
  if (status.kind === 'OPEN') result.window = windowView(c, status.current);
  if (status.kind === 'WINDOW_NOT_YET_OPEN') result.nextWindow = windowView(c, status.next);
  if (cohortView) result.cohort = cohortView;
  return result;
}

function toCohortView(minDaysSinceLastDose: number, s: CohortStatus): CohortView {
  if (s.kind === 'NO_EARLIER_DOSE') return { minDaysSinceLastDose, lastDoseDay: null };
  return { minDaysSinceLastDose, lastDoseDay: s.lastDoseDay, eligibleFrom: s.eligibleFrom };
}

function cohortMessage(c: Campaign, s: CohortStatus): LocalizedText {
  const n = c.cohort?.minDaysSinceLastDose ?? 0;
  if (s.kind === 'TOO_SOON') {
    return {
      ko: `마지막 접종일(${s.lastDoseDay})로부터 ${n}일이 지나야 합니다: ${s.eligibleFrom}부터 예약할 수 있습니다`,
      en: `Your last dose was on ${s.lastDoseDay}; ${n} days must pass: you can book from ${s.eligibleFrom}`,
    };
  }
  return {
    ko: '이전 접종 기록이 없습니다. 접종 기록이 있다면 관할 보건소에 문의해 주세요',
    en: 'No earlier dose is on record; if you had one, please contact your public health centre',
  };
}

const ALREADY_BOOKED_MESSAGE: LocalizedText = {
  ko: '이미 예약하셨습니다. 예약 조회에서 확인해 주세요',
  en: 'You already hold a reservation; look it up to view, change or cancel it',
};

function membershipMessage(c: Campaign, reason: EligibilityReason): LocalizedText {
  if (reason === 'NOT_IN_ROSTER') {
    return {
      ko: '예약 대상자 명단에 없습니다. 관할 보건소에 문의해 주세요',
      en: 'You are not on this campaign’s roster; please contact your public health centre',
    };
  }
  const from = c.birthFrom ?? '';
  const to = c.birthTo ?? '';
  return {
    ko: `예약 대상이 아닙니다: ${from}~${to} 출생자만 예약할 수 있습니다`,
    en: `Not eligible: this campaign is for people born ${from || 'any time'} to ${to || 'today'}`,
  };
}

function windowMessage(c: Campaign, status: WindowStatus): LocalizedText {
  const tz = c.timeZone;
  switch (status.kind) {
    case 'OPEN':
      return {
        ko: `지금 예약할 수 있습니다 (${formatLocal(status.current.closesAt, tz, 'ko')}까지)`,
        en: `You can book now, until ${formatLocal(status.current.closesAt, tz, 'en')}`,
      };
    case 'WINDOW_NOT_YET_OPEN':
      return {
        ko: `아직 예약 기간이 아닙니다: ${formatLocal(status.next.opensAt, tz, 'ko')}에 열립니다`,
        en: `Not yet: your window opens ${formatLocal(status.next.opensAt, tz, 'en')}`,
      };
    case 'NOT_YOUR_WINDOW':
      return {
        ko: '본인의 예약 기간이 지났습니다. 지금 열린 예약은 다른 대상자를 위한 것입니다',
        en: 'Your booking window has passed; the remaining windows are for other people',
      };
    case 'CAMPAIGN_CLOSED':
      return { ko: '예약이 마감되었습니다', en: 'Booking for this campaign has closed' };
  }
}
