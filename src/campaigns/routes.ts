import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Campaign, CampaignLookup, Citizen } from '../rules/campaign.ts';
import { isoInZone } from '../rules/time.ts';
import { openWindows } from '../rules/windows.ts';
import { windowView } from '../rules/eligibility.ts';
import { SOLD_OUT_NOTICE, supplyStateOf } from '../rules/supply-state.ts';
import { eligibilitySchema, listCampaignsSchema } from './schemas.ts';

/** What the campaign routes need from the others; the app wires booking, availability and identity in. */
export interface CampaignRouteDeps {
  clock: Clock;
  campaigns: CampaignLookup;
  /** The first day a dose 1 may be booked (booking's lead days). */
  firstBookableDay(c: Campaign): string;
  /** First doses left from that day on (availability). */
  remainingFirstDoses(campaignId: string, fromDay: string): number;
  /** The citizen's eligibility now, with their booking number when they have one (booking). */
  eligibility(citizen: Citizen, campaignId: string): Promise<object>;
  /** The request's live session, or 401 (identity). */
  auth: { require(request: FastifyRequest): Citizen };
}

/** A campaign as GET /campaigns shows it: its windows, the ones open now and the supply left. */
function campaignView(c: Campaign, deps: CampaignRouteDeps) {
  const now = deps.clock.now();
  const remaining = deps.remainingFirstDoses(c.id, deps.firstBookableDay(c));
  return {
    id: c.id,
    name: { ko: c.nameKo, en: c.nameEn },
    timeZone: c.timeZone,
    birthFrom: c.birthFrom,
    birthTo: c.birthTo,
    proxyAllowed: c.proxyAllowed,
    doses: c.doses,
    dose2IntervalDays: c.dose2IntervalDays,
    changeFreezeDays: c.changeFreezeDays,
    cancelUntilDays: c.cancelUntilDays,
    firstShotDay: c.firstShotDay,
    lastShotDay: c.lastShotDay,
    waitingRoom: { enabled: c.queueEnabled, order: c.queueOrder ?? 'queue-first' },
    notice: c.noticeKo || c.noticeEn ? { ko: c.noticeKo ?? '', en: c.noticeEn ?? '' } : null,
    windows: c.windows.map((w) => ({
      ...windowView(c, w),
      birthDayDigits: w.birthDayDigits ? [...w.birthDayDigits] : null,
      birthYearFrom: w.birthYearFrom,
      birthYearTo: w.birthYearTo,
    })),
    openWindows: openWindows(c, now).map((w) => windowView(c, w)),
    now: isoInZone(now, c.timeZone),
    cohort: c.cohort ?? null,
    remainingFirstDoses: remaining,
    supplyExhausted: remaining === 0,
    ...supplyView(remaining),
  };
}

/** Sold out (rules/supply-state.ts): the state, and while sold out the notice to show. */
function supplyView(remaining: number) {
  const supplyState = supplyStateOf(remaining);
  return { supplyState, supplyNotice: supplyState === 'sold_out' ? { ...SOLD_OUT_NOTICE } : null };
}

export async function campaignRoutes(app: FastifyInstance, deps: CampaignRouteDeps): Promise<void> {
  app.get('/campaigns', { schema: listCampaignsSchema }, async () => deps.campaigns.list().map((c) => campaignView(c, deps)));

  app.get<{ Params: { campaignId: string } }>('/campaigns/:campaignId/eligibility', { schema: eligibilitySchema }, async (request) => {
    return deps.eligibility(deps.auth.require(request), request.params.campaignId);
  });
}
