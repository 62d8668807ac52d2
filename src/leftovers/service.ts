// The citizen side of leftover doses: favourite clinics, the public list near a region (cached
// briefly per node: the list is public and a crowd reloads it), and the same-day take — rules the
// database decides in one call of take_leftover (migrations/018), codes mapped to answers here.
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import { withDbRetry } from '../core/retry.ts';
import { requireCampaign, type Campaign, type CampaignLookup, type Citizen } from '../rules/campaign.ts';
import { dose2Day } from '../rules/dose-dates.ts';
import { KOREA_TIME_ZONE, localDay } from '../rules/time.ts';
import * as sql from './sql.ts';

/**
 * Whether the person is in the campaign's cohort (birth range, roster, a booster's earlier
 * doses) — the regular booking's rules without the rotation window: a leftover is for anyone of
 * the cohort, today. Wired in src/app.ts from the booking service.
 */
export type CohortEligibility = (citizen: Citizen, campaign: Campaign) => Promise<boolean>;

/** Reasons of the regular eligibility that do not keep a person from a leftover: timing and their own booking (which the take replaces). */
const NOT_COHORT_REASONS: ReadonlySet<string> = new Set(['ALREADY_BOOKED', 'WINDOW_NOT_YET_OPEN', 'NOT_YOUR_WINDOW', 'CAMPAIGN_CLOSED']);

/** The cohort decision from a regular eligibility answer: every reason it gives is only about timing or an existing booking. */
export function cohortOnly(result: { eligible: boolean; reasons: readonly string[] }): boolean {
  return result.eligible || result.reasons.every((r) => NOT_COHORT_REASONS.has(r));
}

export interface LeftoverServiceOptions {
  /** How long an idempotency key answers retries (config idempotencyTtlMs). */
  idempotencyTtlMs: number;
  /** A fresh booking number (booking's generator, wired in src/app.ts). */
  newBookingNumber: () => string;
  cohortEligible: CohortEligibility;
  /** How long a node reuses a region's list. */
  listCacheMs?: number;
}

const LIST_CACHE_MS = 2_000; // 2 s: a taken-out release shows at most this long after; the take decides anyway
const LIST_CACHE_ENTRIES_MAX = 2_000; // ~270 regions × a few campaigns
const BOOKING_NUMBER_ATTEMPTS_MAX = 3;

interface CachedList {
  atMs: number;
  today: string;
  rows: sql.OpenLeftover[];
}

