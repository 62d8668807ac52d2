import { YeyakError } from '../core/errors.ts';

/**
 * Where a campaign's line lives: in-process (one node) or Redis (many nodes, one line). Only
 * counters and bounded sets are kept — nothing per waiting ticket. Per admitted-and-claimed pass
 * there is one entry (its expiry, its holder, its booking lease), bounded by the active-pass cap;
 * per spent position one bit; per admission step within the claim window one (upTo, at) pair;
 * per proof-of-work solution one entry until its challenge expires.
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
 * (same active slot, same expiry), a position spent on a completed booking (no pass again), a
 * position whose claim window passed unclaimed (a no-show: no pass, ever), or a first claim
 * refused because the active passes are at the cap (no pass yet; ask again shortly).
 */
export type ClaimOutcome = 'claimed' | 'renewed' | 'spent' | 'lapsed' | 'full';

export interface ClaimResult {
  outcome: ClaimOutcome;
  /** The pass's expiry (the first claim's: a later poll re-issues the same pass), else 0. */
  expMs: number;
}

export interface ClaimAt {
  /** Expiry of a pass issued by this claim, if it is the first. */
  expMs: number;
  nowMs: number;
  /** An admitted position may first be claimed this long after its admission. */
  claimWindowMs: number;
}

/** One booking-path write taking an admitted position's pass (QueueStore.beginUse). */
export interface PassUseRequest {
  /** The verified person using it: the first binds the pass, any other is refused. */
  personId: number;
  /** Names this use: only it can release its lease. */
  token: string;
  /** The lease ends then, released or not (a node that died mid-booking). */
  leaseUntilMs: number;
  nowMs: number;
  /** The pass's expiry: a use of a pass whose entry was lost (Redis) counts it active again. */
  passExpMs: number;
}

/** 'ok' (leased to this use), or why not: spent, bound to another person, leased to another use. */
export type PassUseOutcome = 'ok' | 'spent' | 'wrong-holder' | 'in-use';

/** Written by each advance: positions ≤ upTo are admitted at atMs; kept for the claim window. */
export interface AdmissionStep {
  atMs: number;
  /** Steps older than this are dropped: their unclaimed positions have lapsed. */
  keepMs: number;
}

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
  /**
   * Leader only: moves admittedUpTo forward (never back), records the step (when it moves) and the
   * estimates, and drops steps older than step.keepMs (their positions lapse unless claimed).
   */
  advance(campaignId: string, to: number, observedRatePerS: number, noShowRate: number, step: AdmissionStep): Promise<void>;
  /** Freezes the pre-queue with `seed` unless already frozen; returns the state after. */
  freezePreQueue(campaignId: string, seed: number): Promise<{ seed: number; preCount: number; frozenNow: boolean }>;
  /**
   * Marks a pass active, in one atomic step: 'renewed' (with the first claim's expiry) while its
   * entry lives; else 'spent' when the position completed a booking, 'lapsed' when its claim
   * window (from its admission step) has passed, 'full' when the unexpired active passes are at
   * the cap (activeMax) — nothing marked for any of these; else 'claimed' until at.expMs.
   */
  claimPass(campaignId: string, position: number, at: ClaimAt): Promise<ClaimResult>;
  /**
   * Takes the position's pass for one booking-path write, in one atomic step: refused when spent,
   * bound to another person, or leased to another unexpired use; else binds it to the person (on
   * first use) and leases it to this use until leaseUntilMs.
   */
  beginUse(campaignId: string, position: number, use: PassUseRequest): Promise<PassUseOutcome>;
  /** Ends the lease of use `token` (only that one's): the pass may be used again. */
  endUse(campaignId: string, position: number, token: string): Promise<void>;
  /**
   * A completed booking spends its position for the life of the campaign: its active slot, holder
   * and lease go at once, every pass for it is refused and no new pass is issued for it.
   */
  spendPosition(campaignId: string, position: number): Promise<void>;
  /**
   * Records a solved proof-of-work challenge until untilMs: true the first time, false when it was
   * already recorded (a reused solution), atomically.
   */
  recordSolution(campaignId: string, solutionId: string, untilMs: number, nowMs: number): Promise<boolean>;
  isSpent(campaignId: string, position: number): Promise<boolean>;
  activeCount(campaignId: string, nowMs: number): Promise<number>;
  /**
   * Admitted holders told to wait for a free pass (the cap was full) and still polling (told
   * within the claim window): they take the next free passes, so admission leaves room for them.
   */
  waitingForPassCount(campaignId: string, nowMs: number, claimWindowMs: number): Promise<number>;
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

