/** The citizen API as the pages use it (README "The API"; shapes from the route schemas). */
import { call } from '../shared/http.ts';

export interface Localized { ko: string; en: string }

export interface WindowView {
  seq: number;
  label: Localized;
  opensAt: string;
  closesAt: string;
  birthDayDigits?: number[] | null;
  birthYearFrom?: number | null;
  birthYearTo?: number | null;
}

export interface Campaign {
  id: string;
  name: Localized;
  timeZone: string;
  birthFrom: string | null;
  birthTo: string | null;
  doses: number;
  dose2IntervalDays: number | null;
  changeFreezeDays: number;
  cancelUntilDays: number;
  firstShotDay: string;
  lastShotDay: string;
  waitingRoom: { enabled: boolean; order: 'verify-first' | 'queue-first' };
  notice: Localized | null;
  windows: WindowView[];
  openWindows: WindowView[];
  now: string;
  remainingFirstDoses: number;
  supplyExhausted: boolean;
  /** Who may book by their earlier doses (a booster, issue #11); null: nobody is asked. */
  cohort?: { kind: 'after-doses'; minDaysSinceLastDose: number; sourceCampaigns: string[] | null } | null;
  /** sold_out: no first dose left (issue #11); supplyNotice says so in both languages. */
  supplyState?: 'available' | 'sold_out';
  supplyNotice?: Localized | null;
}

export type Light = 'green' | 'yellow' | 'red' | 'grey';
export interface Method {
  method: string;
  style: 'otp' | 'app' | 'certificate';
  labelKo: string;
  labelEn: string;
  available: boolean;
  light: Light;
  retryAfterS?: number;
}

export type Reason = 'BIRTH_OUT_OF_RANGE' | 'NOT_IN_ROSTER' | 'NO_EARLIER_DOSE' | 'TOO_SOON' | 'ALREADY_BOOKED' | 'WINDOW_NOT_YET_OPEN' | 'NOT_YOUR_WINDOW' | 'CAMPAIGN_CLOSED';
export interface Eligibility {
  eligible: boolean;
  reasons: Reason[];
  window?: WindowView;
  nextWindow?: WindowView;
  message?: Localized;
  bookingNumber?: string;
  /** A booster's cohort (issue #11): the last earlier dose's day (null: none known) and the first day to book. */
  cohort?: { minDaysSinceLastDose: number; lastDoseDay: string | null; eligibleFrom?: string };
}

export interface Region { code: string; parentCode: string | null; level: 1 | 2; nameKo: string; nameEn: string; remaining: number }
export interface Clinic { id: string; name: string; region: string; district?: string; address?: string; remaining: number }
export interface DateLeft { date: string; remaining: number; vaccine?: string; dose2Date?: string }
export interface Dose { dose: number; date: string; clinicId: string }
export interface Reservation {
  bookingNumber: string;
  campaignId?: string;
  status?: 'confirmed' | 'cancelled';
  vaccine?: string;
  person?: { name?: string; rrnMasked?: string };
  doses: Dose[];
}

const enc = encodeURIComponent;

export const api = {
  campaigns: () => call<Campaign[]>('campaigns'),
  methods: () => call<Method[]>('identity/methods'),
  start: (body: { method: string; name: string; rrn: string; phone: string }) =>
    call<{ challengeId: string; expiresAt: string }>('identity/challenges', { method: 'POST', body }),
  verify: (challengeId: string, code: string) =>
    call<{ expiresAt: string; csrfToken: string; device: string }>(`identity/challenges/${enc(challengeId)}/verify`, { method: 'POST', body: { code } }),
  eligibility: (c: string) => call<Eligibility>(`campaigns/${enc(c)}/eligibility`),
  regions: (c: string) => call<Region[]>(`campaigns/${enc(c)}/regions`),
  clinics: (c: string, region: string) => call<Clinic[]>(`campaigns/${enc(c)}/clinics?region=${enc(region)}`),
  clinic: (c: string, clinicId: string) => call<Clinic>(`campaigns/${enc(c)}/clinics/${enc(clinicId)}`),
  dates: (c: string, clinicId: string) => call<DateLeft[]>(`campaigns/${enc(c)}/clinics/${enc(clinicId)}/dates`),
  book: (body: { campaignId: string; clinicId: string; date: string }, headers: Record<string, string>) =>
    call<Reservation>('reservations', { method: 'POST', body, headers }),
  reservation: (bn: string) => call<Reservation>(`reservations/${enc(bn)}`),
  change: (bn: string, body: { clinicId?: string; date?: string }, headers: Record<string, string>) =>
    call<Reservation>(`reservations/${enc(bn)}`, { method: 'PATCH', body, headers }),
  cancel: (bn: string, headers: Record<string, string>) => call<{ bookingNumber: string; status: string }>(`reservations/${enc(bn)}`, { method: 'DELETE', headers }),
};
