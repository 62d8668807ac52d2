/**
 * The reschedule job's statements. The batch itself is one server-side call
 * (reschedule_batch, migrations/019_dose2_reschedule.sql); everything here is bookkeeping around
 * it: making the job, claiming its lease, pausing and resuming, and reading progress.
 */
import type { Queryable } from '../core/db.ts';
import type { CandidateDay } from './candidates.ts';
import type { PlanIssue, ReschedulePlan } from './plan.ts';
import { daysBetween } from '../rules/time.ts';

export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'failed';

export interface JobRow {
  id: number;
  state: JobState;
  plan: ReschedulePlan;
  createdAt: string;
  createdBy: string;
  total: number;
  examined: number;
  moved: number;
  unfit: number;
  skipped: number;
  batches: number;
  cursor: number;
  leaseOwner: string | null;
  leaseUntil: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  lastError: string | null;
}

export interface BatchResult {
  code: 'OK' | 'DONE' | 'NOT_FOUND' | 'NOT_RUNNING' | 'LEASE_LOST';
  examined: number;
  moved: number;
  unfit: number;
  skipped: number;
  cursor: number;
  done: boolean;
}

export interface UnfitRow {
  reservationId: number;
  bookingNumber: string;
  clinicId: string;
  day1: string;
  day2: string | null;
  reason: 'FULL' | 'NO_SLOT' | 'NO_DOSE2';
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

const JOB_COLUMNS = `id, state, plan, created_at, created_by, total, examined, moved, unfit, skipped, batches, cursor_id,
  lease_owner, lease_until, started_at, finished_at, updated_at, last_error`;

function toJob(r: Record<string, unknown>): JobRow {
  return {
    id: Number(r.id), state: r.state as JobState, plan: r.plan as ReschedulePlan,
    createdAt: iso(r.created_at) ?? '', createdBy: String(r.created_by),
    total: Number(r.total), examined: Number(r.examined), moved: Number(r.moved), unfit: Number(r.unfit),
    skipped: Number(r.skipped), batches: Number(r.batches), cursor: Number(r.cursor_id),
    leaseOwner: (r.lease_owner as string | null) ?? null, leaseUntil: iso(r.lease_until),
    startedAt: iso(r.started_at), finishedAt: iso(r.finished_at), updatedAt: iso(r.updated_at) ?? '',
    lastError: (r.last_error as string | null) ?? null,
  };
}

/** What the plan names that the store does not hold (campaign, its two doses, vaccine, clinics). */
export async function planIssuesInStore(q: Queryable, plan: ReschedulePlan, candidates: readonly CandidateDay[], now: Date): Promise<PlanIssue[]> {
  const r = await q.query<{
    campaign: boolean; two_doses: boolean; vaccine: boolean; missing: string[] | null; min_days: number | null; max_days: number | null;
    today: string | null; dose2_past: boolean;
  }>(
    // dose2_past: someone in scope whose dose 2 day has come (given, missed or due today) or has an
    // outcome — a move would rewrite a dose that happened. One scan of the scope, as the job's count.
    `WITH z AS (SELECT (($4::timestamptz AT TIME ZONE time_zone)::date) AS today FROM campaign WHERE id = $1)
     SELECT EXISTS (SELECT 1 FROM campaign WHERE id = $1) AS campaign,
            (SELECT today::text FROM z) AS today,
            EXISTS (SELECT 1 FROM reservation r
                      JOIN reservation_dose d1 ON d1.reservation_id = r.id AND d1.dose = 1
                      JOIN reservation_dose d2 ON d2.reservation_id = r.id AND d2.dose = 2
                     WHERE r.campaign_id = $1 AND r.status = 'confirmed' AND d1.vaccine_id = $2 AND d1.day BETWEEN $5::date AND $6::date
                       AND (cardinality($3::text[]) = 0 OR d1.clinic_id = ANY ($3::text[]))
                       AND (d2.day <= (SELECT today FROM z)
                            OR EXISTS (SELECT 1 FROM dose_outcome o WHERE o.reservation_id = r.id AND o.dose = 2))) AS dose2_past,
            EXISTS (SELECT 1 FROM campaign WHERE id = $1 AND doses = 2) AS two_doses,
            EXISTS (SELECT 1 FROM vaccine WHERE id = $2) AS vaccine,
            (SELECT interval_min_days FROM vaccine WHERE id = $2) AS min_days,
            (SELECT interval_max_days FROM vaccine WHERE id = $2) AS max_days,
            ARRAY(SELECT c FROM unnest($3::text[]) c WHERE NOT EXISTS (SELECT 1 FROM clinic k WHERE k.id = c)) AS missing`,
    [plan.campaignId, plan.vaccineId, plan.clinicIds ?? [], now.toISOString(), plan.dose1From, plan.dose1To],
  );
  const row = r.rows[0];
  const issues: PlanIssue[] = [];
  if (!row?.campaign) issues.push({ field: 'campaignId', code: 'UNKNOWN' });
  else if (!row.two_doses) issues.push({ field: 'campaignId', code: 'RANGE' });
  if (!row?.vaccine) issues.push({ field: 'vaccineId', code: 'UNKNOWN' });
  const missing = new Set(row?.missing ?? []);
  (plan.clinicIds ?? []).forEach((c, i) => missing.has(c) && issues.push({ field: `clinicIds[${i}]`, code: 'UNKNOWN' }));
  // The vaccine's allowed dose-2 interval is a safety limit (a move is a change in bulk): the plan's
  // interval within it, and no day to avoid shifted outside it (security review, issue #11).
  if (row?.vaccine) {
    const min = row.min_days ?? 1;
    const max = row.max_days ?? Number.POSITIVE_INFINITY;
    if (plan.interval.minDays < min || plan.interval.maxDays > max) issues.push({ field: 'interval', code: 'RANGE' });
    else if (candidates.some((c) => daysBetween(c.day1, c.day2) < min || daysBetween(c.day1, c.day2) > max)) issues.push({ field: 'shiftDays', code: 'RANGE' });
  }
  // A given dose stays given, and nobody is moved to a day already begun: the range starts later.
  const today = row?.today ?? null;
  if (row?.dose2_past || (today !== null && candidates.some((c) => c.day2 <= today))) issues.push({ field: 'dose1From', code: 'RANGE' });
  return issues;
}

/** The job row, its plan days, and the number in scope now; returns its id. */
export async function insertJob(
  tx: Queryable,
  job: { plan: ReschedulePlan; candidates: readonly CandidateDay[]; createdBy: string; now: Date; state: 'queued' | 'running'; owner: string | null; leaseMs: number },
): Promise<number> {
  const p = job.plan;
  const r = await tx.query<{ id: number }>(
    `INSERT INTO reschedule_job (created_at, created_by, plan, campaign_id, vaccine_id, day1_from, day1_to, clinic_ids, spread,
                                 batch_size, state, total, lease_owner, lease_until, started_at, updated_at)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
            (SELECT count(*) FROM reservation r JOIN reservation_dose d1 ON d1.reservation_id = r.id AND d1.dose = 1
              WHERE r.campaign_id = $4 AND r.status = 'confirmed' AND d1.day BETWEEN $6 AND $7 AND d1.vaccine_id = $5
                AND ($8::text[] IS NULL OR d1.clinic_id = ANY ($8::text[])))::int,
            $12, CASE WHEN $12::text IS NULL THEN NULL ELSE $1::timestamptz + $13 * interval '1 millisecond' END,
            CASE WHEN $11 = 'running' THEN $1::timestamptz END, $1
     RETURNING id`,
    [job.now, job.createdBy, JSON.stringify(p), p.campaignId, p.vaccineId, p.dose1From, p.dose1To, p.clinicIds, p.pick === 'spread',
      p.batchSize, job.state, job.owner, job.leaseMs],
  );
  const id = r.rows[0]?.id;
  if (id === undefined) throw new Error('reschedule: job not inserted');
  await tx.query(
    `INSERT INTO reschedule_candidate (job_id, day1, rank, day2) SELECT $1, * FROM unnest($2::date[], $3::int[], $4::date[])`,
    [id, job.candidates.map((c) => c.day1), job.candidates.map((c) => c.rank), job.candidates.map((c) => c.day2)],
  );
  return id;
}

export async function runBatch(q: Queryable, jobId: number, owner: string, now: Date, leaseMs: number, apply: boolean): Promise<BatchResult> {
  const r = await q.query<{ o_code: BatchResult['code']; o_examined: number | null; o_moved: number | null; o_unfit: number | null; o_skipped: number | null; o_cursor: number | null; o_done: boolean | null }>(
    'SELECT * FROM reschedule_batch($1, $2, $3, $4, $5)',
    [jobId, owner, now, leaseMs, apply],
  );
  const row = r.rows[0];
  if (!row) throw new Error('reschedule_batch answered nothing');
  return { code: row.o_code, examined: row.o_examined ?? 0, moved: row.o_moved ?? 0, unfit: row.o_unfit ?? 0, skipped: row.o_skipped ?? 0, cursor: Number(row.o_cursor ?? 0), done: row.o_done === true };
}

/**
 * Claims the job's lease for `owner`: a queued job, a running one whose lease expired (its runner
 * died) or is already `owner`'s. One conditional UPDATE, so two nodes never both hold it.
 */
export async function claimLease(q: Queryable, jobId: number, owner: string, now: Date, leaseMs: number): Promise<JobRow | null> {
  const r = await q.query(
    `UPDATE reschedule_job SET state = 'running', lease_owner = $2, lease_until = $3::timestamptz + $4 * interval '1 millisecond',
            started_at = coalesce(started_at, $3), updated_at = $3, last_error = NULL
      WHERE id = $1 AND (state = 'queued' OR (state = 'running' AND (lease_owner = $2 OR lease_until IS NULL OR lease_until <= $3)))
     RETURNING ${JOB_COLUMNS}`,
    [jobId, owner, now, leaseMs],
  );
  return r.rows[0] ? toJob(r.rows[0]) : null;
}

/** The oldest job a runner may claim now (queued, or running with an expired lease). */
export async function nextRunnableJob(q: Queryable, now: Date): Promise<number | null> {
  const r = await q.query<{ id: number }>(
    `SELECT id FROM reschedule_job WHERE state = 'queued' OR (state = 'running' AND (lease_until IS NULL OR lease_until <= $1)) ORDER BY id LIMIT 1`,
    [now],
  );
  return r.rows[0]?.id ?? null;
}

/** Gives the lease back (a runner stopping between batches): paused waits for a resume, queued for any runner. */
export async function releaseLease(q: Queryable, jobId: number, owner: string, now: Date, state: 'paused' | 'queued' | 'failed', error: string | null): Promise<void> {
  await q.query(
    `UPDATE reschedule_job SET state = $4, lease_owner = NULL, lease_until = NULL, updated_at = $3, last_error = $5
      WHERE id = $1 AND state = 'running' AND lease_owner = $2`,
    [jobId, owner, now, state, error],
  );
}

/** Operator: running/queued → paused (the runner stops before its next batch). Null: not in such a state. */
export async function pauseJob(q: Queryable, jobId: number, now: Date): Promise<JobRow | null> {
  const r = await q.query(
    `UPDATE reschedule_job SET state = 'paused', lease_owner = NULL, lease_until = NULL, updated_at = $2
      WHERE id = $1 AND state IN ('queued', 'running') RETURNING ${JOB_COLUMNS}`,
    [jobId, now],
  );
  return r.rows[0] ? toJob(r.rows[0]) : null;
}

/** Operator: paused/failed → queued (a runner claims it and continues after the cursor). */
export async function resumeJob(q: Queryable, jobId: number, now: Date): Promise<JobRow | null> {
  const r = await q.query(
    `UPDATE reschedule_job SET state = 'queued', updated_at = $2, last_error = NULL
      WHERE id = $1 AND state IN ('paused', 'failed') RETURNING ${JOB_COLUMNS}`,
    [jobId, now],
  );
  return r.rows[0] ? toJob(r.rows[0]) : null;
}

export async function readJob(q: Queryable, jobId: number): Promise<JobRow | null> {
  const r = await q.query(`SELECT ${JOB_COLUMNS} FROM reschedule_job WHERE id = $1`, [jobId]);
  return r.rows[0] ? toJob(r.rows[0]) : null;
}

export async function listJobs(q: Queryable, limit: number): Promise<JobRow[]> {
  const r = await q.query(`SELECT ${JOB_COLUMNS} FROM reschedule_job ORDER BY id DESC LIMIT $1`, [limit]);
  return r.rows.map(toJob);
}

export async function movedPerDay(q: Queryable, jobId: number): Promise<{ day: string; moved: number }[]> {
  const r = await q.query<{ day: string; moved: number }>('SELECT day, moved FROM reschedule_job_day WHERE job_id = $1 ORDER BY day', [jobId]);
  return r.rows.map((row) => ({ day: row.day, moved: Number(row.moved) }));
}

export async function unfitList(q: Queryable, jobId: number, limit: number, afterReservationId = 0): Promise<UnfitRow[]> {
  const r = await q.query<{ reservation_id: number; booking_number: string; clinic_id: string; day1: string; day2: string | null; reason: UnfitRow['reason'] }>(
    `SELECT reservation_id, booking_number, clinic_id, day1, day2, reason FROM reschedule_unfit
      WHERE job_id = $1 AND reservation_id > $3 ORDER BY reservation_id LIMIT $2`,
    [jobId, limit, afterReservationId],
  );
  return r.rows.map((row) => ({ reservationId: Number(row.reservation_id), bookingNumber: row.booking_number, clinicId: row.clinic_id, day1: row.day1, day2: row.day2, reason: row.reason }));
}
