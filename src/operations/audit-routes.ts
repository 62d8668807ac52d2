import type {} from '@fastify/rate-limit'; // augments route config with rateLimit
import type { FastifyInstance } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { AUDIT_CHECKS } from './audit.ts';
import type { AuditJob } from './audit-job.ts';

/** Runs on demand per client address per minute: a round reads every reservation. */
export const AUDIT_RUNS_PER_MIN = 6;

const checkSchema = {
  type: 'object',
  required: ['check', 'ok', 'violations', 'examples', 'exampleKind', 'durationMs'],
  properties: {
    check: { type: 'string', enum: [...AUDIT_CHECKS] },
    ok: { type: 'boolean' },
    violations: { type: 'integer', description: 'things that break it (0: it holds)' },
    examples: { type: 'array', maxItems: 10, items: { type: 'string' }, description: 'up to 10 ids: slot ids, booking numbers, supply ids, campaign:position' },
    exampleKind: { type: 'string', enum: ['slot', 'booking', 'supply', 'place', 'position'] },
    durationMs: { type: 'integer' },
  },
} as const;

/** The latest round, whichever node ran it (docs and response serialisation: no field leaves unless listed). */
const latestSchema = {
  type: 'object',
  required: ['last'],
  properties: {
    last: {
      type: 'object',
      nullable: true,
      description: 'null before the first round',
      required: ['ranAt', 'node', 'report'],
      properties: {
        ranAt: { type: 'string', format: 'date-time' },
        node: { type: 'string', description: 'host:pid of the node that ran it' },
        report: {
          type: 'object',
          required: ['ok', 'startedAt', 'durationMs', 'campaignId', 'checks'],
          properties: {
            ok: { type: 'boolean' },
            startedAt: { type: 'string', format: 'date-time' },
            durationMs: { type: 'integer' },
            campaignId: { type: 'string', nullable: true },
            checks: { type: 'array', items: checkSchema },
          },
        },
      },
    },
  },
} as const;

export async function auditRoutes(app: FastifyInstance, deps: { audit: AuditJob }): Promise<void> {
  app.get(
    '/admin/audit',
    {
      config: { staff: { roles: ['operator'] } },
      schema: {
        tags: ['admin'],
        summary: "The invariant auditor's latest round: slots, one reservation per person, dose 2, supply, waiting-room places",
        security: [{ admin: [] }],
        response: { 200: latestSchema, '4xx': { $ref: 'Error#' } },
      },
    },
    async () => ({ last: await deps.audit.latest() }),
  );

  app.post(
    '/admin/audit',
    {
      config: { staff: { roles: ['operator'] }, rateLimit: { max: AUDIT_RUNS_PER_MIN, timeWindow: 60_000 } },
      schema: {
        tags: ['admin'],
        summary: 'Run an audit round now (at most 6 a minute); 429 YEYAK_E_BUSY while another node runs one',
        security: [{ admin: [] }],
        response: { 200: latestSchema, '4xx': { $ref: 'Error#' } },
      },
    },
    async () => {
      const round = await deps.audit.runRound(true);
      if (round.kind === 'locked') throw new YeyakError('YEYAK_E_BUSY', 'Another node is running an audit round; read it with GET /api/v1/admin/audit shortly.');
      return { last: await deps.audit.latest() };
    },
  );
}
