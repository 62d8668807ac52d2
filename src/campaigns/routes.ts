import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import { idParams } from '../core/schemas.ts';
import type { Campaign, CampaignLookup, Citizen } from '../rules/campaign.ts';
import { isoInZone } from '../rules/time.ts';
import { openWindows } from '../rules/windows.ts';
import { eligibilityReasons, windowView } from '../rules/eligibility.ts';

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
const localized = { type: 'object', properties: { ko: { type: 'string' }, en: { type: 'string' } } } as const;
const windowSchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    label: localized,
    opensAt: { type: 'string' },
    closesAt: { type: 'string' },
    birthDayDigits: { type: 'array', nullable: true, items: { type: 'integer' } },
    birthYearFrom: { type: 'integer', nullable: true },
    birthYearTo: { type: 'integer', nullable: true },
  },
} as const;

export async function campaignRoutes(app: FastifyInstance, deps: CampaignRouteDeps): Promise<void> {
  const view = (c: Campaign) => {
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
      firstShotDay: c.firstShotDay,
      lastShotDay: c.lastShotDay,
      notice: c.noticeKo || c.noticeEn ? { ko: c.noticeKo ?? '', en: c.noticeEn ?? '' } : null,
      windows: c.windows.map((w) => ({
        ...windowView(c, w),
        birthDayDigits: w.birthDayDigits ? [...w.birthDayDigits] : null,
        birthYearFrom: w.birthYearFrom,
        birthYearTo: w.birthYearTo,
      })),
      openWindows: openWindows(c, now).map((w) => windowView(c, w)),
      now: isoInZone(now, c.timeZone),
      remainingFirstDoses: remaining,
      supplyExhausted: remaining === 0,
    };
  };

  app.get(
    '/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Campaigns with their windows and the windows open now',
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                name: localized,
                timeZone: { type: 'string' },
                birthFrom: { type: 'string', nullable: true },
                birthTo: { type: 'string', nullable: true },
                proxyAllowed: { type: 'boolean' },
                doses: { type: 'integer' },
                dose2IntervalDays: { type: 'integer', nullable: true },
                firstShotDay: { type: 'string' },
                lastShotDay: { type: 'string' },
                notice: { ...localized, nullable: true },
                windows: { type: 'array', items: windowSchema },
                openWindows: { type: 'array', items: windowSchema },
                now: { type: 'string' },
                remainingFirstDoses: { type: 'integer' },
                supplyExhausted: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
    async () => deps.campaigns.list().map(view),
  );

  app.get<{ Params: { campaignId: string } }>(
    '/campaigns/:campaignId/eligibility',
    {
      schema: {
        tags: ['campaigns'],
        summary: "The session's person: eligible now? If not, why, and when to come back",
        security: [{ session: [] }],
        params: idParams('campaignId'),
        response: {
          200: {
            type: 'object',
            required: ['eligible', 'reasons'],
            properties: {
              eligible: { type: 'boolean' },
              reasons: { type: 'array', items: { type: 'string', enum: [...eligibilityReasons] } },
              window: windowSchema,
              nextWindow: windowSchema,
              message: localized,
              bookingNumber: { type: 'string' },
            },
          },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (request) => {
      return deps.eligibility(deps.auth.require(request), request.params.campaignId);
    },
  );
}
