/**
 * Operators' confirmed supply: PUT rows (JSON), POST a CSV, GET per clinic × vaccine × week. A
 * change reloads this node's registry and availability view (other nodes follow the slot_change
 * feed); the waiting room sees a sold-out state flip on its next step (sold-out.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import type { Campaign } from '../rules/campaign.ts';
import { acceptCsvBodies } from './csv.ts';
import type { CampaignRegistry } from './registry.ts';
import { importSupplyCsv, setSupplyRows } from './supply-import.ts';
import { getSupplySchema, putSupplySchema, SUPPLY_LISTED_MAX, supplyCsvSchema } from './supply-schemas.ts';
import { listSupply, type SupplyInput, type SupplyReport } from './supply-sql.ts';

export interface SupplyRouteDeps {
  db: Db;
  clock: Clock;
  registry: CampaignRegistry;
  /** Slots' capacity changed: this node's availability view reads the campaign again. */
  reloadAvailability(c: Campaign): Promise<void>;
}

const OPERATOR = { staff: { roles: ['operator'] } } as const;
type CampaignRequest = FastifyRequest<{ Params: { campaignId: string } }>;

export async function supplyRoutes(app: FastifyInstance, deps: SupplyRouteDeps): Promise<void> {
  acceptCsvBodies(app);

  app.put('/admin/campaigns/:campaignId/supply', { config: OPERATOR, schema: putSupplySchema }, async (request: CampaignRequest) => {
    const id = request.params.campaignId;
    const report = await setSupplyRows(deps.db, id, (request.body as { rows: SupplyInput[] }).rows, deps.clock.now());
    await afterChange(deps, id, report, request);
    return report;
  });

  app.post('/admin/campaigns/:campaignId/supply.csv', { config: OPERATOR, schema: supplyCsvSchema }, async (request: CampaignRequest) => {
    const id = request.params.campaignId;
    const report = await importSupplyCsv(deps.db, id, request.body as string, deps.clock.now());
    await afterChange(deps, id, report, request);
    return report;
  });

  app.get<{ Params: { campaignId: string }; Querystring: { clinicId?: string } }>('/admin/campaigns/:campaignId/supply', { config: OPERATOR, schema: getSupplySchema }, async (request) => {
    const id = request.params.campaignId;
    if (!deps.registry.get(id)) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
    const rows = await listSupply(deps.db, id, request.query.clinicId ?? null, SUPPLY_LISTED_MAX + 1);
    return { rows: rows.slice(0, SUPPLY_LISTED_MAX), truncated: rows.length > SUPPLY_LISTED_MAX };
  });
}

async function afterChange(deps: SupplyRouteDeps, id: string, report: SupplyReport, request: FastifyRequest): Promise<void> {
  const cut = report.rows.reduce((n, r) => n + r.cut, 0);
  // The feed carries the cut's remaining too; the reload makes this node answer at once.
  const c = deps.registry.get(id);
  if (cut > 0 && c) await deps.reloadAvailability(c);
  // Counts only: booking numbers stay in the answer.
  request.log.info({ campaignId: id, rows: report.rows.length, cut, uncovered: report.uncoveredTotal, by: request.staff?.id ?? 'YEYAK_ADMIN_TOKEN' }, 'supply set');
}
