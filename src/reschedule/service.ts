/**
 * Bulk dose-2 moves as jobs (issue #11). A plan is validated (plan.ts), turned into plan days per
 * dose-1 day (candidates.ts) and stored as a job; a runner then calls reschedule_batch once per
 * transaction until the job is done, paused, or its lease is lost. Everything a batch does
 * commits together (migrations/019), so stopping — a pause, SIGINT, a kill, a crash — between or
 * inside batches loses nothing and repeats nothing: a resume continues after the cursor.
 *
 * The dry run is the same function in one transaction that is rolled back, in its no-lock mode:
 * it answers what would move (per new day) and who would not fit, and writes nothing.
 */
import { hostname } from 'node:os';
import type { Clock } from '../core/clock.ts';
import type { Db, Queryable } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import { withDbRetry } from '../core/retry.ts';
import { candidateDays, type CandidateDay } from './candidates.ts';
import { parsePlan, type PlanIssue, type ReschedulePlan } from './plan.ts';
import * as sql from './sql.ts';

export const RESCHEDULE_LEASE_MS = 30_000; // a runner that stops renewing (dead node) loses the job after this
export const RESCHEDULE_BATCH_TIMEOUT_MS = 120_000; // one batch's statement; the pool's default (5 s) is for requests
export const UNFIT_HEAD_MAX = 20; // unfit people shown by a dry run and a job's summary

export interface DryRunResult {
  plan: ReschedulePlan;
  total: number;
  moved: number;
  unfit: number;
  skipped: number;
  batches: number;
  movedPerDay: { day: string; moved: number }[];
  unfitHead: sql.UnfitRow[];
}

export interface BatchProgress extends sql.BatchResult {
  jobId: number;
  job: Pick<sql.JobRow, 'total' | 'examined' | 'moved' | 'unfit' | 'skipped' | 'batches'>;
  elapsedMs: number;
}

export interface RunOptions {
  /** Who holds the lease (default host:pid). */
  owner?: string;
  leaseMs?: number;
  /** Asked before each batch: true stops the run between batches. */
  shouldStop?: () => boolean;
  /** The job's state after such a stop: paused (default; a resume continues it) or queued (any runner may). */
  stopAs?: 'paused' | 'queued';
  onBatch?: (p: BatchProgress) => void;
  /** Tests: runs inside each batch's transaction after the batch, before its commit (a throw rolls it back). */
  inBatch?: (tx: Queryable, batchNumber: number) => Promise<void>;
  /** At most this many batches, then stop (paused): tests and benches. */
  batchesMax?: number;
}

export type RunEnd = 'done' | 'paused' | 'lease_lost' | 'not_runnable';

const ROLLBACK = Symbol('dry-run rollback');

export const defaultOwner = (): string => `${hostname()}:${process.pid}`;

function planError(issues: PlanIssue[]): YeyakError {
  return new YeyakError('YEYAK_E_RESCHEDULE_PLAN_INVALID', undefined, { errors: issues });
}

