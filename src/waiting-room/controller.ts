import type { Clock } from '../core/clock.ts';
import type { Queryable } from '../core/db.ts';
import type { Campaign } from '../rules/campaign.ts';
import { ewma } from './estimate.ts';
import { BLOCK_MIN } from './issuer.ts';
import type { QueueState, QueueStore } from './store.ts';
import { openingOf } from './line.ts';
import { auditShuffle, writeCheckpoint } from './sql.ts';
import { assert } from '../core/errors.ts';
import { SeedCommitments } from './fairness-seed.ts';

/**
 * Admission control. One node per campaign holds the lead (a lease in the store) and, every tick,
 * moves the admitted-up-to counter forward by what the target rate allows, scaled by the health
 * of what the line protects, within the cap on active passes. Unclaimed admissions (people who
 * left) never hold an active slot, so they cannot stall the line; their share is measured (the
 * no-show rate) and compensated by admitting proportionally more. A place not claimed within the
 * claim window of its admission lapses (the store refuses its claim) and stays unclaimed: it counts
 * as a no-show, like one who never came back.
 *
 * States of a campaign's line: before the opening nobody is admitted (a pre-queue may fill);
 * at the opening the pre-queue is frozen and shuffled once; then admission runs, unless paused.
 */
export interface HealthSample {
  /** 0..1: 1 = healthy; lower slows admission before the backend falls over. */
  factor: number;
  reasons: string[];
}

export interface ControllerOptions {
  nodeId: string;
  tickMs: number;
  /** Counter checkpoints to the database are written ahead by this many seconds of admissions. */
  checkpointAheadS: number;
  /** Admission steps are kept this long (the claim window): older unclaimed places have lapsed. */
  claimWindowMs: number;
  health: () => HealthSample;
  log: (msg: string, fields: Record<string, unknown>) => void;
  onAdmit?: (campaignId: string, n: number) => void;
  /** The shuffle seeds committed before the opening (default: this controller's own, on `db`). */
  seeds?: SeedCommitments;
  /** The campaign is sold out now (sold-out.ts): nobody is admitted while it is. */
  soldOut?: (campaignId: string) => boolean;
  /** The state flipped to sold out on this leader: tell those admitted who have not booked. */
  onSoldOut?: (c: Campaign, state: QueueState, now: Date) => Promise<void>;
}

const NO_SHOW_MAX = 0.8; // compensation never more than 5× the target rate
const RATE_TAU_MS = 10_000; // smoothing of the observed rate (ETA)
const NO_SHOW_TAU_MS = 30_000;
const NO_SHOW_SAMPLE_MS = 5_000;
const JOIN_MARGIN_MIN = BLOCK_MIN; // numbers reserved ahead of the joins (skipped after a restore, seen as no-shows)

interface Tracking {
  allowance: number;
  lastTickMs: number;
  observedRatePerS: number;
  noShowRate: number;
  sampleAtMs: number;
  sampleAdmitted: number;
  sampleClaimed: number;
  checkpointed: { admittedUpTo: number; lastSeq: number; preCount: number } | null;
  joinRatePerS: number;
  lastSeqSeen: number;
  /** Sold out at the last tick (a flip to it tells the admitted; a flip back resumes admission). */
  soldOut: boolean;
}

export class AdmissionController {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly tracking = new Map<string, Tracking>();
  private readonly seeds: SeedCommitments;

