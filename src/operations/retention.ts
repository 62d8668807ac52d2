import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';

/**
 * Personal data is kept only as long as it serves (issue #7):
 * - identity_challenge rows (name, phone, the RRN's keyed hash) are deleted `challengeRetentionGraceMs`
 *   after they expire — verified or not, they are useless after expiry;
 * - outbox rows are deleted `outboxRetentionMs` after delivery (sent_at); an undelivered row stays;
 * - idempotency keys (a booking's stored answer, keyed by the caller) once they expire (expires_at,
 *   config idempotencyTtlMs): an expired key no longer answers anything;
 * - uploaded vaccination records (a person's RRN hash, doses, days; issue #11)
 *   `vaccinationRecordRetentionMs` after their upload: the booster's cohort has used them by then.
 * In batches of `retentionBatchRows` per DELETE (short row locks, bounded WAL), at most
 * BATCHES_PER_RUN_MAX per table per run; the rest waits for the next run. Every node runs the
 * timer; an advisory lock lets one of them delete at a time. Time is the injected Clock, so a test
 * moves the clock and calls `runOnce()`.
 */
export interface RetentionSettings {
  readonly challengeRetentionGraceMs: number;
  readonly outboxRetentionMs: number;
  readonly vaccinationRecordRetentionMs: number;
  readonly retentionIntervalMs: number;
  readonly retentionBatchRows: number;
}

export interface RetentionRun {
  challengesDeleted: number;
  outboxDeleted: number;
  idempotencyKeysDeleted: number;
  vaccinationRecordsDeleted: number;
  /** Another node held the retention lock: this run deleted nothing. */
  skipped: boolean;
  /** False when the batch cap stopped a table with rows still due (the next run goes on). */
  complete: boolean;
}

export const BATCHES_PER_RUN_MAX = 100;
/** pg_try_advisory_xact_lock key of the retention job ("yeyak" retention, 1): one node at a time. */
export const RETENTION_LOCK_KEY = 0x7965796b_0001;

/**
 * One bounded batch of `table`: at most $2 rows whose `dueColumn` is before $1, found through
 * that column's index; SKIP LOCKED never waits on a row in use. Table and column names are this
 * file's constants, never input.
 */
function deleteDue(table: string, rowKey: 'id' | 'ctid', dueColumn: string, inclusive = false): string {
  return `
  WITH due AS (
    SELECT ${rowKey} FROM ${table} WHERE ${dueColumn} ${inclusive ? '<=' : '<'} $1 ORDER BY ${dueColumn} LIMIT $2 FOR UPDATE SKIP LOCKED),
  gone AS (
    DELETE FROM ${table} t USING due WHERE t.${rowKey} = due.${rowKey} RETURNING 1)
  SELECT count(*)::int AS n FROM gone`;
}
const DELETE_CHALLENGES = deleteDue('identity_challenge', 'id', 'expires_at');
const DELETE_OUTBOX = deleteDue('outbox', 'id', 'sent_at');
// idempotency_key has a composite key (caller, key): rows are found again by ctid.
const DELETE_IDEMPOTENCY_KEYS = deleteDue('idempotency_key', 'ctid', 'expires_at', true);
// vaccination_record's key is (rrn_hash, dose): by ctid too.
const DELETE_VACCINATION_RECORDS = deleteDue('vaccination_record', 'ctid', 'uploaded_at');

type Batch = { n: number } | 'locked';

export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly settings: RetentionSettings,
  ) {}

  /** One run: every table until nothing is due or the batch cap is reached. */
  async runOnce(): Promise<RetentionRun> {
    const nowMs = this.clock.now().getTime();
    const run: RetentionRun = { challengesDeleted: 0, outboxDeleted: 0, idempotencyKeysDeleted: 0, vaccinationRecordsDeleted: 0, skipped: false, complete: true };
    const steps = [
      [DELETE_CHALLENGES, new Date(nowMs - this.settings.challengeRetentionGraceMs), 'challengesDeleted'],
      [DELETE_OUTBOX, new Date(nowMs - this.settings.outboxRetentionMs), 'outboxDeleted'],
      [DELETE_IDEMPOTENCY_KEYS, new Date(nowMs), 'idempotencyKeysDeleted'],
      [DELETE_VACCINATION_RECORDS, new Date(nowMs - this.settings.vaccinationRecordRetentionMs), 'vaccinationRecordsDeleted'],
    ] as const;
    for (const [sql, cutoff, field] of steps) {
      const drained = await this.drain(sql, cutoff);
      if (drained === 'locked') return { ...run, skipped: true, complete: false };
      run[field] = drained.deleted;
      run.complete &&= drained.complete;
    }
    return run;
  }

  private async drain(sql: string, cutoff: Date): Promise<{ deleted: number; complete: boolean } | 'locked'> {
    let deleted = 0;
    for (let i = 0; i < BATCHES_PER_RUN_MAX; i++) {
      const batch = await this.batch(sql, cutoff);
      if (batch === 'locked') return deleted > 0 ? { deleted, complete: false } : 'locked';
      deleted += batch.n;
      if (batch.n < this.settings.retentionBatchRows) return { deleted, complete: true };
    }
    return { deleted, complete: false };
  }

  /** One DELETE in its own transaction, behind the cluster-wide retention lock. */
  private batch(sql: string, cutoff: Date): Promise<Batch> {
    return this.db.transaction(async (tx): Promise<Batch> => {
      const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [RETENTION_LOCK_KEY]);
      if (!lock.rows[0]?.ok) return 'locked';
      const r = await tx.query<{ n: number }>(sql, [cutoff.toISOString(), this.settings.retentionBatchRows]);
      return { n: r.rows[0]?.n ?? 0 };
    });
  }

  /** Runs every `retentionIntervalMs` (never two runs at once); errors go to `onError`. */
  start(onError: (e: unknown) => void): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch(onError)
        .finally(() => {
          this.running = null;
        });
    }, this.settings.retentionIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
