/**
 * The outbox worker's statements, one each. Every mark is one conditional UPDATE that applies
 * only while the row is still pending under this claim's lease token: a worker whose lease lapsed
 * and whose row another worker claimed since writes nothing (its result is dropped, the other
 * worker's send — same idempotency key — decides).
 */
import type { Queryable } from '../core/db.ts';

/** A claimed row with the facts its template needs (looked up in the same statement). */
export interface ClaimedNotice {
  readonly id: number;
  readonly topic: string;
  readonly payload: Record<string, unknown>;
  readonly attempts: number;
  /** payload.phone (a proxy's beneficiary) or the person's phone; null: nobody to tell. */
  readonly phone: string | null;
  readonly personName: string | null;
  readonly clinicName: string | null;
  readonly vaccineNameKo: string | null;
  readonly vaccineNameEn: string | null;
  readonly campaignNameKo: string | null;
  readonly campaignNameEn: string | null;
}

/**
 * Claims up to `limit` due rows for `lease` (a token unique to this claim) until `leaseUntil`,
 * in id order, skipping rows another worker holds locked right now (SKIP LOCKED) or under an
 * unexpired lease. One statement: the UPDATE (the claim) and the lookups of names in a CTE. Works
 * on PGlite (one session: SKIP LOCKED never skips) and PostgreSQL alike.
 */
const CLAIM = `
WITH claimed AS (
  UPDATE outbox SET lease_until = $2, leased_by = $3
   WHERE id IN (SELECT id FROM outbox
                 WHERE state = 'pending'
                   AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
                   AND (lease_until IS NULL OR lease_until < $1)
                 ORDER BY id LIMIT $4
                 FOR UPDATE SKIP LOCKED)
  RETURNING id, topic, payload, attempts
)
SELECT c.id, c.topic, c.payload, c.attempts,
       coalesce(c.payload->>'phone', p.phone) AS phone, p.name AS person_name,
       cl.name AS clinic_name, v.name_ko AS vaccine_name_ko, v.name_en AS vaccine_name_en,
       ca.name_ko AS campaign_name_ko, ca.name_en AS campaign_name_en
  FROM claimed c
  LEFT JOIN person p ON c.payload->>'personId' ~ '^[0-9]{1,18}$' AND p.id = (c.payload->>'personId')::bigint
  LEFT JOIN clinic cl ON cl.id = coalesce(c.payload->>'clinicId', c.payload#>>'{reservation,doses,0,clinicId}')
  LEFT JOIN vaccine v ON v.id = coalesce(c.payload->>'vaccineId', c.payload#>>'{reservation,vaccine}')
  LEFT JOIN campaign ca ON ca.id = coalesce(c.payload->>'campaignId', c.payload#>>'{reservation,campaignId}')
 ORDER BY c.id`;

interface ClaimRow {
  id: number | string;
  topic: string;
  payload: Record<string, unknown>;
  attempts: number;
  phone: string | null;
  person_name: string | null;
  clinic_name: string | null;
  vaccine_name_ko: string | null;
  vaccine_name_en: string | null;
  campaign_name_ko: string | null;
  campaign_name_en: string | null;
}

export async function claimNotices(q: Queryable, c: { now: Date; leaseUntil: Date; lease: string; limit: number }): Promise<ClaimedNotice[]> {
  const res = await q.query<ClaimRow>(CLAIM, [c.now, c.leaseUntil, c.lease, c.limit]);
  return res.rows.map((r) => ({
    id: Number(r.id),
    topic: r.topic,
    payload: r.payload,
    attempts: r.attempts,
    phone: r.phone,
    personName: r.person_name,
    clinicName: r.clinic_name,
    vaccineNameKo: r.vaccine_name_ko,
    vaccineNameEn: r.vaccine_name_en,
    campaignNameKo: r.campaign_name_ko,
    campaignNameEn: r.campaign_name_en,
  }));
}

/** Delivered: sent, with its channel. False when the lease was lost (another worker holds the row). */
export async function markSent(q: Queryable, m: { id: number; lease: string; now: Date; channel: string }): Promise<boolean> {
  const res = await q.query(
    `UPDATE outbox SET state = 'sent', sent_at = $3, attempts = attempts + 1, channel = $4, last_error = NULL,
            lease_until = NULL, leased_by = NULL
      WHERE id = $1 AND state = 'pending' AND leased_by = $2
     RETURNING id`,
    [m.id, m.lease, m.now, m.channel],
  );
  return res.rows.length === 1;
}

/**
 * A failed try: attempts + 1 and the next try at `nextAttemptAt`, or dead when that was the
 * `attemptsMax`-th try (`permanent`: dead at once). Returns the state written, or null when the
 * lease was lost.
 */
