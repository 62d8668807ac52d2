/**
 * Where a campaign's line lives: in-process (one node) or Redis (many nodes, one line). Only
 * counters and bounded sets are kept — nothing per waiting ticket. Per admitted-and-claimed pass
 * there is one entry, bounded by the active-pass cap; per spent position one bit.
 *
 * Numbers are issued only below a ceiling (`seqCeiling`, `preCeiling`) that is raised only after
 * the database checkpoint has recorded at least that much (see issuer.ts): a store restored from
 * the checkpoint therefore never hands out a number a ticket already holds. A join above the
 * ceiling is refused, atomically with the counter, and the caller reserves a block and retries.
 */
export interface QueueSettings {
  /** Target admissions per second. */
  ratePerS: number;
  /** Cap on passes in use at once. */
  activeMax: number;
  paused: boolean;
  notice: { ko: string; en: string } | null;
  /** Proof-of-work difficulty at join (leading zero bits; 0 = off), adjustable live. */
  powBits: number;
}

export interface QueueState extends QueueSettings {
  /** Main-line joins issued (seq 1..lastSeq). */
  lastSeq: number;
  /** Pre-queue joins issued (1..preCount). */
  preCount: number;
  /** No main-line number above this is issued; the checkpoint's last_seq is at least this. */
  seqCeiling: number;
  /** No pre-queue number above this is issued; the checkpoint's pre_count is at least this. */
  preCeiling: number;
  /** Positions ≤ admittedUpTo are admitted. Never decreases. */
  admittedUpTo: number;
  /** Set once at the opening; with it the pre-queue is frozen at `frozenPreCount`. */
  shuffleSeed: number | null;
  frozenPreCount: number | null;
  /** Smoothed admissions per second, for estimates. */
  observedRatePerS: number;
  /** Fraction of admissions never claimed, 0..1. */
  noShowRate: number;
  /** Totals for the no-show measure. */
  admittedTotal: number;
  claimedTotal: number;
}

export interface JoinResult {
  seq: number;
  pre: boolean;
}

/**
 * A join refused because the next number would pass the reserved ceiling: nothing was issued.
 * `pre` names the counter that would have issued it (the pre-queue, or the main line — also for a
 * pre-queue join after the freeze); `counter` is that counter now, `ceiling` its ceiling.
 */
export interface JoinRefused {
  refused: true;
  pre: boolean;
  counter: number;
  ceiling: number;
}

export type JoinOutcome = JoinResult | JoinRefused;

export function isRefused(r: JoinOutcome): r is JoinRefused {
  return 'refused' in r;
}

/**
 * What a status poll of an admitted position finds: the first claim of the position, a later one
 * (same active slot, later expiry), or a position spent on a completed booking (no pass again).
 */
export type ClaimOutcome = 'claimed' | 'renewed' | 'spent';

export interface QueueStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Issues the next number: pre-queue while `pre` and not yet frozen, else the main line — unless
   * it would pass that counter's ceiling: then nothing is issued and the refusal says so.
   */
  join(campaignId: string, pre: boolean): Promise<JoinOutcome>;
  /**
   * Raises the ceilings to at least the given values (never lowers them). Only for values the
   * database checkpoint already holds (last_seq, pre_count) — written first.
   */
  raiseCeiling(campaignId: string, to: { lastSeq?: number; preCount?: number }): Promise<void>;
  read(campaignId: string): Promise<QueueState>;
  configure(campaignId: string, patch: Partial<QueueSettings>): Promise<void>;
  /** Leader only: moves admittedUpTo forward (never back) and records the estimates. */
  advance(campaignId: string, to: number, observedRatePerS: number, noShowRate: number): Promise<void>;
  /** Freezes the pre-queue with `seed` unless already frozen; returns the state after. */
  freezePreQueue(campaignId: string, seed: number): Promise<{ seed: number; preCount: number; frozenNow: boolean }>;
  /**
   * Marks a pass active until expMs: 'claimed' on the first claim of that position, 'renewed' on
   * a later one; 'spent' (and nothing marked) when the position completed a booking.
   */
  claimPass(campaignId: string, position: number, expMs: number): Promise<ClaimOutcome>;
  /**
   * A completed booking spends its position for the life of the campaign: its active slot frees
   * at once, every pass for it is refused and no new pass is issued for it.
   */
  spendPosition(campaignId: string, position: number): Promise<void>;
  isSpent(campaignId: string, position: number): Promise<boolean>;
  activeCount(campaignId: string, nowMs: number): Promise<number>;
  /** A lease for the admission controller: true while `nodeId` holds it. */
  lead(campaignId: string, nodeId: string, ttlMs: number): Promise<boolean>;
  /**
   * Raises counters to at least the given values (restore from a checkpoint). A ceiling below its
   * counter is raised to the counter — which lets no new number through: the next join reserves.
   */
  restore(campaignId: string, floor: { lastSeq: number; preCount: number; admittedUpTo: number; shuffleSeed: number | null; frozenPreCount: number | null }): Promise<void>;
  close(): Promise<void>;
}

