import type { FastifyInstance } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import type { Clock } from '../core/clock.ts';
import type { Campaign } from '../rules/campaign.ts';
import { isoInZone } from '../rules/time.ts';
import { openWindows } from '../rules/windows.ts';
import { eligibilityReasons, windowView } from '../rules/eligibility.ts';
import type { AvailabilityView } from '../availability/view.ts';
import type { BookingService } from '../booking/service.ts';
import { requireSession } from '../identity/auth.ts';
import type { SessionSigner } from '../identity/session.ts';

export interface CampaignRouteDeps {
  clock: Clock;
  booking: BookingService;
  availability: AvailabilityView;
  signer: SessionSigner;
  regionCodes: ReadonlySet<string>;
}

const idParam = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' } as const;
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
    const fromDay = deps.booking.firstBookableDay(c);
    const remaining = deps.availability.campaignRemaining(c.id, fromDay);
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
    async () => deps.booking.campaigns().map(view),
  );

  app.get<{ Params: { campaignId: string } }>(
    '/campaigns/:campaignId/eligibility',
    {
      schema: {
        tags: ['campaigns'],
        summary: "The session's person: eligible now? If not, why, and when to come back",
        security: [{ session: [] }],
        params: { type: 'object', additionalProperties: false, required: ['campaignId'], properties: { campaignId: idParam } },
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
      const session = requireSession(request, deps.signer);
      return deps.booking.eligibility(session, request.params.campaignId);
    },
  );

  app.get<{ Params: { campaignId: string }; Querystring: { region?: string } }>(
    '/campaigns/:campaignId/clinics',
    {
      schema: {
        tags: ['availability'],
        summary: 'Clinics (optionally of one 시/도 or 시/군/구) with remaining first doses',
        params: { type: 'object', additionalProperties: false, required: ['campaignId'], properties: { campaignId: idParam } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { region: { type: 'string', pattern: '^[0-9]{2}([0-9]{3})?$', description: '2-digit 시/도 or 5-digit 시/군/구 code' } },
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'name', 'region', 'remaining'],
              properties: {
                id: { type: 'string' },
                name: { type: 'string' },
                region: { type: 'string', description: '시/도 code' },
                district: { type: 'string', description: '시/군/구 code' },
                address: { type: 'string' },
                remaining: { type: 'integer' },
              },
            },
          },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (request) => {
      const c = deps.booking.campaign(request.params.campaignId);
      const region = request.query.region;
      if (region !== undefined && !deps.regionCodes.has(region)) throw new YeyakError('YEYAK_E_REGION_NOT_FOUND');
      const fromDay = deps.booking.firstBookableDay(c);
      const out = [];
      for (const id of deps.availability.clinicIds(c.id)) {
        const info = deps.availability.clinic(id);
        if (!info) continue;
        if (region !== undefined && info.sidoCode !== region && info.sigunguCode !== region) continue;
        out.push({
          id,
          name: info.name,
          region: info.sidoCode,
          district: info.sigunguCode,
          address: info.address,
          remaining: deps.availability.clinicRemaining(c.id, id, fromDay) ?? 0,
        });
      }
      return out;
    },
  );

  app.get<{ Params: { campaignId: string; clinicId: string } }>(
    '/campaigns/:campaignId/clinics/:clinicId/dates',
    {
      schema: {
        tags: ['availability'],
        summary: 'Bookable dose-1 dates of a clinic; remaining counts the dose-2 capacity behind each',
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['campaignId', 'clinicId'],
          properties: { campaignId: idParam, clinicId: idParam },
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              required: ['date', 'remaining'],
              properties: { date: { type: 'string' }, remaining: { type: 'integer' }, vaccine: { type: 'string' } },
            },
          },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (request) => {
      const c = deps.booking.campaign(request.params.campaignId);
      const dates = deps.availability.dates(c.id, request.params.clinicId, deps.booking.firstBookableDay(c));
      if (!dates) throw new YeyakError('YEYAK_E_CLINIC_NOT_FOUND');
      return dates.filter((d) => d.date <= c.lastShotDay);
    },
  );
}
