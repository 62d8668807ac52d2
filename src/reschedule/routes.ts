/**
 * The operators' bulk dose-2 moves (issue #11), under /api/v1/admin/reschedules: make a job (or a
 * dry run), list them, read one with its progress, moves per day and the unfit list (paged),
 * pause and resume. The job runs in the background on whichever node claims its lease (runner.ts).
 *
 * The plan is an object whose shape the plan validator checks (plan.ts), so the CLI's file and
 * this body get the same per-field codes in `details.errors`, not the schema's first complaint.
 */
import type { FastifyInstance } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { UNFIT_HEAD_MAX, type RescheduleService } from './service.ts';
import type { RescheduleRunner } from './runner.ts';
import type { JobRow } from './sql.ts';

const JOBS_LISTED_MAX = 50;
const UNFIT_PAGE_MAX = 500;

export interface RescheduleRouteDeps {
  service: RescheduleService;
  runner: Pick<RescheduleRunner, 'kick'>;
}

const operator = { tags: ['admin'], security: [{ admin: [] }] } as const;
const planSchema = {
  type: 'object',
  description:
    'campaignId, vaccineId, dose1From, dose1To (YYYY-MM-DD), interval {days} or {minDays, maxDays}, pick first|spread, ' +
    'avoidDays [YYYY-MM-DD], shiftDays (±1–30, default -5), clinicIds?, batchSize (1–10,000, default 2,000); ' +
    'checked whole by the plan validator: 400 YEYAK_E_RESCHEDULE_PLAN_INVALID with details.errors [{field, code}]',
  additionalProperties: true,
} as const;
const counts = {
  total: { type: 'integer' }, examined: { type: 'integer' }, moved: { type: 'integer' }, unfit: { type: 'integer' },
  skipped: { type: 'integer', description: 'already on a plan day, moved by this job before, or left the scope meanwhile' },
  batches: { type: 'integer' },
} as const;
const jobSchema = {
  type: 'object',
  required: ['id', 'state', 'plan', 'createdAt', 'createdBy', 'total', 'examined', 'moved', 'unfit', 'skipped', 'batches', 'cursor', 'progress'],
  properties: {
    id: { type: 'integer' },
    state: { type: 'string', enum: ['queued', 'running', 'paused', 'done', 'failed'] },
    plan: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
    ...counts,
    cursor: { type: 'integer', description: 'the last reservation id a committed batch examined' },
    progress: { type: 'number', description: 'examined ÷ total, 0–1 (1 when done)' },
    leaseOwner: { type: 'string', nullable: true },
    leaseUntil: { type: 'string', format: 'date-time', nullable: true },
    startedAt: { type: 'string', format: 'date-time', nullable: true },
    finishedAt: { type: 'string', format: 'date-time', nullable: true },
    updatedAt: { type: 'string', format: 'date-time' },
    lastError: { type: 'string', nullable: true },
  },
} as const;
const perDay = { type: 'array', items: { type: 'object', required: ['day', 'moved'], properties: { day: { type: 'string' }, moved: { type: 'integer' } } } } as const;
const unfitItems = {
  type: 'array',
  items: {
    type: 'object',
    required: ['reservationId', 'bookingNumber', 'clinicId', 'day1', 'day2', 'reason'],
    properties: {
      reservationId: { type: 'integer' }, bookingNumber: { type: 'string' }, clinicId: { type: 'string' }, day1: { type: 'string' },
      day2: { type: 'string', nullable: true, description: 'the dose-2 day they keep' }, reason: { type: 'string', enum: ['FULL', 'NO_SLOT', 'NO_DOSE2'] },
    },
  },
} as const;
// Path and query values are strings (no coercion): digits, read as numbers here.
const digits = (description: string) => ({ type: 'string', pattern: '^[0-9]{1,15}$', description }) as const;
const idParams = { type: 'object', additionalProperties: false, required: ['jobId'], properties: { jobId: digits('the job id') } } as const;

const withProgress = (job: JobRow) => ({ ...job, progress: job.state === 'done' ? 1 : job.total === 0 ? 0 : Math.min(1, job.examined / job.total) });

async function foundJob(service: RescheduleService, jobId: number): Promise<JobRow> {
  const job = await service.job(jobId);
  if (!job) throw new YeyakError('YEYAK_E_RESCHEDULE_JOB_NOT_FOUND');
  return job;
}

