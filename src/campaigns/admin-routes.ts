import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import type { Campaign } from '../rules/campaign.ts';
import { acceptCsvBodies } from './csv.ts';
import { campaignDefinitionSchema, capacityImportSchema, getDefinitionSchema, putDefinitionSchema, rosterImportSchema, vaccinationRecordsImportSchema } from './admin-schemas.ts';
import { importVaccinationRecords } from './vaccination-records.ts';
import { checkShape, type DefinitionProblem } from './definition-shape.ts';
import { validateDefinition, type CampaignDefinition } from './definition.ts';
import { changeConflicts, loadDefinition, loadReferences, lockCampaign, writeDefinition } from './definition-sql.ts';
import { importCapacity } from './capacity-import.ts';
import { importRoster, type RrnHasher } from './roster-import.ts';
import type { CampaignRegistry } from './registry.ts';
import { loadCampaign } from './store.ts';

/** What the operator's campaign routes need; the app wires availability and identity's hash in. */
export interface CampaignAdminDeps {
  db: Db;
  clock: Clock;
  registry: CampaignRegistry;
  /** The campaign's definition changed or slots were created: this node's availability view reads it again. */
  reloadAvailability(c: Campaign): Promise<void>;
  /** Identity's keyed hash of a 13-digit RRN (what campaign_roster and person hold). */
  rrnHash: RrnHasher;
}

const OPERATOR = { staff: { roles: ['operator'] } } as const;

type CampaignRequest = FastifyRequest<{ Params: { campaignId: string } }>;

/** Operators edit a campaign as data: its definition, dose-1 capacity and roster (CSV). */
export async function campaignAdminRoutes(app: FastifyInstance, deps: CampaignAdminDeps): Promise<void> {
  acceptCsvBodies(app);
  registerGetDefinition(app, deps);
  registerPutDefinition(app, deps);
  registerCapacityImport(app, deps);
  registerRosterImport(app, deps);
  registerVaccinationRecordImport(app, deps);
}

function registerGetDefinition(app: FastifyInstance, deps: CampaignAdminDeps): void {
  app.get('/admin/campaigns/:campaignId', { config: OPERATOR, schema: getDefinitionSchema }, async (request: CampaignRequest) => {
    const found = await loadDefinition(deps.db, request.params.campaignId);
    if (!found) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
    return found.definition;
  });
}

const invalid = (problems: readonly DefinitionProblem[]) => new YeyakError('YEYAK_E_CAMPAIGN_INVALID', undefined, { errors: problems, errorCount: problems.length });

/**
 * PUT /admin/campaigns/:campaignId. The app's validator stops at a body's first error, so this
 * route takes its result as a hint (`attachValidation`) and lists every problem itself: shape
 * (the same schema), then the rules (definition.ts), then, under the campaign's row lock, what
 * existing bookings and capacity forbid (409) — and writes in that same transaction.
 */
function registerPutDefinition(app: FastifyInstance, deps: CampaignAdminDeps): void {
  app.put('/admin/campaigns/:campaignId', { config: OPERATOR, schema: putDefinitionSchema, attachValidation: true }, async (request: CampaignRequest) => {
    if (request.validationError && request.validationError.validationContext !== 'body') throw request.validationError;
    const id = request.params.campaignId;
    const stored = await loadCampaign(deps.db, id);
    if (!stored) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
    const shape = checkShape(campaignDefinitionSchema, request.body);
    if (shape.length > 0) throw invalid(shape);
    const definition = request.body as CampaignDefinition;
    const problems = validateDefinition(definition, stored, await loadReferences(deps.db));
    if (problems.length > 0) throw invalid(problems);
    await deps.db.transaction(async (tx) => {
      if (!(await lockCampaign(tx, id))) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
      const current = (await loadCampaign(tx, id)) ?? stored;
      const conflicts = await changeConflicts(tx, current, definition);
      if (conflicts.length > 0) throw new YeyakError('YEYAK_E_CAMPAIGN_CHANGE_BLOCKED', undefined, { errors: conflicts, errorCount: conflicts.length });
      await writeDefinition(tx, definition);
    });
    await reloadCampaign(deps, id);
    request.log.info({ campaignId: id, by: request.staff?.id ?? 'YEYAK_ADMIN_TOKEN' }, 'campaign definition replaced');
    const found = await loadDefinition(deps.db, id);
    if (!found) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
    return found.definition;
  });
}

/** This node serves the change at once: its registry and its availability view (dose-2 pairs follow blackout days). */
async function reloadCampaign(deps: CampaignAdminDeps, id: string): Promise<void> {
  await deps.registry.reload(deps.db, id);
  const c = deps.registry.get(id);
  if (c) await deps.reloadAvailability(c);
}

function registerCapacityImport(app: FastifyInstance, deps: CampaignAdminDeps): void {
  app.post('/admin/campaigns/:campaignId/capacity', { config: OPERATOR, schema: capacityImportSchema }, async (request: CampaignRequest) => {
    const id = request.params.campaignId;
    const result = await importCapacity(deps.db, id, request.body as string, deps.clock.now());
    if (result.slotsCreated > 0) await reloadCampaign(deps, id);
    request.log.info({ campaignId: id, rows: result.rows, imported: result.imported, slotsCreated: result.slotsCreated, by: request.staff?.id ?? 'YEYAK_ADMIN_TOKEN' }, 'capacity imported');
    return { imported: result.imported, rows: result.rows };
  });
}

function registerRosterImport(app: FastifyInstance, deps: CampaignAdminDeps): void {
  app.post('/admin/campaigns/:campaignId/roster', { config: OPERATOR, schema: rosterImportSchema }, async (request: CampaignRequest) => {
    const id = request.params.campaignId;
    const campaign = deps.registry.get(id) ?? (await loadCampaign(deps.db, id));
    if (!campaign) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
    const result = await importRoster(deps.db, campaign, request.body as string, deps.clock.now(), deps.rrnHash);
    // Counts only: the file's names and numbers are never logged.
    request.log.info({ campaignId: id, rows: result.rows, imported: result.imported, by: request.staff?.id ?? 'YEYAK_ADMIN_TOKEN' }, 'roster imported');
    return result;
  });
}

/** Doses given elsewhere, for a booster's cohort (vaccination-records.ts). */
function registerVaccinationRecordImport(app: FastifyInstance, deps: CampaignAdminDeps): void {
  app.post('/admin/vaccination-records', { config: OPERATOR, schema: vaccinationRecordsImportSchema }, async (request) => {
    const staffId = request.staff?.id ?? null;
    const by = staffId === null ? 'staff:admin-token' : `staff:${staffId}`;
    const result = await importVaccinationRecords(deps.db, request.body as string, deps.clock.now(), deps.rrnHash, by);
    // Counts only: the file's numbers are never logged.
    request.log.info({ rows: result.rows, imported: result.imported, replaced: result.replaced, by }, 'vaccination records imported');
    return result;
  });
}