/** An active pass: its expiry, the person it is bound to, the booking-path write holding it. */
interface ActivePass {
  expMs: number;
  holder: number | null;
  lease: { token: string; untilMs: number } | null;
}

interface MemoryCampaign {
  state: QueueState;
  /** position → its active pass */
  active: Map<number, ActivePass>;
  /** Positions that completed a booking. */
  spent: Bitset;
  /** Admission steps within the claim window, oldest first (upTo strictly increasing). */
  steps: { upTo: number; atMs: number }[];
  /** Positions ≤ this were admitted before every kept step: lapsed unless claimed. */
  lapsedUpTo: number;
  /** Proof-of-work solution id → recorded until (ms). */
  solutions: Map<string, number>;
  /** Admitted positions told "wait for a free pass" (the cap was full) → when last told (ms). */
  waitingForPass: Map<number, number>;
  leader: { nodeId: string; untilMs: number } | null;
}

/** Positions admitted by the first step with upTo ≥ position; null when no kept step covers it. */
export function admittedAtMs(steps: readonly { upTo: number; atMs: number }[], position: number): number | null {
  let lo = 0;
  let hi = steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((steps[mid] as { upTo: number }).upTo >= position) hi = mid;
    else lo = mid + 1;
  }
  return lo < steps.length ? (steps[lo] as { atMs: number }).atMs : null;
}

