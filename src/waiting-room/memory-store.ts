import { YeyakError } from '../core/errors.ts';
import { defaultState, type QueueSettings, type QueueState, type JoinOutcome, type ClaimResult, type ClaimAt, type PassUseRequest, type PassUseOutcome, type AdmissionStep, type QueueStore } from './store.ts';

/**
 * The embedded waiting-room store (one process, one line per campaign) and its bitset; the
 * contract it implements is store.ts's QueueStore, shared with the Redis store.
 */
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
