import { machineMonotonicMs } from '../core/clock.ts';
import type { Queryable } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import { writeCheckpoint } from './sql.ts';
import { isRefused, type JoinResult, type QueueStore } from './store.ts';

/**
 * Numbers are reserved in blocks before they are issued. The store issues a number only up to
 * its ceiling; a join that would pass it is refused (atomically with the counter), and the issuer
 * then records a new block in the database checkpoint FIRST — last_seq (or pre_count) =
 * GREATEST(recorded, counter + block) — and only then raises the store's ceiling to what the
 * database holds (never lowering it), and retries. So at every moment every issued number is at
 * most the checkpoint's, and a store restored from the checkpoint (Redis that lost its memory, an
 * embedded node restarting) issues only numbers above every number a ticket already holds.
 *
 * One database write per block, not per join: a block is at least BLOCK_MIN numbers, or about
 * BLOCK_AHEAD_S seconds of the joins observed, whichever is more. Concurrent refusals on one node
 * share one reservation; several nodes reserving at once cost a write each, never a duplicate
 * (GREATEST, and the ceiling only rises). The admission controller also raises the ceiling ahead
 * of the counter from its periodic checkpoint, so at a steady rate joins rarely wait for a write.
 *
 * The price of a crash is the unused rest of the block: those numbers are never issued, and the
 * controller admits over them like no-shows.
 */
export const BLOCK_MIN = 1_000;
export const BLOCK_AHEAD_S = 2;
/** The numbers a crash can skip are at most a block: bounded, whatever the rate seems to be. */
const BLOCK_MAX = 50_000;
/**
 * The observed rate grows at most this much per reservation: a counter that jumped (a restore
 * raised it to the checkpoint) is not mistaken for a burst of joins.
 */
const RATE_GROWTH_MAX = 4;
const ISSUE_ATTEMPTS_MAX = 8;

/** Where reservations are recorded durably. */
export interface ReserveLedger {
  /**
   * Records at least the given counters (never lowers what is recorded) and returns what is
   * recorded after the write — only values that are durable.
   */
  reserve(campaignId: string, to: { lastSeq?: number; preCount?: number }): Promise<{ lastSeq: number; preCount: number }>;
}

/** The campaign's row in queue_checkpoint (PostgreSQL): what a lost or restarted store restores from. */
export function checkpointLedger(db: Queryable, nowMs: () => number): ReserveLedger {
  return {
    async reserve(campaignId, to) {
      const recorded = await writeCheckpoint(db, campaignId, to, nowMs());
      return { lastSeq: recorded.lastSeq, preCount: recorded.preCount };
    },
  };
}

/**
 * No durable record: the ceiling simply follows the request. Only for a store whose loss is the
 * loss of everything (a benchmark, a unit test without a database) — a restart would repeat
 * numbers. createWaitingRoom always reserves in the database.
 */
export function volatileLedger(): ReserveLedger {
  const held = new Map<string, { lastSeq: number; preCount: number }>();
  return {
    async reserve(campaignId, to) {
      const prev = held.get(campaignId) ?? { lastSeq: 0, preCount: 0 };
      const next = { lastSeq: Math.max(prev.lastSeq, to.lastSeq ?? 0), preCount: Math.max(prev.preCount, to.preCount ?? 0) };
      held.set(campaignId, next);
      return next;
    },
  };
}

interface Observed {
  atMs: number;
  counter: number;
  ratePerS: number;
}

export class Issuer {
  /** One reservation in flight per campaign and counter on this node. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly observed = new Map<string, Observed>();
  /** Reservations written by this node (tests, metrics). */
  reservations = 0;

  constructor(
    private readonly store: QueueStore,
    private readonly ledger: ReserveLedger,
    /** Machine time (monotonic), for the join rate: a fake campaign clock must not freeze it. */
    private readonly monotonicMs: () => number = machineMonotonicMs,
  ) {}

  /** Issues the next number (as QueueStore.join), reserving blocks as the ceiling is reached. */
  async issue(campaignId: string, pre: boolean): Promise<JoinResult> {
    for (let i = 0; i < ISSUE_ATTEMPTS_MAX; i++) {
      const r = await this.store.join(campaignId, pre);
      if (!isRefused(r)) return r;
      await this.reserve(campaignId, r.pre, r.counter);
    }
    // Blocks taken faster than they are reserved (thousands of joins per write): try shortly.
    throw new YeyakError('YEYAK_E_BUSY');
  }

  /** Reserves a block above `counter` (the refused counter's value) and raises the ceiling. */
  reserve(campaignId: string, pre: boolean, counter: number): Promise<void> {
    const key = `${pre ? 'pre' : 'seq'}:${campaignId}`;
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.reserveNow(campaignId, pre, counter, this.blockSize(key, counter)).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private async reserveNow(campaignId: string, pre: boolean, counter: number, block: number): Promise<void> {
    // Durable first: the ceiling may only rise to what the checkpoint already holds.
    const recorded = await this.ledger.reserve(campaignId, pre ? { preCount: counter + block } : { lastSeq: counter + block });
    this.reservations++;
    await this.store.raiseCeiling(campaignId, recorded);
  }

  /** max(BLOCK_MIN, ~BLOCK_AHEAD_S s of the joins seen between this reservation and the last). */
  private blockSize(key: string, counter: number): number {
    const now = this.monotonicMs();
    const prev = this.observed.get(key);
    let ratePerS = prev?.ratePerS ?? 0;
    if (prev && counter > prev.counter && now > prev.atMs) {
      const sample = ((counter - prev.counter) * 1000) / (now - prev.atMs);
      ratePerS = Math.min(sample, RATE_GROWTH_MAX * Math.max(prev.ratePerS, BLOCK_MIN / BLOCK_AHEAD_S));
    }
    this.observed.set(key, { atMs: now, counter, ratePerS });
    return Math.min(BLOCK_MAX, Math.max(BLOCK_MIN, Math.ceil(ratePerS * BLOCK_AHEAD_S)));
  }
}