export function defaultState(settings: QueueSettings): QueueState {
  return {
    ...settings,
    lastSeq: 0,
    preCount: 0,
    seqCeiling: 0,
    preCeiling: 0,
    admittedUpTo: 0,
    shuffleSeed: null,
    frozenPreCount: null,
    observedRatePerS: 0,
    noShowRate: 0,
    admittedTotal: 0,
    claimedTotal: 0,
  };
}

/**
 * One bit per position, growing as positions do (20 million positions ≈ 2.5 MB). Positions are
 * never larger than the numbers issued, so its size is bounded by the line's length.
 */
export class Bitset {
  private bytes = new Uint8Array(0);

  has(n: number): boolean {
    const i = n >>> 3;
    return i < this.bytes.length && ((this.bytes[i] as number) & (1 << (n & 7))) !== 0;
  }

  add(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new RangeError(`bitset: position out of range: ${n}`);
    const i = n >>> 3;
    if (i >= this.bytes.length) {
      const grown = new Uint8Array(Math.max(i + 1, Math.min(2 * this.bytes.length, 2 ** 29)));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[i] = (this.bytes[i] as number) | (1 << (n & 7));
  }

  /** Bytes held (tests, metrics). */
  get byteLength(): number {
    return this.bytes.length;
  }
}

interface MemoryCampaign {
  state: QueueState;
  /** position → pass expiry (ms) */
  active: Map<number, number>;
  /** Positions that completed a booking. */
  spent: Bitset;
  leader: { nodeId: string; untilMs: number } | null;
}

/**
 * The embedded store: one process, one line per campaign. It lives and dies with the process; a
 * new process restores it from the checkpoint before serving (createWaitingRoom). The spent-position
 * bitset is not restored: PostgreSQL's one-reservation-per-person rule still holds after a restart.
 */
export class MemoryQueueStore implements QueueStore {
  readonly kind = 'memory' as const;
  private readonly campaigns = new Map<string, MemoryCampaign>();

  constructor(
    private readonly defaults: (campaignId: string) => QueueSettings,
    private readonly nowMs: () => number,
  ) {}

  private get(campaignId: string): MemoryCampaign {
    let c = this.campaigns.get(campaignId);
    if (!c) {
      c = { state: defaultState(this.defaults(campaignId)), active: new Map(), spent: new Bitset(), leader: null };
      this.campaigns.set(campaignId, c);
    }
    return c;
  }

  async join(campaignId: string, pre: boolean): Promise<JoinOutcome> {
    const { state } = this.get(campaignId);
    if (pre && state.shuffleSeed === null) {
      if (state.preCount + 1 > state.preCeiling) return { refused: true, pre: true, counter: state.preCount, ceiling: state.preCeiling };
      return { seq: ++state.preCount, pre: true };
    }
    if (state.lastSeq + 1 > state.seqCeiling) return { refused: true, pre: false, counter: state.lastSeq, ceiling: state.seqCeiling };
    return { seq: ++state.lastSeq, pre: false };
  }

