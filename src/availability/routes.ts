import type { FastifyInstance } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { requireCampaign, type Campaign, type CampaignLookup } from '../rules/campaign.ts';
import type { AvailabilityView } from './view.ts';
import { clinicListSchema, clinicSchemaOf, dateListSchema, regionListSchema } from './schemas.ts';

export interface AvailabilityRouteDeps {
  availability: AvailabilityView;
  campaigns: CampaignLookup;
  /** The first day a dose 1 may be booked (booking's lead days): nothing earlier is offered. */
  firstBookableDay(c: Campaign): string;
  /** 시/도 and 시/군/구 codes that exist (campaigns/regions.ts). */
  regionCodes: ReadonlySet<string>;
}

/** A clinic as the lists show it, with its first doses left from `fromDay` on; null: not in the campaign. */
function clinicView(deps: AvailabilityRouteDeps, campaignId: string, clinicId: string, fromDay: string) {
  const info = deps.availability.clinic(clinicId);
  if (!info || !deps.availability.hasClinic(campaignId, clinicId)) return null;
  return {
    id: clinicId,
    name: info.name,
    region: info.sidoCode,
    district: info.sigunguCode,
    address: info.address,
    remaining: deps.availability.clinicRemaining(campaignId, clinicId, fromDay) ?? 0,
  };
}

/** GET /campaigns/:campaignId/clinics[?region=]: a region's clinics, or all of them. */
function registerClinics(app: FastifyInstance, deps: AvailabilityRouteDeps): void {
  app.get<{ Params: { campaignId: string }; Querystring: { region?: string } }>('/campaigns/:campaignId/clinics', { schema: clinicListSchema }, async (request) => {
    const c = requireCampaign(deps.campaigns, request.params.campaignId);
    const region = request.query.region;
    if (region !== undefined && !deps.regionCodes.has(region)) throw new YeyakError('YEYAK_E_REGION_NOT_FOUND');
    const fromDay = deps.firstBookableDay(c);
    const out = [];
    for (const id of deps.availability.clinicIds(c.id)) {
      const info = deps.availability.clinic(id);
      if (!info) continue;
      if (region !== undefined && info.sidoCode !== region && info.sigunguCode !== region) continue;
      const view = clinicView(deps, c.id, id, fromDay);
      if (view) out.push(view);
    }
    return out;
  });
}

/** GET /campaigns/:campaignId/clinics/:clinicId: one clinic (a receipt's address). */
function registerClinic(app: FastifyInstance, deps: AvailabilityRouteDeps): void {
  app.get<{ Params: { campaignId: string; clinicId: string } }>('/campaigns/:campaignId/clinics/:clinicId', { schema: clinicSchemaOf }, async (request) => {
    const c = requireCampaign(deps.campaigns, request.params.campaignId);
    const view = clinicView(deps, c.id, request.params.clinicId, deps.firstBookableDay(c));
    if (!view) throw new YeyakError('YEYAK_E_CLINIC_NOT_FOUND');
    return view;
  });
}

/** GET /campaigns/:campaignId/clinics/:clinicId/dates: dose-1 dates with what is left and their dose-2 day. */
function registerDates(app: FastifyInstance, deps: AvailabilityRouteDeps): void {
  app.get<{ Params: { campaignId: string; clinicId: string } }>('/campaigns/:campaignId/clinics/:clinicId/dates', { schema: dateListSchema }, async (request) => {
    const c = requireCampaign(deps.campaigns, request.params.campaignId);
    const dates = deps.availability.dates(c.id, request.params.clinicId, deps.firstBookableDay(c));
    if (!dates) throw new YeyakError('YEYAK_E_CLINIC_NOT_FOUND');
    return dates.filter((d) => d.date <= c.lastShotDay);
  });
}

/** GET /campaigns/:campaignId/regions: 시/도 and 시/군/구 with clinics in the campaign, and what is left in each. */
function registerRegions(app: FastifyInstance, deps: AvailabilityRouteDeps): void {
  app.get<{ Params: { campaignId: string } }>('/campaigns/:campaignId/regions', { schema: regionListSchema }, async (request) => {
    const c = requireCampaign(deps.campaigns, request.params.campaignId);
    return deps.availability.regions(c.id, deps.firstBookableDay(c)) ?? [];
  });
}

/** What is left to book: a campaign's regions, clinics and a clinic's dates, from the in-process view. */
export async function availabilityRoutes(app: FastifyInstance, deps: AvailabilityRouteDeps): Promise<void> {
  registerRegions(app, deps);
  registerClinics(app, deps);
  registerClinic(app, deps);
  registerDates(app, deps);
}
