/**
 * Where a campaign's line lives: in-process (one node) or Redis (many nodes, one line). Only
 * counters and bounded sets are kept — nothing per waiting ticket. Per admitted-and-claimed pass
 * there is one entry, bounded by the active-pass cap.
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

export interface QueueStore {
  readonly kind: 'memory' | 'redis';
  /** Issues the next number: pre-queue while `pre` and not yet frozen, else the main line. */
  join(campaignId: string, pre: boolean): Promise<JoinResult>;
  read(campaignId: string): Promise<QueueState>;
  configure(campaignId: string, patch: Partial<QueueSettings>): Promise<void>;
  /** Leader only: moves admittedUpTo forward (never back) and records the estimates. */
  advance(campaignId: string, to: number, observedRatePerS: number, noShowRate: number): Promise<void>;
  /** Freezes the pre-queue with `seed` unless already frozen; returns the state after. */
  freezePreQueue(campaignId: string, seed: number): Promise<{ seed: number; preCount: number; frozenNow: boolean }>;
  /** Marks a pass active until expMs. True on the first claim of that position. */
  claimPass(campaignId: string, position: number, expMs: number): Promise<boolean>;
  /** A completed booking frees its active slot at once; the pass is refused from then on. */
  revokePass(campaignId: string, position: number, untilMs: number): Promise<void>;
  isRevoked(campaignId: string, position: number): Promise<boolean>;
  activeCount(campaignId: string, nowMs: number): Promise<number>;
  /** A lease for the admission controller: true while `nodeId` holds it. */
  lead(campaignId: string, nodeId: string, ttlMs: number): Promise<boolean>;
  /** Raises counters to at least the given values (restore from a checkpoint). */
  restore(campaignId: string, floor: { lastSeq: number; preCount: number; admittedUpTo: number; shuffleSeed: number | null; frozenPreCount: number | null }): Promise<void>;
  close(): Promise<void>;
}

export function defaultState(settings: QueueSettings): QueueState {
  return {
    ...settings,
    lastSeq: 0,
    preCount: 0,
    admittedUpTo: 0,
    shuffleSeed: null,
    frozenPreCount: null,
    observedRatePerS: 0,
    noShowRate: 0,
    admittedTotal: 0,
    claimedTotal: 0,
  };
}

interface MemoryCampaign {
  state: QueueState;
  /** position → pass expiry (ms) */
  active: Map<number, number>;
  /** position → revoked until (ms) */
  revoked: Map<number, number>;
  leader: { nodeId: string; untilMs: number } | null;
}

/** The embedded store: one process, one line per campaign. */
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
      c = { state: defaultState(this.defaults(campaignId)), active: new Map(), revoked: new Map(), leader: null };
      this.campaigns.set(campaignId, c);
    }
    return c;
  }

  async join(campaignId: string, pre: boolean): Promise<JoinResult> {
    const { state } = this.get(campaignId);
    if (pre && state.shuffleSeed === null) return { seq: ++state.preCount, pre: true };
    return { seq: ++state.lastSeq, pre: false };
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

  async claimPass(campaignId: string, position: number, expMs: number): Promise<boolean> {
    const c = this.get(campaignId);
    const first = !c.active.has(position) && !c.revoked.has(position);
    if (first) c.state.claimedTotal++;
    if (!c.revoked.has(position)) c.active.set(position, expMs);
    return first;
  }

  async revokePass(campaignId: string, position: number, untilMs: number): Promise<void> {
    const c = this.get(campaignId);
    c.active.delete(position);
    c.revoked.set(position, untilMs);
  }

  async isRevoked(campaignId: string, position: number): Promise<boolean> {
    const until = this.get(campaignId).revoked.get(position);
    return until !== undefined && until > this.nowMs();
  }

  async activeCount(campaignId: string, nowMs: number): Promise<number> {
    const c = this.get(campaignId);
    for (const [pos, exp] of c.active) if (exp <= nowMs) c.active.delete(pos);
    for (const [pos, until] of c.revoked) if (until <= nowMs) c.revoked.delete(pos);
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
    if (state.shuffleSeed === null && floor.shuffleSeed !== null) {
      state.shuffleSeed = floor.shuffleSeed;
      // A seed without a count (a crash between drawing and recording it): freeze at the restored
      // count rather than leave the pre-queue without positions for ever.
      state.frozenPreCount = floor.frozenPreCount ?? state.preCount;
    }
  }

  async close(): Promise<void> {}
}