  constructor(
    private readonly store: QueueStore,
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly campaigns: () => readonly Campaign[],
    private readonly opts: ControllerOptions,
  ) {
    this.seeds = opts.seeds ?? new SeedCommitments(db, () => clock.nowMs());
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tickAll().finally(() => (this.running = null));
    }, this.opts.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  async tickAll(): Promise<void> {
    for (const c of this.campaigns()) {
      if (!c.queueEnabled) continue;
      try {
        if (await this.store.lead(c.id, this.opts.nodeId, this.opts.tickMs * 4)) await this.tick(c);
      } catch (e) {
        this.opts.log('admission tick failed', { campaignId: c.id, err: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /** One control step for one campaign; the caller holds the lead. */
  async tick(c: Campaign): Promise<void> {
    const now = this.clock.nowMs();
    let state = await this.store.read(c.id);
    const tr = this.track(c.id, now, state);
    const opening = openingOf(c);
    if (opening === null || now < opening.getTime()) {
      // The seed is committed (published) well before the opening: at the first tick, which comes
      // before the pre-queue opens on a node already running (a first pre-queue join commits it too).
      if (c.queue.shuffleAtOpening && opening !== null) await this.seeds.commit(c.id);
      await this.checkpoint(c.id, state, tr, state.admittedUpTo, now);
      tr.lastTickMs = now;
      tr.allowance = state.ratePerS; // the opening starts with one second's worth banked
      return;
    }
    if (c.queue.shuffleAtOpening && state.shuffleSeed === null) state = await this.shuffle(c, now);

    const dtMs = Math.max(0, now - tr.lastTickMs);
    tr.lastTickMs = now;
    this.sampleNoShows(tr, state, now);
    const issued = (state.frozenPreCount ?? state.preCount) + state.lastSeq;
    const soldOut = await this.soldOutNow(c, state, tr, now);
    let n = 0;
    if (!state.paused && !soldOut) {
      const health = this.opts.health();
      const ratePerS = (state.ratePerS * Math.max(0, Math.min(1, health.factor))) / (1 - Math.min(tr.noShowRate, NO_SHOW_MAX));
      // At most one second of allowance is banked, so a pause or a quiet spell never releases a burst.
      tr.allowance = Math.min(tr.allowance + (ratePerS * dtMs) / 1000, Math.max(ratePerS, 1));
      // Holders already told to wait for a free pass take the next ones: no new admissions past them.
      const active = await this.store.activeCount(c.id, now);
      const waiting = await this.store.waitingForPassCount(c.id, now, this.opts.claimWindowMs);
      n = Math.max(0, Math.min(Math.floor(tr.allowance), state.activeMax - active - waiting, issued - state.admittedUpTo));
      tr.allowance -= n;
      if (issued <= state.admittedUpTo) tr.allowance = Math.min(tr.allowance, 1); // nobody waiting: bank nothing
    }
    if (dtMs > 0) tr.observedRatePerS = ewma(tr.observedRatePerS, (n * 1000) / dtMs, dtMs, RATE_TAU_MS);
    const to = state.admittedUpTo + n;
    await this.checkpoint(c.id, state, tr, to, now);
    await this.store.advance(c.id, to, tr.observedRatePerS, tr.noShowRate, { atMs: now, keepMs: this.opts.claimWindowMs });
    if (n > 0) this.opts.onAdmit?.(c.id, n);
  }

  /** Sold out now; on the flip to it, the admitted are told first (a failure retries next tick). */
  private async soldOutNow(c: Campaign, state: QueueState, tr: Tracking, now: number): Promise<boolean> {
    const soldOut = this.opts.soldOut?.(c.id) ?? false;
    if (soldOut && !tr.soldOut) await this.opts.onSoldOut?.(c, state, new Date(now));
    if (soldOut !== tr.soldOut) this.opts.log(soldOut ? 'campaign sold out: admission stopped' : 'supply back: admission resumed', { campaignId: c.id });
    tr.soldOut = soldOut;
    return soldOut;
  }

  private track(campaignId: string, now: number, state: QueueState): Tracking {
    let tr = this.tracking.get(campaignId);
    if (!tr) {
      tr = {
        allowance: state.ratePerS, // one second's worth banked: the first tick after a start admits at once
        lastTickMs: now,
        observedRatePerS: state.observedRatePerS,
        noShowRate: state.noShowRate,
        sampleAtMs: now,
        sampleAdmitted: state.admittedTotal,
        sampleClaimed: state.claimedTotal,
        checkpointed: null,
        joinRatePerS: 0,
        lastSeqSeen: state.lastSeq + state.preCount,
        soldOut: false,
      };
      this.tracking.set(campaignId, tr);
    }
    return tr;
  }

  private sampleNoShows(tr: Tracking, state: QueueState, now: number): void {
    const dt = now - tr.sampleAtMs;
    if (dt < NO_SHOW_SAMPLE_MS) return;
    const admitted = state.admittedTotal - tr.sampleAdmitted;
    const claimed = state.claimedTotal - tr.sampleClaimed;
    if (admitted > 0) tr.noShowRate = ewma(tr.noShowRate, Math.max(0, Math.min(1, 1 - claimed / admitted)), dt, NO_SHOW_TAU_MS);
    const joined = state.lastSeq + state.preCount - tr.lastSeqSeen;
    tr.joinRatePerS = ewma(tr.joinRatePerS, (joined * 1000) / dt, dt, RATE_TAU_MS);
    tr.lastSeqSeen = state.lastSeq + state.preCount;
    tr.sampleAtMs = now;
    tr.sampleAdmitted = state.admittedTotal;
    tr.sampleClaimed = state.claimedTotal;
  }

  /**
   * Freezes the pre-queue with the committed seed — once; the seed is logged and audited. The
   * commitment was drawn before the opening (or is drawn now, should nothing have drawn it yet).
   */
  private async shuffle(c: Campaign, now: number): Promise<QueueState> {
    const committed = await this.seeds.commit(c.id);
    // The seed is written to the database before the store freezes with it, so a store that
    // crashes mid-opening is restored with the same order, never a second shuffle.
    const drawn = await writeCheckpoint(this.db, c.id, { shuffleSeed: committed.seed }, now);
    const seed = drawn.shuffleSeed;
    assert(seed !== null, 'no shuffle seed recorded');
    // Only a line shuffled before its commitment existed (an older build) can differ: the public
    // record then shows a commitment that does not match, as it should.
    if (seed !== committed.seed) this.opts.log('pre-queue seed differs from its commitment', { campaignId: c.id, seed, committedSeed: committed.seed });
    const r = await this.store.freezePreQueue(c.id, seed);
    // The frozen count goes to the checkpoint at once: the write-ahead checkpoint may not be due
    // for many ticks, and a store restored with a seed but no count would strand the pre-queue.
    await writeCheckpoint(this.db, c.id, { frozenPreCount: r.preCount }, now);
    if (r.frozenNow) {
      this.opts.log('pre-queue shuffled at opening', { campaignId: c.id, seed: r.seed, preCount: r.preCount });
      await auditShuffle(this.db, this.opts.nodeId, now, { campaignId: c.id, seed: r.seed, preCount: r.preCount });
    }
    return this.store.read(c.id);
  }

  /**
   * Write-ahead checkpoint: before the live counter passes the stored one, store a value a few
   * seconds of admissions ahead. A restored counter is then never behind anyone's admission —
   * nobody is sent back — at the price of admitting up to that margin early.
   *
   * Join numbers need no write-ahead from here: the store issues none above its ceiling, which
   * only rises after the checkpoint holds it (issuer.ts). The controller reserves ahead all the
   * same — a few seconds of joins, once the counter is within half of that of its ceiling — and
   * raises the ceiling to what it wrote, so that at a steady rate joins do not wait for a write.
   */
  private async checkpoint(campaignId: string, state: QueueState, tr: Tracking, admitTo: number, now: number): Promise<void> {
    const cp = tr.checkpointed;
    const joinsSoon = Math.max(JOIN_MARGIN_MIN, Math.ceil(tr.joinRatePerS * this.opts.checkpointAheadS * 2));
    const open = state.shuffleSeed === null; // the pre-queue still takes joins
    const needAdmit = !cp || admitTo > cp.admittedUpTo;
    const needSeq = !cp || state.lastSeq + joinsSoon / 2 > state.seqCeiling || (open && state.preCount + joinsSoon / 2 > state.preCeiling);
    if (!needAdmit && !needSeq) return;
    const next = {
      admittedUpTo: Math.max(admitTo + Math.ceil(state.ratePerS * this.opts.checkpointAheadS), cp?.admittedUpTo ?? 0),
      lastSeq: Math.max(state.lastSeq + joinsSoon, cp?.lastSeq ?? 0),
      preCount: open ? Math.max(state.preCount + joinsSoon, cp?.preCount ?? 0) : state.preCount,
    };
    const written = await writeCheckpoint(this.db, campaignId, { ...next, shuffleSeed: state.shuffleSeed, frozenPreCount: state.frozenPreCount }, now);
    tr.checkpointed = { admittedUpTo: written.admittedUpTo, lastSeq: written.lastSeq, preCount: written.preCount };
    // Recorded: the store may issue up to it.
    await this.store.raiseCeiling(campaignId, { lastSeq: tr.checkpointed.lastSeq, ...(open ? { preCount: tr.checkpointed.preCount } : {}) });
  }
}
