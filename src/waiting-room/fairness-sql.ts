/**
 * The fairness record's statements (migrations/015_fairness_record.sql): the seed's commitment,
 * drawn once per campaign, and the admitted places, written in batches and read back in ranges.
 */
import type { Queryable } from '../core/db.ts';
import { assert } from '../core/errors.ts';
import type { AdmittedPlace, SeedDraw } from './fairness.ts';

export interface ShuffleCommitment extends SeedDraw {
  campaignId: string;
  committedAtMs: number;
}

interface CommitmentRow {
  campaign_id: string;
  seed: string | number;
  nonce: string;
  committed_at: Date | string;
}

function commitmentOfRow(row: CommitmentRow): ShuffleCommitment {
  return { campaignId: row.campaign_id, seed: Number(row.seed), nonce: row.nonce, committedAtMs: new Date(row.committed_at).getTime() };
}

/**
 * The campaign's commitment: `draw` when none was recorded, else the one recorded first. One
 * conditional INSERT decides (never a read and then a write); when it inserted nothing, another
 * node's committed row is read in a second statement (a new snapshot: the first one's could
 * predate that row's commit).
 */
export async function ensureShuffleCommitment(db: Queryable, campaignId: string, draw: SeedDraw, nowMs: number): Promise<ShuffleCommitment> {
  const inserted = await db.query<CommitmentRow>(
    `INSERT INTO queue_shuffle_commitment (campaign_id, seed, nonce, committed_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (campaign_id) DO NOTHING RETURNING campaign_id, seed, nonce, committed_at`,
    [campaignId, draw.seed, draw.nonce, new Date(nowMs).toISOString()],
  );
  const row = inserted.rows[0];
  if (row) return commitmentOfRow(row);
  const found = await readShuffleCommitment(db, campaignId);
  assert(found, 'shuffle commitment neither inserted nor found');
  return found;
}

export async function readShuffleCommitment(db: Queryable, campaignId: string): Promise<ShuffleCommitment | null> {
  const r = await db.query<CommitmentRow>('SELECT campaign_id, seed, nonce, committed_at FROM queue_shuffle_commitment WHERE campaign_id = $1', [campaignId]);
  const row = r.rows[0];
  return row ? commitmentOfRow(row) : null;
}

/** The opening as the checkpoint recorded it: the seed the shuffle used and the frozen count P. */
export interface ShuffleOutcome {
  seed: number | null;
  preQueueSize: number | null;
  shuffledAtMs: number | null;
}

export async function readShuffleOutcome(db: Queryable, campaignId: string): Promise<ShuffleOutcome> {
  const r = await db.query<{ shuffle_seed: string | number | null; frozen_pre_count: string | number | null; shuffled_at: Date | string | null }>(
    'SELECT shuffle_seed, frozen_pre_count, shuffled_at FROM queue_checkpoint WHERE campaign_id = $1',
    [campaignId],
  );
  const row = r.rows[0];
  const num = (v: string | number | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return { seed: num(row?.shuffle_seed), preQueueSize: num(row?.frozen_pre_count), shuffledAtMs: row?.shuffled_at ? new Date(row.shuffled_at).getTime() : null };
}

/** One admitted place as a node records it at its first claim. */
export interface AdmissionRecord extends AdmittedPlace {
  campaignId: string;
  joinedAtMs: number;
  /** The ETA the ticket was shown at join, seconds (absent on tickets that carry none). */
  shownEtaSeconds: number | null;
  claimedAtMs: number;
}

/**
 * Writes a batch in one statement (arrays unnested: one round trip, one plan, whatever the batch
 * size). A position already recorded keeps its first row.
 */
export async function insertAdmissions(db: Queryable, rows: readonly AdmissionRecord[]): Promise<void> {
  if (rows.length === 0) return;
  const iso = (ms: number) => new Date(ms).toISOString();
  await db.query(
    `INSERT INTO queue_admission (campaign_id, position, pre, seq, joined_at, shown_eta_s, claimed_at)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::boolean[], $4::bigint[], $5::timestamptz[], $6::int[], $7::timestamptz[])
     ON CONFLICT (campaign_id, position) DO NOTHING`,
    [
      rows.map((r) => r.campaignId),
      rows.map((r) => r.position),
      rows.map((r) => r.pre),
      rows.map((r) => r.seq),
      rows.map((r) => iso(r.joinedAtMs)),
      rows.map((r) => (r.shownEtaSeconds === null ? null : Math.max(0, Math.round(r.shownEtaSeconds)))),
      rows.map((r) => iso(r.claimedAtMs)),
    ],
  );
}

/** The highest admitted position recorded, 0 when none (an index end: no scan). */
export async function readTopAdmittedPosition(db: Queryable, campaignId: string): Promise<number> {
  const r = await db.query<{ top: string | number | null }>('SELECT max(position) AS top FROM queue_admission WHERE campaign_id = $1', [campaignId]);
  return Number(r.rows[0]?.top ?? 0);
}

/**
 * The admitted places with positions in [from, to), highest first. A range of the primary key,
 * not ORDER BY … LIMIT: on a table growing during an opening the statistics lag, and with them
 * the planner took a LIMIT page for a sort of every row below it (0.7 s a page at a million rows,
 * measured); a range is one bounded index read whatever the plan, and sorts here.
 */
export async function readAdmittedRange(db: Queryable, campaignId: string, from: number, to: number): Promise<AdmittedWaited[]> {
  const r = await db.query<{ position: string | number; pre: boolean; seq: string | number; shown_eta_s: number | null; waited_ms: string | number }>(
    `SELECT position, pre, seq, shown_eta_s, (extract(epoch FROM claimed_at - joined_at) * 1000)::bigint AS waited_ms
       FROM queue_admission WHERE campaign_id = $1 AND position >= $2 AND position < $3`,
    [campaignId, from, to],
  );
  return r.rows
    .map((row) => ({ position: Number(row.position), pre: row.pre, seq: Number(row.seq), shownEtaSeconds: row.shown_eta_s, waitedSeconds: Number(row.waited_ms) / 1000 }))
    .sort((a, b) => b.position - a.position);
}

/** A recorded place with the ETA it was shown and the wait it had (join → first admitted poll), seconds. */
export interface AdmittedWaited extends AdmittedPlace {
  shownEtaSeconds: number | null;
  waitedSeconds: number;
}
