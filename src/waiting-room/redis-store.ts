import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { assert } from '../core/errors.ts';
import type {
  AdmissionStep,
  ClaimAt,
  ClaimOutcome,
  ClaimResult,
  JoinOutcome,
  PassUseOutcome,
  PassUseRequest,
  QueueFloor,
  QueueSettings,
  QueueState,
  QueueStore,
} from './store.ts';
import { settingsFields, stateOf, unavailable } from './redis-codec.ts';
import { NOINIT, NOINIT_RESULT, RESTORE_ATTEMPTS_MAX, REFUSED, CLAIM_SPENT, CLAIM_LAPSED, CLAIM_FULL, USE_SPENT, USE_WRONG_HOLDER, USE_IN_USE, SCRIPTS, type ScriptName, type ScriptFn } from './redis-scripts.ts';

export type { QueueFloor };

/**
 * The waiting room in Redis: every node shares one line per campaign.
 *
 * Layout (one hash slot per campaign: the `{campaignId}` hash tag):
 *   <prefix>{<campaignId>}:state   hash: counters, ceilings, settings, estimates, the `init` marker
 *   <prefix>{<campaignId>}:active  zset: position → pass expiry (ms)
 *   <prefix>{<campaignId>}:holder  hash: position → the person the pass is bound to (first use)
 *   <prefix>{<campaignId>}:lease   hash: position → `<token>|<untilMs>`, the booking using the pass
 *   <prefix>{<campaignId>}:spent   string used as a bitset: bit n = position n completed a booking
 *   <prefix>{<campaignId>}:steps   zset: admission steps `<upTo>:<atMs>` scored by upTo, kept for
 *                                  the claim window (older ones raise the state's `lapsedUpTo`)
 *   <prefix>{<campaignId>}:wait    zset: admitted positions told to wait for a free pass (the cap
 *                                  was full) → when last told; dropped a claim window after it
 *   <prefix>{<campaignId>}:pow:<id> string: a solved proof-of-work challenge, PX until it expires
 *   <prefix>{<campaignId>}:lead    string: the admission leader's node id, PX lease
 * with <prefix> = `yeyak:q:` by default. Holder and lease entries live and die with the position's
 * active entry (pruned with it, dropped when it is spent), so they are bounded by the cap too.
 *
 * The counters live in the state hash, next to the `init` marker, not in keys of their own: a
 * hash disappears as a whole (restart without persistence, FLUSHDB, eviction), so "marker present"
 * always means "counters present". Every operation that hands out or moves a number (join,
 * advance, freeze) runs in one Lua script that first checks the marker; without it the script
 * refuses, and the store restores the counters from the PostgreSQL checkpoint before retrying.
 * The join script also refuses a number above the counter's ceiling (`seqCeil`, `preCeil`), and a
 * ceiling is raised only to a value the checkpoint already holds (issuer.ts): every number ever
 * issued is at most the checkpoint's, so the restored counters start after all of them. After
 * Redis loses its memory no node issues a number that a ticket already holds, and nobody's
 * admission is taken back.
 *
 * Restore is race-free across nodes: the first node to see the loss plants a nonce in the fresh
 * hash (`pending`), every node then reads the checkpoint, and the restore script sets the marker
 * only while that nonce is still there — a checkpoint read before a second loss can never
 * initialise the line. Floors are applied with max, so a late or repeated restore never lowers a
 * counter that has moved since. The operator's settings are restored too, from the campaign row
 * (`settingsFrom`; the admin API writes it before the store) — unless a newer change already
 * reached the fresh hash.
 *
 * Not restored (lost with Redis memory unless Redis persists it): the active-pass set (the cap
 * undercounts until passes issued before the loss expire or are used: a booking with a pass whose
 * entry is gone puts it back), the holders and leases of passes (a pass in use at the loss may be
 * used once more at once, by its device; the one-reservation-per-person rule in PostgreSQL still
 * refuses a second booking of the same person), the spent-position bitset (a pass whose booking
 * completed is accepted by the gate again until it expires, and a spent position can be given a
 * new pass — same backstop), the admission steps (the restore writes one step at the restored
 * admittedUpTo: every admitted place gets a fresh claim window from the restore, nobody lapses
 * because of the loss), the recorded proof-of-work solutions (one may be reused once within its
 * two minutes), the leader lease and the estimates.
 */