  async raiseCeiling(campaignId: string, to: { lastSeq?: number; preCount?: number }): Promise<void> {
    const { state } = this.get(campaignId);
    if (to.lastSeq !== undefined) state.seqCeiling = Math.max(state.seqCeiling, Math.floor(to.lastSeq));
    if (to.preCount !== undefined) state.preCeiling = Math.max(state.preCeiling, Math.floor(to.preCount));
  }

  async read(campaignId: string): Promise<QueueState> {
    return { ...this.get(campaignId).state };
  }

  async configure(campaignId: string, patch: Partial<QueueSettings>): Promise<void> {
    Object.assign(this.get(campaignId).state, patch);
  }

  async advance(campaignId: string, to: number, observedRatePerS: number, noShowRate: number): Promise<void> {
    const { state } = this.get(campaignId);
    if (to > state.admittedUpTo) {
      state.admittedTotal += to - state.admittedUpTo;
      state.admittedUpTo = to;
    }
    state.observedRatePerS = observedRatePerS;
    state.noShowRate = noShowRate;
  }

  async freezePreQueue(campaignId: string, seed: number) {
    const { state } = this.get(campaignId);
    if (state.shuffleSeed !== null) return { seed: state.shuffleSeed, preCount: state.frozenPreCount ?? 0, frozenNow: false };
    state.shuffleSeed = seed;
    state.frozenPreCount = state.preCount;
    return { seed, preCount: state.preCount, frozenNow: true };
  }

  async claimPass(campaignId: string, position: number, expMs: number): Promise<ClaimOutcome> {
    const c = this.get(campaignId);
    if (c.spent.has(position)) return 'spent';
    const prev = c.active.get(position);
    if (prev === undefined) c.state.claimedTotal++;
    c.active.set(position, Math.max(prev ?? 0, expMs));
    return prev === undefined ? 'claimed' : 'renewed';
  }

  async spendPosition(campaignId: string, position: number): Promise<void> {
    const c = this.get(campaignId);
    c.active.delete(position);
    c.spent.add(position);
  }

  async isSpent(campaignId: string, position: number): Promise<boolean> {
    return this.get(campaignId).spent.has(position);
  }

  async activeCount(campaignId: string, nowMs: number): Promise<number> {
    const c = this.get(campaignId);
    for (const [pos, exp] of c.active) if (exp <= nowMs) c.active.delete(pos);
    return c.active.size;
  }

  async lead(campaignId: string, nodeId: string, ttlMs: number): Promise<boolean> {
    const c = this.get(campaignId);
    const now = this.nowMs();
    if (!c.leader || c.leader.untilMs <= now || c.leader.nodeId === nodeId) {
      c.leader = { nodeId, untilMs: now + ttlMs };
      return true;
    }
    return false;
  }

  async restore(campaignId: string, floor: Parameters<QueueStore['restore']>[1]): Promise<void> {
    const { state } = this.get(campaignId);
    state.lastSeq = Math.max(state.lastSeq, floor.lastSeq);
    state.preCount = Math.max(state.preCount, floor.preCount);
    state.admittedUpTo = Math.max(state.admittedUpTo, floor.admittedUpTo);
    // A restored counter starts at its ceiling: the first join reserves a block.
    state.seqCeiling = Math.max(state.seqCeiling, state.lastSeq);
    state.preCeiling = Math.max(state.preCeiling, state.preCount);
    if (state.shuffleSeed === null && floor.shuffleSeed !== null) {
      state.shuffleSeed = floor.shuffleSeed;
      // A seed without a count (a crash between drawing and recording it): freeze at the restored
      // count rather than leave the pre-queue without positions for ever.
      state.frozenPreCount = floor.frozenPreCount ?? state.preCount;
    }
  }

  async close(): Promise<void> {}
}
