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

/** What a line restores from: the checkpoint's counters (sql.ts queue_checkpoint). */
export interface QueueFloor {
  lastSeq: number;
  preCount: number;
  admittedUpTo: number;
  shuffleSeed: number | null;
  frozenPreCount: number | null;
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
  restore(campaignId: string, floor: QueueFloor): Promise<void>;
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