export async function markFailed(
  q: Queryable,
  m: { id: number; lease: string; now: Date; nextAttemptAt: Date; error: string; attemptsMax: number; permanent: boolean },
): Promise<'pending' | 'dead' | null> {
  const res = await q.query<{ state: 'pending' | 'dead' }>(
    `UPDATE outbox
        SET attempts = attempts + 1, last_error = $4, lease_until = NULL, leased_by = NULL,
            state = CASE WHEN $6 OR attempts + 1 >= $5 THEN 'dead' ELSE 'pending' END,
            dead_at = CASE WHEN $6 OR attempts + 1 >= $5 THEN $3::timestamptz END,
            next_attempt_at = CASE WHEN $6 OR attempts + 1 >= $5 THEN NULL ELSE $7::timestamptz END
      WHERE id = $1 AND state = 'pending' AND leased_by = $2
     RETURNING state`,
    [m.id, m.lease, m.now, m.error.slice(0, ERROR_CHARS_MAX), m.attemptsMax, m.permanent, m.nextAttemptAt],
  );
  return res.rows[0]?.state ?? null;
}

/** last_error is a code and a short reason, never a provider's whole answer. */
export const ERROR_CHARS_MAX = 200;

export type OutboxState = 'pending' | 'sent' | 'dead';

export interface OutboxCounts {
  pending: number;
  sent: number;
  dead: number;
}

export async function countByState(q: Queryable): Promise<OutboxCounts> {
  const res = await q.query<{ state: OutboxState; n: number | string }>(`SELECT state, count(*) AS n FROM outbox GROUP BY state`);
  const counts: OutboxCounts = { pending: 0, sent: 0, dead: 0 };
  for (const r of res.rows) counts[r.state] = Number(r.n);
  return counts;
}

/** Pending and dead only, each through its partial index (metrics read it at every scrape). */
export async function countPendingDead(q: Queryable): Promise<{ pending: number; dead: number }> {
  const res = await q.query<{ pending: number | string; dead: number | string }>(
    `SELECT (SELECT count(*) FROM outbox WHERE state = 'pending') AS pending, (SELECT count(*) FROM outbox WHERE state = 'dead') AS dead`,
  );
  return { pending: Number(res.rows[0]?.pending ?? 0), dead: Number(res.rows[0]?.dead ?? 0) };
}

export interface OutboxListRow {
  readonly id: number;
  readonly topic: string;
  readonly state: OutboxState;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly deadAt: string | null;
  readonly channel: string | null;
  /** The phone, for the masking of the caller (never returned in clear). */
  readonly phone: string | null;
}

/** Rows of one state, newest first (dead: most recently dead first). */
export async function listByState(q: Queryable, state: OutboxState, limit: number): Promise<OutboxListRow[]> {
  const order = state === 'dead' ? 'o.dead_at DESC, o.id DESC' : 'o.id DESC';
  const res = await q.query<{
    id: number | string; topic: string; state: OutboxState; attempts: number; last_error: string | null;
    created_at: Date | string; dead_at: Date | string | null; channel: string | null; phone: string | null;
  }>(
    `SELECT o.id, o.topic, o.state, o.attempts, o.last_error, o.created_at, o.dead_at, o.channel,
            coalesce(o.payload->>'phone', p.phone) AS phone
       FROM outbox o
       LEFT JOIN person p ON o.payload->>'personId' ~ '^[0-9]{1,18}$' AND p.id = (o.payload->>'personId')::bigint
      WHERE o.state = $1
      ORDER BY ${order}
      LIMIT $2`,
    [state, limit],
  );
  return res.rows.map((r) => ({
    id: Number(r.id),
    topic: r.topic,
    state: r.state,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: new Date(r.created_at).toISOString(),
    deadAt: r.dead_at === null ? null : new Date(r.dead_at).toISOString(),
    channel: r.channel,
    phone: r.phone,
  }));
}

/**
 * A dead letter back to pending, with a fresh count of tries (one conditional statement). The
 * answer says what the row was: retried, not dead (its state), or missing.
 */
export async function retryDead(q: Queryable, id: number): Promise<{ retried: true } | { retried: false; state: OutboxState | null }> {
  const res = await q.query<{ retried: number | string; state: OutboxState | null }>(
    `WITH r AS (
       UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = NULL, dead_at = NULL
        WHERE id = $1 AND state = 'dead'
       RETURNING id)
     SELECT (SELECT count(*) FROM r) AS retried, (SELECT state FROM outbox WHERE id = $1) AS state`,
    [id],
  );
  const row = res.rows[0];
  if (row && Number(row.retried) === 1) return { retried: true };
  return { retried: false, state: row?.state ?? null };
}

/** Dead letters back to pending, oldest first, at most `limit` (a short statement); returns how many. */
export async function retryAllDead(q: Queryable, limit = RETRY_ALL_MAX): Promise<number> {
  const res = await q.query(
    `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = NULL, dead_at = NULL
      WHERE id IN (SELECT id FROM outbox WHERE state = 'dead' ORDER BY id LIMIT $1) AND state = 'dead'
     RETURNING id`,
    [limit],
  );
  return res.rows.length;
}

/** Dead letters one retry-dead call puts back; the console calls again for more. */
export const RETRY_ALL_MAX = 10_000;

/** Claimed rows not sent (the worker stopped): claimable again at once. */
export async function releaseLeases(q: Queryable, ids: readonly number[], lease: string): Promise<void> {
  await q.query(`UPDATE outbox SET lease_until = NULL, leased_by = NULL WHERE id = ANY($1::bigint[]) AND state = 'pending' AND leased_by = $2`, [ids, lease]);
}