export class LeftoverService {
  private readonly lists = new Map<string, CachedList>();
  private readonly listCacheMs: number;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly campaigns: CampaignLookup,
    private readonly opts: LeftoverServiceOptions,
  ) {
    this.listCacheMs = opts.listCacheMs ?? LIST_CACHE_MS;
  }

  favourites(citizen: Citizen): Promise<sql.FavouriteClinic[]> {
    return sql.favouriteClinics(this.db, citizen.personId);
  }

  /** Stars a clinic (again: no change); a sixth → 409 FAVOURITES_FULL; unknown → 404. */
  async addFavourite(citizen: Citizen, clinicId: string): Promise<sql.FavouriteClinic[]> {
    if (!(await sql.addFavouriteClinic(this.db, citizen.personId, clinicId, this.clock.now()))) {
      const why = await sql.favouriteRefusal(this.db, citizen.personId, clinicId);
      if (why === 'clinic') throw new YeyakError('YEYAK_E_CLINIC_NOT_FOUND');
      if (why === 'full') throw new YeyakError('YEYAK_E_FAVOURITES_FULL', undefined, { max: sql.FAVOURITE_CLINICS_MAX });
    }
    return this.favourites(citizen);
  }

  async removeFavourite(citizen: Citizen, clinicId: string): Promise<sql.FavouriteClinic[]> {
    await sql.removeFavouriteClinic(this.db, citizen.personId, clinicId, this.clock.now());
    return this.favourites(citizen);
  }

  /** Today's open leftovers near a region (its 시/군/구 first); unknown region → 404. */
  async open(regionCode: string, campaignId: string | null): Promise<sql.OpenLeftover[]> {
    // No campaign of that id has leftovers: answered before the cache, since made-up ids would each
    // miss it with a query and fill it until it is cleared for everyone (security review, issue #11).
    if (campaignId !== null && !this.campaigns.get(campaignId)) return [];
    const now = this.clock.now();
    const today = localDay(now, KOREA_TIME_ZONE);
    const key = `${regionCode}\u0000${campaignId ?? ''}`;
    const hit = this.lists.get(key);
    let rows: sql.OpenLeftover[];
    if (hit && hit.today === today && this.clock.nowMs() - hit.atMs < this.listCacheMs && this.clock.nowMs() >= hit.atMs) {
      rows = hit.rows;
    } else {
      const fresh = await sql.openLeftovers(this.db, { regionCode, campaignId, today, now });
      if (fresh === null) throw new YeyakError('YEYAK_E_REGION_NOT_FOUND');
      if (this.lists.size >= LIST_CACHE_ENTRIES_MAX) this.lists.clear();
      this.lists.set(key, { atMs: this.clock.nowMs(), today, rows: fresh });
      rows = fresh;
    }
    // A cached row may have closed since.
    const nowIso = now.toISOString();
    return rows.filter((r) => r.until > nowIso);
  }

  /**
   * Takes one dose of a release for the session's person (never for someone else: there is no
   * proxy take). Answers the new booking (201) or a catalogue error; a refusal changes nothing.
   */
  async take(citizen: Citizen, releaseId: number, idempotencyKey: string): Promise<{ body: sql.LeftoverBooking; replayed: boolean }> {
    const campaignId = await sql.releaseCampaign(this.db, releaseId);
    if (campaignId === null) throw new YeyakError('YEYAK_E_LEFTOVER_NOT_FOUND');
    const c = requireCampaign(this.campaigns, campaignId);
    const now = this.clock.now();
    const today = localDay(now, c.timeZone);
    const eligible = await this.opts.cohortEligible(citizen, c);
    const day2 = c.doses === 2 && c.dose2IntervalDays !== null ? dose2Day(today, c.dose2IntervalDays, c.blackoutDays, c.blackoutShiftDays) : null;
    const base = {
      releaseId,
      personId: citizen.personId,
      eligible,
      today,
      day2,
      caller: `person:${citizen.personId}`,
      key: idempotencyKey,
      requestHash: createHash('sha256').update(JSON.stringify(['leftover', releaseId])).digest('hex'),
      keyTtlMs: this.opts.idempotencyTtlMs,
      now,
    };
    for (let attempt = 1; ; attempt++) {
      const { code, response } = await withDbRetry(() => sql.takeLeftover(this.db, { ...base, bookingNumber: this.opts.newBookingNumber() }));
      if (code === 'BOOKING_NUMBER_TAKEN' && attempt < BOOKING_NUMBER_ATTEMPTS_MAX) continue;
      if ((code === 'OK' || code === 'REPLAY') && response) {
        if (code === 'OK') this.lists.clear();
        return { body: response, replayed: code === 'REPLAY' };
      }
      throw refusal(code, response);
    }
  }
}

function refusal(code: sql.TakeCode, response: sql.LeftoverBooking | null): YeyakError {
  switch (code) {
    case 'NOT_FOUND':
      return new YeyakError('YEYAK_E_LEFTOVER_NOT_FOUND');
    case 'NOT_ELIGIBLE':
      return new YeyakError('YEYAK_E_NOT_ELIGIBLE');
    case 'BARRED':
      return new YeyakError('YEYAK_E_LEFTOVER_BARRED');
    case 'ALREADY_TODAY':
      return new YeyakError('YEYAK_E_LEFTOVER_ALREADY_TODAY');
    case 'GONE':
      return new YeyakError('YEYAK_E_LEFTOVER_GONE');
    case 'DOSE1_GIVEN':
      return new YeyakError('YEYAK_E_LEFTOVER_DOSE1_GIVEN');
    case 'DOSE2_FULL':
      return new YeyakError('YEYAK_E_DOSE2_FULL', 'No second-dose capacity at this clinic for the matching date; nothing was changed.');
    case 'IDEMPOTENCY_MISMATCH':
      return new YeyakError('YEYAK_E_IDEMPOTENCY_MISMATCH');
    case 'REPLAY_CANCELLED':
      return new YeyakError('YEYAK_E_RESERVATION_CANCELLED', undefined, response ? { bookingNumber: response.bookingNumber } : undefined);
    case 'BOOKING_NUMBER_TAKEN':
    case 'OK':
    case 'REPLAY':
      throw new Error(`take_leftover: ${code} without its answer`);
  }
}