export interface RedisQueueStoreOptions {
  /** Key prefix; the campaign's keys are `<prefix>{<campaignId>}:…`. Default `yeyak:q:`. */
  prefix?: string;
  /** Settings for a campaign whose hash holds none (rate, cap on active passes, PoW). */
  defaults: (campaignId: string) => QueueSettings;
  /** The campaign's checkpoint (PostgreSQL), or null when it has none: the line starts at zero. */
  restoreFrom: (campaignId: string) => Promise<QueueFloor | null>;
  /**
   * The operator's settings as persisted (the campaign row), written into a restored line; null
   * or absent: the line falls back to `defaults` until an operator changes them.
   */
  settingsFrom?: (campaignId: string) => Promise<QueueSettings | null>;
  /** close() quits the connection (default true). */
  ownsConnection?: boolean;
  /** Told after every restore from a checkpoint (for the operator's log). */
  onRestore?: (campaignId: string, floor: QueueFloor | null) => void;
  /** The campaign clock: a restore starts the claim window of every admitted place now. */
  nowMs: () => number;
}

export class RedisQueueStore implements QueueStore {
  readonly kind = 'redis' as const;
  private readonly prefix: string;
  /** One restore in flight per campaign on this node. */
  private readonly restoring = new Map<string, Promise<void>>();
  /** Restores done by this node (tests and metrics). */
  restores = 0;

  constructor(
    readonly redis: Redis,
    private readonly opts: RedisQueueStoreOptions,
  ) {
    this.prefix = opts.prefix ?? 'yeyak:q:';
    for (const [name, s] of Object.entries(SCRIPTS)) {
      redis.defineCommand(name, { numberOfKeys: s.keys, lua: s.lua });
    }
  }

  /** The campaign's key for `part` (state, active, lead, rev:<n>). */
  key(campaignId: string, part: string): string {
    return `${this.prefix}{${campaignId}}:${part}`;
  }

  private async run(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    const fn = (this.redis as unknown as Record<ScriptName, ScriptFn>)[name];
    try {
      return await fn.apply(this.redis, args);
    } catch (e) {
      throw unavailable(e);
    }
  }

  private async cmd<T>(p: () => Promise<T>): Promise<T> {
    try {
      return await p();
    } catch (e) {
      throw unavailable(e);
    }
  }

  /** Runs `op` until the line is initialised: on a refusal, restore from the checkpoint and retry. */
  private async initialised<T>(campaignId: string, op: () => Promise<T | typeof NOINIT_RESULT>): Promise<T> {
    for (let i = 0; i < RESTORE_ATTEMPTS_MAX; i++) {
      const r = await op();
      if (r !== NOINIT_RESULT) return r;
      await this.ensureInit(campaignId);
    }
    throw new Error('waiting-room store keeps losing its state (Redis restarting in a loop?)');
  }

  /** Restores the campaign's counters from its checkpoint (once per node at a time). */
  private ensureInit(campaignId: string): Promise<void> {
    let p = this.restoring.get(campaignId);
    if (!p) {
      p = this.restoreFromCheckpoint(campaignId).finally(() => this.restoring.delete(campaignId));
      this.restoring.set(campaignId, p);
    }
    return p;
  }

  private async restoreFromCheckpoint(campaignId: string): Promise<void> {
    const st = this.key(campaignId, 'state');
    for (let i = 0; i < RESTORE_ATTEMPTS_MAX; i++) {
      // The nonce is planted in this incarnation of the hash before the checkpoint is read: the
      // checkpoint read then covers every number issued before the loss.
      const nonce = (await this.run('yeyakQBeginRestore', st, randomBytes(9).toString('base64url'))) as string | null;
      if (nonce === null) return; // another node restored it
      const floor = await this.opts.restoreFrom(campaignId);
      const settings = (await this.opts.settingsFrom?.(campaignId)) ?? null;
      const r = await this.applyFloor(campaignId, nonce, floor ?? { lastSeq: 0, preCount: 0, admittedUpTo: 0, shuffleSeed: null, frozenPreCount: null }, settings);
      if (r === 1) {
        this.restores++;
        this.opts.onRestore?.(campaignId, floor);
        return;
      }
      // The hash was lost again after the nonce was planted: read the checkpoint again.
    }
    throw new Error('waiting-room store keeps losing its state (Redis restarting in a loop?)');
  }

