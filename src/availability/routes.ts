import type { FastifyInstance } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { idParams } from '../core/schemas.ts';
import { requireCampaign, type Campaign, type CampaignLookup } from '../rules/campaign.ts';
import type { AvailabilityView } from './view.ts';

export interface AvailabilityRouteDeps {
  availability: AvailabilityView;
  campaigns: CampaignLookup;
  /** The first day a dose 1 may be booked (booking's lead days): nothing earlier is offered. */
  firstBookableDay(c: Campaign): string;
  /** 시/도 and 시/군/구 codes that exist (campaigns/regions.ts). */
  regionCodes: ReadonlySet<string>;
}

const clinicListSchema = {
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
} as const;

const dateListSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['date', 'remaining'],
    properties: { date: { type: 'string' }, remaining: { type: 'integer' }, vaccine: { type: 'string' } },
  },
} as const;

/** What is left to book: a campaign's clinics (by region) and a clinic's dates, from the in-process view. */
export async function availabilityRoutes(app: FastifyInstance, deps: AvailabilityRouteDeps): Promise<void> {
  app.get<{ Params: { campaignId: string }; Querystring: { region?: string } }>(
    '/campaigns/:campaignId/clinics',
    {
      schema: {
        tags: ['availability'],
        summary: 'Clinics (optionally of one 시/도 or 시/군/구) with remaining first doses',
        params: idParams('campaignId'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { region: { type: 'string', pattern: '^[0-9]{2}([0-9]{3})?$', description: '2-digit 시/도 or 5-digit 시/군/구 code' } },
        },
        response: { 200: clinicListSchema, '4xx': { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const c = requireCampaign(deps.campaigns, request.params.campaignId);
      const region = request.query.region;
      if (region !== undefined && !deps.regionCodes.has(region)) throw new YeyakError('YEYAK_E_REGION_NOT_FOUND');
      const fromDay = deps.firstBookableDay(c);
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
        params: idParams('campaignId', 'clinicId'),
        response: { 200: dateListSchema, '4xx': { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const c = requireCampaign(deps.campaigns, request.params.campaignId);
      const dates = deps.availability.dates(c.id, request.params.clinicId, deps.firstBookableDay(c));
      if (!dates) throw new YeyakError('YEYAK_E_CLINIC_NOT_FOUND');
      return dates.filter((d) => d.date <= c.lastShotDay);
    },
  );
}
