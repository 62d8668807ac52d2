/**
 * Shared by the reschedule tests: a demo store with bulk bookings (test/operations/audit-bulk.ts),
 * a plan for it, and the invariants a move must keep, read straight from the tables.
 */
import { expect } from 'vitest';
import type { Queryable } from '../../src/core/db.ts';
import { addDays } from '../../src/rules/time.ts';
import type { FakeClock } from '../../src/core/clock.ts';
import { auditIn } from '../../src/operations/audit.ts';

/** The demo's test day (createTestApp's clock): dose 1 from +1 to +21, dose 2 at +21 days. */
export const TODAY = '2026-11-26';

/** 4 weeks instead of 3 for dose-1 days +1…+7: every new day already has demo dose-2 slots (+22…+42). */
export function demoPlan(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    campaignId: 'demo',
    vaccineId: 'pfizer',
    dose1From: addDays(TODAY, 1),
    dose1To: addDays(TODAY, 7),
    interval: { days: 28 },
    batchSize: 7,
    ...over,
  };
}

/** A fingerprint of everything a move writes: slots, doses, notices, jobs. */
export async function storeFingerprint(q: Queryable): Promise<unknown> {
  const r = await q.query(
    `SELECT (SELECT sum(remaining * id) FROM slot)::text AS slots,
            (SELECT sum(hashtext(reservation_id || ':' || dose || ':' || slot_id || ':' || day))::text FROM reservation_dose) AS doses,
            (SELECT count(*) FROM reservation_dose WHERE moved_job_id IS NOT NULL)::int AS marked,
            (SELECT count(*) FROM outbox)::int AS outbox,
            (SELECT count(*) FROM reschedule_job)::int AS jobs,
            (SELECT count(*) FROM reschedule_unfit)::int AS unfit`,
  );
  return r.rows[0];
}

export interface JobCounts {
  moved: number;
  unfit: number;
}

/**
 * booked + remaining = capacity on every slot; exactly one dose 2 per confirmed reservation; one
 * notice per moved person (distinct dedupe keys = notices = marked dose rows = the job's count);
 * the unfit listed; and the auditor's checks all hold (its dose-2 check accepts the moves).
 */
export async function expectInvariants(q: Queryable, clock: FakeClock, jobId: number, job: JobCounts): Promise<void> {
  const slots = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM slot s
       LEFT JOIN (SELECT d.slot_id, count(*) AS booked FROM reservation_dose d JOIN reservation r ON r.id = d.reservation_id
                   WHERE r.status = 'confirmed' GROUP BY d.slot_id) b ON b.slot_id = s.id
      WHERE coalesce(b.booked, 0) + s.remaining <> s.capacity`,
  );
  expect(slots.rows[0]?.n, 'slots where booked + remaining <> capacity').toBe(0);
  const dose2 = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM reservation r
      WHERE r.status = 'confirmed' AND (SELECT count(*) FROM reservation_dose d WHERE d.reservation_id = r.id AND d.dose = 2) <> 1`,
  );
  expect(dose2.rows[0]?.n, 'reservations without exactly one dose 2').toBe(0);
  const notices = await q.query<{ n: number; keys: number; people: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT dedupe_key)::int AS keys, count(DISTINCT payload->>'personId')::int AS people
       FROM outbox WHERE topic = 'reservation.dose2_moved' AND (payload->>'jobId')::bigint = $1`,
    [jobId],
  );
  const marked = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM reservation_dose WHERE dose = 2 AND moved_job_id = $1', [jobId]);
  expect(notices.rows[0]).toEqual({ n: job.moved, keys: job.moved, people: job.moved });
  expect(marked.rows[0]?.n).toBe(job.moved);
  const unfit = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM reschedule_unfit WHERE job_id = $1', [jobId]);
  expect(unfit.rows[0]?.n).toBe(job.unfit);
  const report = await auditIn(q, { clock });
  expect(report.checks.filter((c) => !c.ok).map((c) => c.check)).toEqual([]);
}