  private async applyFloor(campaignId: string, nonce: string, floor: QueueFloor, settings: QueueSettings | null = null): Promise<number> {
    const r = await this.run(
      'yeyakQRestore',
      this.key(campaignId, 'state'),
      this.key(campaignId, 'steps'),
      nonce,
      String(Math.max(0, Math.floor(floor.lastSeq))),
      String(Math.max(0, Math.floor(floor.preCount))),
      String(Math.max(0, Math.floor(floor.admittedUpTo))),
      floor.shuffleSeed === null ? '' : String(floor.shuffleSeed),
      floor.frozenPreCount === null ? '' : String(floor.frozenPreCount),
      String(Math.floor(this.opts.nowMs())),
      ...(settings ? Object.entries(settingsFields(settings)).flat() : []),
    );
    return Number(r);
  }

  async join(campaignId: string, pre: boolean): Promise<JoinOutcome> {
    const st = this.key(campaignId, 'state');
    return this.initialised(campaignId, async () => {
      const [seq, isPre, counter, ceiling] = (await this.run('yeyakQJoin', st, pre ? '1' : '0')) as [number, number, number?, number?];
      if (seq === NOINIT) return NOINIT_RESULT;
      if (seq === REFUSED) return { refused: true as const, pre: isPre === 1, counter: Number(counter), ceiling: Number(ceiling) };
      return { seq, pre: isPre === 1 };
    });
  }

  async raiseCeiling(campaignId: string, to: { lastSeq?: number; preCount?: number }): Promise<void> {
    const st = this.key(campaignId, 'state');
    const arg = (v: number | undefined) => (v === undefined ? '' : String(Math.max(0, Math.floor(v))));
    // A lost line is restored first; raising the new incarnation's ceiling is then safe too: its
    // counters start at the checkpoint read after the loss, and the value raised to is durable.
    await this.initialised(campaignId, async () => {
      const r = Number(await this.run('yeyakQRaiseCeiling', st, arg(to.lastSeq), arg(to.preCount)));
      return r === NOINIT ? NOINIT_RESULT : r;
    });
  }

  async read(campaignId: string): Promise<QueueState> {
    const st = this.key(campaignId, 'state');
    const h = await this.initialised(campaignId, async () => {
      const fields = await this.cmd(() => this.redis.hgetall(st));
      return fields.init === undefined ? NOINIT_RESULT : fields;
    });
    return stateOf(h, this.opts.defaults(campaignId));
  }

  async configure(campaignId: string, patch: Partial<QueueSettings>): Promise<void> {
    const fields = settingsFields(patch);
    if (Object.keys(fields).length === 0) return;
    await this.cmd(() => this.redis.hset(this.key(campaignId, 'state'), fields));
  }

  async advance(campaignId: string, to: number, observedRatePerS: number, noShowRate: number, step: AdmissionStep): Promise<void> {
    const st = this.key(campaignId, 'state');
    const steps = this.key(campaignId, 'steps');
    const args = [String(Math.floor(to)), String(observedRatePerS), String(noShowRate), String(Math.floor(step.atMs)), String(Math.max(0, Math.floor(step.keepMs)))];
    await this.initialised(campaignId, async () => {
      const r = Number(await this.run('yeyakQAdvance', st, steps, ...args));
      return r === NOINIT ? NOINIT_RESULT : r;
    });
  }

  async freezePreQueue(campaignId: string, seed: number): Promise<{ seed: number; preCount: number; frozenNow: boolean }> {
    const st = this.key(campaignId, 'state');
    return this.initialised(campaignId, async () => {
      const r = (await this.run('yeyakQFreeze', st, String(seed))) as [string | number, string?, number?];
      if (r[0] === NOINIT) return NOINIT_RESULT;
      return { seed: Number(r[0]), preCount: Number(r[1] ?? 0), frozenNow: r[2] === 1 };
    });
  }

