/**
 * The fairness record's statements (migrations/015_fairness_record.sql): the seed's commitment,
 * drawn once per campaign, and the admitted places, written in batches and read back in pages.
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

/**
 * A page of admitted places below `belowPosition`, highest first (keyset: the primary key's
 * order, so each page is an index range, however many places there are).
 */
export async function readAdmittedPage(db: Queryable, campaignId: string, belowPosition: number, limit: number): Promise<AdmittedPlace[]> {
  const r = await db.query<{ position: string | number; pre: boolean; seq: string | number }>(
    'SELECT position, pre, seq FROM queue_admission WHERE campaign_id = $1 AND position < $2 ORDER BY position DESC LIMIT $3',
    [campaignId, belowPosition, limit],
  );
  return r.rows.map((row) => ({ position: Number(row.position), pre: row.pre, seq: Number(row.seq) }));
}

/** The ETA shown against the wait had (join → first admitted poll), over every recorded place that was shown one. */
export interface EtaFigures {
  samples: number;
  /** Percentiles of actual − shown, seconds (positive: waited longer than told). */
  errorP10Seconds: number | null;
  errorP50Seconds: number | null;
  errorP90Seconds: number | null;
  errorP99Seconds: number | null;
  /** Percentiles of (actual − shown) / shown, over places shown more than 0 s. */
  errorP50: number | null;
  errorP90: number | null;
  /** Share (0–1) whose wait was within ±20 % of the ETA shown: |actual − shown| ≤ 0.2 × shown. */
  withinTwentyPercent: number | null;
  waitP50Seconds: number | null;
  waitP99Seconds: number | null;
}

/** One aggregate over the campaign's rows, inside the database (percentile_cont sorts there). */
export async function readEtaFigures(db: Queryable, campaignId: string): Promise<EtaFigures> {
  const r = await db.query<Record<string, string | number | null>>(
    `WITH w AS (
       SELECT extract(epoch FROM claimed_at - joined_at)::float8 AS actual, shown_eta_s::float8 AS shown
         FROM queue_admission WHERE campaign_id = $1 AND shown_eta_s IS NOT NULL
     ), e AS (SELECT actual, shown, actual - shown AS err, CASE WHEN shown > 0 THEN (actual - shown) / shown END AS rel FROM w)
     SELECT count(*) AS samples,
            percentile_cont(0.1) WITHIN GROUP (ORDER BY err) AS err_p10,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY err) AS err_p50,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY err) AS err_p90,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY err) AS err_p99,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY rel) AS rel_p50,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY rel) AS rel_p90,
            avg(CASE WHEN abs(err) <= 0.2 * shown THEN 1.0 ELSE 0.0 END)::float8 AS within,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY actual) AS wait_p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY actual) AS wait_p99
       FROM e`,
    [campaignId],
  );
  const row = r.rows[0] ?? {};
  const num = (k: string, digits: number) => {
    const v = row[k];
    return v === null || v === undefined ? null : Math.round(Number(v) * 10 ** digits) / 10 ** digits;
  };
  return {
    samples: Number(row.samples ?? 0),
    errorP10Seconds: num('err_p10', 1),
    errorP50Seconds: num('err_p50', 1),
    errorP90Seconds: num('err_p90', 1),
    errorP99Seconds: num('err_p99', 1),
    errorP50: num('rel_p50', 3),
    errorP90: num('rel_p90', 3),
    withinTwentyPercent: num('within', 3),
    waitP50Seconds: num('wait_p50', 1),
    waitP99Seconds: num('wait_p99', 1),
  };
}