export async function rescheduleRoutes(app: FastifyInstance, deps: RescheduleRouteDeps): Promise<void> {
  const { service } = deps;
  app.post<{ Body: { plan: unknown; dryRun?: boolean } }>(
    '/admin/reschedules',
    {
      config: { staff: { roles: ['operator'] } },
      schema: {
        ...operator,
        summary: 'Move second doses in bulk by a plan: a job run in the background (202), or a dry run (200) that writes nothing',
        body: { type: 'object', additionalProperties: false, required: ['plan'], properties: { plan: planSchema, dryRun: { type: 'boolean' } } },
        response: {
          200: {
            type: 'object',
            required: ['dryRun', 'total', 'moved', 'unfit', 'skipped', 'batches', 'movedPerDay', 'unfitHead'],
            properties: { dryRun: { type: 'boolean' }, ...counts, movedPerDay: perDay, unfitHead: unfitItems },
          },
          202: { type: 'object', required: ['job'], properties: { job: jobSchema } },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (request, reply) => {
      if (request.body.dryRun === true) {
        const dry = await service.dryRun(request.body.plan);
        return { dryRun: true, ...dry };
      }
      const job = await service.create(request.body.plan, request.staff?.id ? `staff:${request.staff.id}` : 'staff:admin-token');
      void deps.runner.kick();
      return reply.code(202).send({ job: withProgress(job) });
    },
  );

  app.get(
    '/admin/reschedules',
    {
      config: { staff: { roles: ['operator'] } },
      schema: { ...operator, summary: `The latest ${JOBS_LISTED_MAX} bulk dose-2 move jobs, newest first`, response: { 200: { type: 'object', required: ['jobs'], properties: { jobs: { type: 'array', items: jobSchema } } }, '4xx': { $ref: 'Error#' } } },
    },
    async () => ({ jobs: (await service.jobs(JOBS_LISTED_MAX)).map(withProgress) }),
  );

  await readRoutes(app, service);
  await actionRoutes(app, deps);
}

async function readRoutes(app: FastifyInstance, service: RescheduleService): Promise<void> {
  app.get<{ Params: { jobId: string }; Querystring: { unfitAfter?: string; unfitLimit?: string } }>(
    '/admin/reschedules/:jobId',
    {
      config: { staff: { roles: ['operator'] } },
      schema: {
        ...operator,
        summary: 'One job: its progress, moves per new day and the people who did not fit (paged by reservation id)',
        params: idParams,
        querystring: {
          type: 'object', additionalProperties: false,
          properties: { unfitAfter: digits('the last reservationId of the previous page'), unfitLimit: digits(`unfit rows, 1–${UNFIT_PAGE_MAX} (default ${UNFIT_HEAD_MAX})`) },
        },
        response: {
          200: { type: 'object', required: ['job', 'movedPerDay', 'unfit'], properties: { job: jobSchema, movedPerDay: perDay, unfit: unfitItems } },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (request) => {
      const job = await foundJob(service, Number(request.params.jobId));
      const limit = Math.min(UNFIT_PAGE_MAX, Math.max(1, Number(request.query.unfitLimit ?? UNFIT_HEAD_MAX)));
      const unfit = await service.unfit(job.id, limit, Number(request.query.unfitAfter ?? 0));
      return { job: withProgress(job), movedPerDay: await service.movedPerDay(job.id), unfit };
    },
  );

}

async function actionRoutes(app: FastifyInstance, deps: RescheduleRouteDeps): Promise<void> {
  const { service } = deps;
  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { jobId: string } }>(
      `/admin/reschedules/:jobId/${action}`,
      {
        config: { staff: { roles: ['operator'] } },
        schema: {
          ...operator,
          summary: action === 'pause' ? 'Pause a queued or running job (it stops after the batch in flight)' : 'Resume a paused or failed job after its last batch',
          params: idParams,
          response: { 200: { type: 'object', required: ['job'], properties: { job: jobSchema } }, '4xx': { $ref: 'Error#' } },
        },
      },
      async (request) => {
        const id = (await foundJob(service, Number(request.params.jobId))).id;
        const job = action === 'pause' ? await service.pause(id) : await service.resume(id);
        if (!job) throw new YeyakError('YEYAK_E_RESCHEDULE_JOB_STATE');
        if (action === 'resume') void deps.runner.kick();
        return { job: withProgress(job) };
      },
    );
  }
}
