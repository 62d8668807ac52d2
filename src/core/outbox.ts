/**
 * Writing notices into the outbox from TypeScript (the booking functions write theirs in SQL).
 * Always inside the transaction of the change the notice announces, so a notice exists exactly
 * when its change committed. `dedupeKey` is the producer's "one notice per …" rule, enforced by
 * the unique index `outbox_dedupe` (migrations/016): a second row with the key is not written.
 */
import type { Queryable } from './db.ts';

export interface OutboxNotice {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
  /** e.g. `dose2_moved:<jobId>:<reservationId>`; null/absent: no rule. */
  readonly dedupeKey?: string | null;
}

/** Inserts the notices in one statement; returns how many were new (a repeated dedupeKey is skipped). */
export async function enqueueNotices(q: Queryable, now: Date, notices: readonly OutboxNotice[]): Promise<number> {
  if (notices.length === 0) return 0;
  const res = await q.query(
    `INSERT INTO outbox (created_at, topic, payload, dedupe_key)
     SELECT $1, t.topic, t.payload, t.dedupe_key
       FROM jsonb_to_recordset($2::jsonb) AS t(topic text, payload jsonb, dedupe_key text)
     ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
     RETURNING 1 AS n`,
    [now, JSON.stringify(notices.map((n) => ({ topic: n.topic, payload: n.payload, dedupe_key: n.dedupeKey ?? null })))],
  );
  return res.rows.length;
}