  async claimPass(campaignId: string, position: number, at: ClaimAt): Promise<ClaimResult> {
    const k = (part: string) => this.key(campaignId, part);
    const [code, exp] = (await this.run(
      'yeyakQClaim',
      ...['state', 'active', 'spent', 'steps', 'holder', 'lease', 'wait'].map(k),
      String(position),
      String(Math.floor(at.expMs)),
      String(Math.floor(at.nowMs)),
      String(Math.max(0, Math.floor(at.claimWindowMs))),
      String(this.opts.defaults(campaignId).activeMax),
    )) as [number, string | number];
    const outcome: ClaimOutcome =
      code === 1 ? 'claimed' : code === 0 ? 'renewed' : code === CLAIM_SPENT ? 'spent' : code === CLAIM_LAPSED ? 'lapsed' : code === CLAIM_FULL ? 'full' : 'spent';
    return { outcome, expMs: Number(exp) };
  }

  async beginUse(campaignId: string, position: number, use: PassUseRequest): Promise<PassUseOutcome> {
    const k = (part: string) => this.key(campaignId, part);
    const r = Number(
      await this.run(
        'yeyakQBeginUse',
        ...['active', 'spent', 'holder', 'lease'].map(k),
        String(position),
        String(use.personId),
        use.token,
        String(Math.floor(use.leaseUntilMs)),
        String(Math.floor(use.nowMs)),
        String(Math.floor(use.passExpMs)),
      ),
    );
    if (r === USE_SPENT) return 'spent';
    if (r === USE_WRONG_HOLDER) return 'wrong-holder';
    if (r === USE_IN_USE) return 'in-use';
    assert(r === 1, `begin-use script answered ${r}`);
    return 'ok';
  }

  async endUse(campaignId: string, position: number, token: string): Promise<void> {
    await this.run('yeyakQEndUse', this.key(campaignId, 'lease'), String(position), token);
  }

  async spendPosition(campaignId: string, position: number): Promise<void> {
    const k = (part: string) => this.key(campaignId, part);
    await this.run('yeyakQSpend', ...['active', 'spent', 'holder', 'lease'].map(k), String(position));
  }

  async recordSolution(campaignId: string, solutionId: string, untilMs: number, nowMs: number): Promise<boolean> {
    const ttlMs = Math.max(1, Math.ceil(untilMs - nowMs));
    // SET NX: one atomic command, so two nodes given the same solution at once record it once.
    const r = await this.cmd(() => this.redis.set(this.key(campaignId, `pow:${solutionId}`), '1', 'PX', ttlMs, 'NX'));
    return r === 'OK';
  }

  async isSpent(campaignId: string, position: number): Promise<boolean> {
    return (await this.cmd(() => this.redis.getbit(this.key(campaignId, 'spent'), position))) === 1;
  }

  async activeCount(campaignId: string, nowMs: number): Promise<number> {
    const k = (part: string) => this.key(campaignId, part);
    return Number(await this.run('yeyakQActive', ...['active', 'holder', 'lease'].map(k), String(Math.floor(nowMs))));
  }

  async waitingForPassCount(campaignId: string, nowMs: number, claimWindowMs: number): Promise<number> {
    const since = Math.floor(nowMs - claimWindowMs);
    return this.cmd(() => this.redis.zcount(this.key(campaignId, 'wait'), `(${since}`, '+inf'));
  }

  async lead(campaignId: string, nodeId: string, ttlMs: number): Promise<boolean> {
    return Number(await this.run('yeyakQLead', this.key(campaignId, 'lead'), nodeId, String(Math.max(1, Math.ceil(ttlMs))))) === 1;
  }

  /**
   * Raises the counters to at least `floor` (max, so never lowers anything). On a line that is
   * not initialised the floor is not trusted to initialise it — it may have been read before the
   * loss — so the line is restored from a fresh checkpoint read first, then the floor applied.
   */
  async restore(campaignId: string, floor: QueueFloor): Promise<void> {
    for (let i = 0; i < RESTORE_ATTEMPTS_MAX; i++) {
      if ((await this.applyFloor(campaignId, '', floor)) === 1) return;
      await this.ensureInit(campaignId);
    }
    throw new Error('waiting-room store keeps losing its state (Redis restarting in a loop?)');
  }

  async close(): Promise<void> {
    if (this.opts.ownsConnection === false) return;
    if (this.redis.status === 'end') return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