export class RescheduleService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** A plan as given (JSON), checked in shape and against the store; throws YEYAK_E_RESCHEDULE_PLAN_INVALID. */
  async validate(input: unknown): Promise<{ plan: ReschedulePlan; candidates: CandidateDay[] }> {
    const parsed = parsePlan(input);
    if (!parsed.ok) throw planError(parsed.issues);
    let candidates: CandidateDay[] | null = null;
    try {
      candidates = candidateDays(parsed.plan);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
    const issues = await sql.planIssuesInStore(this.db, parsed.plan, candidates ?? [], this.clock.now());
    if (issues.length > 0) throw planError(issues);
    if (candidates === null) throw planError([{ field: 'avoidDays', code: 'RANGE' }]);
    return { plan: parsed.plan, candidates };
  }

  /** Stores a queued job (a runner claims it); `createdBy` is the audit actor. */
  async create(input: unknown, createdBy: string): Promise<sql.JobRow> {
    const { plan, candidates } = await this.validate(input);
    const now = this.clock.now();
    const id = await this.db.transaction((tx) => sql.insertJob(tx, { plan, candidates, createdBy, now, state: 'queued', owner: null, leaseMs: 0 }));
    const job = await sql.readJob(this.db, id);
    if (!job) throw new Error('reschedule: job vanished');
    return job;
  }

  /** What the plan would do now; nothing is written (one transaction, rolled back) and nothing is locked. */
  async dryRun(input: unknown): Promise<DryRunResult> {
    const { plan, candidates } = await this.validate(input);
    let result: DryRunResult | null = null;
    const owner = `dry-run:${defaultOwner()}`;
    await this.db
      .transaction(async (tx) => {
        await tx.query(`SET LOCAL statement_timeout = ${RESCHEDULE_BATCH_TIMEOUT_MS}`);
        const now = this.clock.now();
        const id = await sql.insertJob(tx, { plan, candidates, createdBy: 'dry-run', now, state: 'running', owner, leaseMs: RESCHEDULE_LEASE_MS });
        for (;;) {
          const r = await sql.runBatch(tx, id, owner, now, RESCHEDULE_LEASE_MS, false);
          if (r.code !== 'OK') break;
        }
        const job = await sql.readJob(tx, id);
        if (!job) throw new Error('reschedule: dry-run job vanished');
        result = {
          plan, total: job.total, moved: job.moved, unfit: job.unfit, skipped: job.skipped, batches: job.batches,
          movedPerDay: await sql.movedPerDay(tx, id), unfitHead: await sql.unfitList(tx, id, UNFIT_HEAD_MAX),
        };
        throw ROLLBACK;
      })
      .catch((e: unknown) => {
        if (e !== ROLLBACK) throw e;
      });
    if (!result) throw new Error('reschedule: dry run produced nothing');
    return result;
  }

  /**
   * Runs the job from its cursor until done (or stopped): claims the lease, then one transaction
   * per batch. A batch that throws marks the job failed (resumable) and rethrows.
   */
  async run(jobId: number, opts: RunOptions = {}): Promise<RunEnd> {
    const owner = opts.owner ?? defaultOwner();
    const leaseMs = opts.leaseMs ?? RESCHEDULE_LEASE_MS;
    const claimed = await sql.claimLease(this.db, jobId, owner, this.clock.now(), leaseMs);
    if (!claimed) return 'not_runnable';
    const started = this.clock.monotonicMs();
    for (let n = 1; ; n++) {
      if (opts.shouldStop?.() || (opts.batchesMax !== undefined && n > opts.batchesMax)) {
        await sql.releaseLease(this.db, jobId, owner, this.clock.now(), opts.stopAs ?? 'paused', null);
        return 'paused';
      }
      let r: sql.BatchResult;
      try {
        r = await withDbRetry(() =>
          this.db.transaction(async (tx) => {
            await tx.query(`SET LOCAL statement_timeout = ${RESCHEDULE_BATCH_TIMEOUT_MS}`);
            const res = await sql.runBatch(tx, jobId, owner, this.clock.now(), leaseMs, true);
            if (res.code === 'OK') await opts.inBatch?.(tx, n);
            return res;
          }),
        );
      } catch (e) {
        await sql.releaseLease(this.db, jobId, owner, this.clock.now(), 'failed', e instanceof Error ? e.message.slice(0, 500) : 'batch failed').catch(() => undefined);
        throw e;
      }
      if (r.code === 'DONE') return 'done';
      if (r.code === 'NOT_RUNNING') return 'paused';
      if (r.code !== 'OK') return 'lease_lost';
      const job = await sql.readJob(this.db, jobId);
      if (job) opts.onBatch?.({ ...r, jobId, job, elapsedMs: this.clock.monotonicMs() - started });
    }
  }

  pause(jobId: number): Promise<sql.JobRow | null> {
    return sql.pauseJob(this.db, jobId, this.clock.now());
  }

  /** A stopped job again; its plan is checked again first (its days may have come since: 400, left as it is). */
  async resume(jobId: number): Promise<sql.JobRow | null> {
    const job = await sql.readJob(this.db, jobId);
    if (job) await this.validate(job.plan);
    return sql.resumeJob(this.db, jobId, this.clock.now());
  }

  job(jobId: number): Promise<sql.JobRow | null> {
    return sql.readJob(this.db, jobId);
  }

  jobs(limit: number): Promise<sql.JobRow[]> {
    return sql.listJobs(this.db, limit);
  }

  movedPerDay(jobId: number): Promise<{ day: string; moved: number }[]> {
    return sql.movedPerDay(this.db, jobId);
  }

  unfit(jobId: number, limit: number, after = 0): Promise<sql.UnfitRow[]> {
    return sql.unfitList(this.db, jobId, limit, after);
  }

  nextRunnable(): Promise<number | null> {
    return sql.nextRunnableJob(this.db, this.clock.now());
  }
}
