/**
 * A campaign as the rules see it: plain data loaded from the store. Days are 'YYYY-MM-DD' in the
 * campaign's time zone; window bounds are instants.
 */
import { YeyakError } from '../core/errors.ts';
import { addDays, localDay } from './time.ts';

export interface CampaignWindow {
  readonly seq: number;
  readonly labelKo: string;
  readonly labelEn: string;
  readonly opensAt: Date;
  readonly closesAt: Date;
  /** Last digits of the day of birth admitted (born on the 9th/19th/29th → 9); null admits any. */
  readonly birthDayDigits: readonly number[] | null;
  readonly birthYearFrom: number | null;
  readonly birthYearTo: number | null;
}

/**
 * Waiting-room settings of a campaign. Operators change rate, cap, PoW, pause and notice live
 * (admin API); the change is written here (the campaign row) as well as to the live line.
 */
export interface CampaignQueueConfig {
  /** Target admissions per second. */
  readonly ratePerS: number;
  /** Cap on admission passes in use at once. */
  readonly activeMax: number;
  /** Joins before the first window opens form a pre-queue, shuffled once at the opening. */
  readonly shuffleAtOpening: boolean;
  /** Proof-of-work difficulty at join, in leading zero bits (0 = off). */
  readonly powBits: number;
  /** Admission paused by an operator (persisted by the admin API; absent = not paused). */
  readonly paused?: boolean;
  /** The operator's public notice in the waiting room (persisted by the admin API; absent = none). */
  readonly notice?: { readonly ko: string; readonly en: string } | null;
}

export const defaultQueueConfig: CampaignQueueConfig = { ratePerS: 100, activeMax: 2000, shuffleAtOpening: false, powBits: 0 };

/**
 * queue-first: join the waiting room, then verify (July 2021) — identity start on the booking
 * path needs the campaign's pass. verify-first: verify, then join (the August 2021 fix) — joining
 * needs a session and the place belongs to the person: one place per person, on any device.
 */
export type QueueOrder = 'queue-first' | 'verify-first';

/**
 * A cohort defined by earlier doses (a booster): eligible when the person's last dose — in this
 * system (a source campaign's booking, given once its day has passed, or recorded administered)
 * or in an uploaded vaccination record — was at least `minDaysSinceLastDose` days ago, in the
 * campaign's zone (rules/cohort.ts).
 */
export interface AfterDosesCohort {
  readonly kind: 'after-doses';
  readonly minDaysSinceLastDose: number;
  /** Campaigns whose bookings count as earlier doses; null: every other campaign in this system. */
  readonly sourceCampaigns: readonly string[] | null;
}

export interface Campaign {
  readonly id: string;
  readonly nameKo: string;
  readonly nameEn: string;
  /** IANA zone, e.g. 'Asia/Seoul'. */
  readonly timeZone: string;
  readonly birthFrom: string | null;
  readonly birthTo: string | null;
  readonly rosterRequired: boolean;
  readonly proxyAllowed: boolean;
  readonly doses: 1 | 2;
  readonly dose2IntervalDays: number | null;
  /** No change within this many days of the (current or new) dose-1 date. */
  readonly changeFreezeDays: number;
  /** Cancellation allowed until this many days before the dose-1 date. */
  readonly cancelUntilDays: number;
  /** Dose 2 falling on a blackout day moves by this many days (negative = earlier), repeatedly. */
  readonly blackoutShiftDays: number;
  readonly firstShotDay: string;
  readonly lastShotDay: string;
  /** The booking API requires an admission pass from the waiting room. */
  readonly queueEnabled: boolean;
  readonly queue: CampaignQueueConfig;
  /** Order of waiting room and verification; absent = 'queue-first'. */
  readonly queueOrder?: QueueOrder;
  readonly noticeKo: string | null;
  readonly noticeEn: string | null;
  /** Sorted by opensAt. */
  readonly windows: readonly CampaignWindow[];
  /** Sorted 'YYYY-MM-DD' days on which no dose 2 is given. */
  readonly blackoutDays: readonly string[];
  /** Who may book by their earlier doses (migration 020 campaign_cohort); absent or null: nobody is asked. */
  readonly cohort?: AfterDosesCohort | null;
}

/** What the rules know of a person: derived from the RRN, never the RRN itself. */
export interface PersonFacts {
  /** 'YYYY-MM-DD' */
  readonly birthDate: string;
  readonly sex: 'M' | 'F';
  readonly foreignResident: boolean;
}

/**
 * A verified person acting through a session, as identity vouches for them (identity/session.ts
 * seals it): what the booking, eligibility and waiting-room rules need, never the RRN.
 */
export interface Citizen {
  /** Session id: one device's sign-in. */
  readonly sid: string;
  readonly personId: number;
  readonly facts: PersonFacts;
  /** The server-signed device the session was verified on. */
  readonly device?: string;
}

/** The campaigns a node knows (campaigns/registry.ts), as every capability that needs them reads them. */
export interface CampaignLookup {
  get(id: string): Campaign | undefined;
  list(): readonly Campaign[];
}

/** The campaign, or 404 CAMPAIGN_NOT_FOUND. */
export function requireCampaign(campaigns: CampaignLookup, id: string): Campaign {
  const c = campaigns.get(id);
  if (!c) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
  return c;
}

/**
 * The first day a dose 1 may be booked for, at `now`: `leadDays` after today in the campaign's
 * zone (deliveries need notice), and never before the campaign's first shot day.
 */
export function firstBookableDay(c: Campaign, now: Date, leadDays: number): string {
  const earliest = addDays(localDay(now, c.timeZone), leadDays);
  return earliest > c.firstShotDay ? earliest : c.firstShotDay;
}
