/**
 * The waiting room's statements, on its own tables: queue_checkpoint (what a lost or restarted
 * line restores from) and queue_person_ticket (a verify-first person's place). The checkpoint is
 * written by ONE statement, so its rule lives in one place: the counters only rise (GREATEST),
 * the opening's seed, its time and the frozen count are set once (coalesce).
 */
import type { Queryable } from '../core/db.ts';
import { assert } from '../core/errors.ts';
import type { QueueFloor } from './store.ts';

/** Values to record (absent: leave as recorded); a first write starts from zero counters. */
export type CheckpointWrite = Partial<QueueFloor>;

/**
 * Records at least `to` in the campaign's checkpoint and returns the row after the write: only
 * values that are durable. Never lowers a counter, never replaces a seed or a frozen count.
 */
export async function writeCheckpoint(db: Queryable, campaignId: string, to: CheckpointWrite, nowMs: number): Promise<QueueFloor> {
  const r = await db.query<CheckpointRow>(
    `INSERT INTO queue_checkpoint (campaign_id, last_seq, pre_count, admitted_up_to, shuffle_seed, frozen_pre_count, updated_at, shuffled_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $5::bigint IS NULL THEN NULL ELSE $7::timestamptz END)
     ON CONFLICT (campaign_id) DO UPDATE SET
       last_seq = GREATEST(queue_checkpoint.last_seq, excluded.last_seq),
       pre_count = GREATEST(queue_checkpoint.pre_count, excluded.pre_count),
       admitted_up_to = GREATEST(queue_checkpoint.admitted_up_to, excluded.admitted_up_to),
       shuffle_seed = coalesce(queue_checkpoint.shuffle_seed, excluded.shuffle_seed),
       frozen_pre_count = coalesce(queue_checkpoint.frozen_pre_count, excluded.frozen_pre_count),
       shuffled_at = coalesce(queue_checkpoint.shuffled_at, excluded.shuffled_at),
       updated_at = excluded.updated_at
     RETURNING ${CHECKPOINT_COLUMNS}`,
    [
      campaignId,
      Math.floor(to.lastSeq ?? 0),
      Math.floor(to.preCount ?? 0),
      Math.floor(to.admittedUpTo ?? 0),
      to.shuffleSeed ?? null,
      to.frozenPreCount ?? null,
      new Date(nowMs).toISOString(),
    ],
  );
  const row = r.rows[0];
  assert(row, 'no checkpoint row returned');
  return floorOf(row);
}

/** A campaign's checkpoint, for a store that lost its counters; null when it has none. */
export async function readCheckpoint(db: Queryable, campaignId: string): Promise<QueueFloor | null> {
  const r = await db.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM queue_checkpoint WHERE campaign_id = $1`, [campaignId]);
  const row = r.rows[0];
  return row ? floorOf(row) : null;
}

/** When the opening's seed was first recorded (the shuffle), ISO; null before it or without a checkpoint. */
export async function readShuffledAt(db: Queryable, campaignId: string): Promise<string | null> {
  const r = await db.query<{ shuffled_at: Date | string | null }>('SELECT shuffled_at FROM queue_checkpoint WHERE campaign_id = $1', [campaignId]);
  const at = r.rows[0]?.shuffled_at;
  return at === null || at === undefined ? null : new Date(at).toISOString();
}

const CHECKPOINT_COLUMNS = 'last_seq, pre_count, admitted_up_to, shuffle_seed, frozen_pre_count';

interface CheckpointRow {
  last_seq: number;
  pre_count: number;
  admitted_up_to: number;
  shuffle_seed: number | null;
  frozen_pre_count: number | null;
}

function floorOf(row: CheckpointRow): QueueFloor {
  return {
    lastSeq: Number(row.last_seq),
    preCount: Number(row.pre_count),
    admittedUpTo: Number(row.admitted_up_to),
    shuffleSeed: row.shuffle_seed === null ? null : Number(row.shuffle_seed),
    frozenPreCount: row.frozen_pre_count === null ? null : Number(row.frozen_pre_count),
  };
}

/** The opening's shuffle, for the audit trail. */
export async function auditShuffle(db: Queryable, nodeId: string, nowMs: number, detail: { campaignId: string; seed: number; preCount: number }): Promise<void> {
  await db.query(`INSERT INTO audit_log (at, actor, action, detail) VALUES ($1, $2, 'queue.shuffled', $3)`, [
    new Date(nowMs).toISOString(),
    `node:${nodeId}`,
    JSON.stringify(detail),
  ]);
}

/** A person's place in a verify-first campaign's line. */
export interface PersonPlace {
  seq: number;
  pre: boolean;
  issuedAtMs: number;
}

export async function selectPersonPlace(db: Queryable, campaignId: string, personId: number): Promise<PersonPlace | null> {
  const r = await db.query<{ seq: string | number; pre: boolean; issued_at: Date | string }>(
    'SELECT seq, pre, issued_at FROM queue_person_ticket WHERE campaign_id = $1 AND person_id = $2',
    [campaignId, personId],
  );
  const row = r.rows[0];
  return row ? { seq: Number(row.seq), pre: row.pre, issuedAtMs: new Date(row.issued_at).getTime() } : null;
}

/** Conditional insert: true when stored, false when the person already has a place. */
export async function insertPersonPlace(db: Queryable, campaignId: string, personId: number, place: PersonPlace): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO queue_person_ticket (campaign_id, person_id, seq, pre, issued_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (campaign_id, person_id) DO NOTHING RETURNING seq`,
    [campaignId, personId, place.seq, place.pre, new Date(place.issuedAtMs).toISOString()],
  );
  return r.rows.length > 0;
}

/** Removes the person's place only if it is still `seq` (a spent place, replaced). */
export async function deletePersonPlace(db: Queryable, campaignId: string, personId: number, seq: number): Promise<void> {
  await db.query('DELETE FROM queue_person_ticket WHERE campaign_id = $1 AND person_id = $2 AND seq = $3', [campaignId, personId, seq]);
}