/** Solutions kept at most, per campaign, in process (a cap on memory; Redis keeps them by TTL). */
const SOLUTIONS_MAX = 1_000_000;

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
      c = { state: defaultState(this.defaults(campaignId)), active: new Map(), spent: new Bitset(), steps: [], lapsedUpTo: 0, solutions: new Map(), waitingForPass: new Map(), leader: null };
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

  async advance(campaignId: string, to: number, observedRatePerS: number, noShowRate: number, step: AdmissionStep): Promise<void> {
    const c = this.get(campaignId);
    const { state } = c;
    if (to > state.admittedUpTo) {
      state.admittedTotal += to - state.admittedUpTo;
      state.admittedUpTo = to;
      c.steps.push({ upTo: to, atMs: step.atMs });
    }
    while (c.steps.length > 0 && (c.steps[0] as { atMs: number }).atMs + step.keepMs <= step.atMs) {
      c.lapsedUpTo = Math.max(c.lapsedUpTo, (c.steps.shift() as { upTo: number }).upTo);
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

  async claimPass(campaignId: string, position: number, at: ClaimAt): Promise<ClaimResult> {
    const c = this.get(campaignId);
    if (c.spent.has(position)) return { outcome: 'spent', expMs: 0 };
    const prev = c.active.get(position);
    if (prev && prev.expMs > at.nowMs) return { outcome: 'renewed', expMs: prev.expMs };
    if (prev) c.active.delete(position);
    // A holder told to wait for a free pass (the cap was full) who keeps polling has shown up: the
    // window runs from their last poll, not from their admission.
    const seen = c.waitingForPass.get(position);
    if (seen === undefined || seen + at.claimWindowMs <= at.nowMs) {
      const admittedAt = position <= c.lapsedUpTo ? -Infinity : admittedAtMs(c.steps, position);
      // No kept step covers it (a restored line without steps): admitted now, as far as we know.
      if (admittedAt !== null && admittedAt + at.claimWindowMs <= at.nowMs) {
        c.waitingForPass.delete(position);
        return { outcome: 'lapsed', expMs: 0 };
      }
    }
    // Pruning walks the set: only when the count says it may be full.
    if (c.active.size >= c.state.activeMax) this.prune(c, at.nowMs);
    if (c.active.size >= c.state.activeMax) {
      c.waitingForPass.set(position, at.nowMs);
      return { outcome: 'full', expMs: 0 };
    }
    c.waitingForPass.delete(position);
    c.state.claimedTotal++;
    c.active.set(position, { expMs: at.expMs, holder: null, lease: null });
    return { outcome: 'claimed', expMs: at.expMs };
  }

  async beginUse(campaignId: string, position: number, use: PassUseRequest): Promise<PassUseOutcome> {
    const c = this.get(campaignId);
    if (c.spent.has(position)) return 'spent';
    let entry = c.active.get(position);
    if (!entry) {
      entry = { expMs: use.passExpMs, holder: null, lease: null };
      c.active.set(position, entry);
    }
    if (entry.holder !== null && entry.holder !== use.personId) return 'wrong-holder';
    if (entry.lease && entry.lease.untilMs > use.nowMs) return 'in-use';
    entry.holder = use.personId;
    entry.lease = { token: use.token, untilMs: use.leaseUntilMs };
    return 'ok';
  }

  async endUse(campaignId: string, position: number, token: string): Promise<void> {
    const entry = this.get(campaignId).active.get(position);
    if (entry?.lease?.token === token) entry.lease = null;
  }

  async spendPosition(campaignId: string, position: number): Promise<void> {
    const c = this.get(campaignId);
    c.active.delete(position);
    c.spent.add(position);
  }

  async recordSolution(campaignId: string, solutionId: string, untilMs: number, nowMs: number): Promise<boolean> {
    const { solutions } = this.get(campaignId);
    const until = solutions.get(solutionId);
    if (until !== undefined && until > nowMs) return false;
    if (solutions.size >= SOLUTIONS_MAX) {
      for (const [id, u] of solutions) if (u <= nowMs) solutions.delete(id);
      // Still full of live solutions: refuse rather than forget one (a reuse would slip through).
      if (solutions.size >= SOLUTIONS_MAX) throw new YeyakError('YEYAK_E_BUSY');
    }
    solutions.set(solutionId, untilMs);
    return true;
  }

  private prune(c: MemoryCampaign, nowMs: number): void {
    for (const [pos, entry] of c.active) if (entry.expMs <= nowMs) c.active.delete(pos);
  }

  async isSpent(campaignId: string, position: number): Promise<boolean> {
    return this.get(campaignId).spent.has(position);
  }

  async activeCount(campaignId: string, nowMs: number): Promise<number> {
    const c = this.get(campaignId);
    this.prune(c, nowMs);
    return c.active.size;
  }

  async waitingForPassCount(campaignId: string, nowMs: number, claimWindowMs: number): Promise<number> {
    const c = this.get(campaignId);
    for (const [pos, seen] of c.waitingForPass) if (seen + claimWindowMs <= nowMs) c.waitingForPass.delete(pos);
    return c.waitingForPass.size;
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
    const c = this.get(campaignId);
    const { state } = c;
    state.lastSeq = Math.max(state.lastSeq, floor.lastSeq);
    state.preCount = Math.max(state.preCount, floor.preCount);
    state.admittedUpTo = Math.max(state.admittedUpTo, floor.admittedUpTo);
    // Admission instants are not checkpointed: every place admitted so far gets its claim window
    // from now (generous: nobody lapses because of a restart).
    const lastStep = c.steps[c.steps.length - 1]?.upTo ?? c.lapsedUpTo;
    if (state.admittedUpTo > lastStep) c.steps.push({ upTo: state.admittedUpTo, atMs: this.nowMs() });
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
