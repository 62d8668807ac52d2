import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { YeyakError } from '../core/errors.ts';
import { defaultState, type ClaimOutcome, type JoinOutcome, type QueueSettings, type QueueState, type QueueStore } from './store.ts';

/**
 * The waiting room in Redis: every node shares one line per campaign.
 *
 * Layout (one hash slot per campaign: the `{campaignId}` hash tag):
 *   <prefix>{<campaignId>}:state   hash: counters, ceilings, settings, estimates, the `init` marker
 *   <prefix>{<campaignId>}:active  zset: position → pass expiry (ms)
 *   <prefix>{<campaignId>}:spent   string used as a bitset: bit n = position n completed a booking
 *   <prefix>{<campaignId>}:lead    string: the admission leader's node id, PX lease
 * with <prefix> = `yeyak:q:` by default.
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
 * undercounts until passes issued before the loss expire), the spent-position bitset (a pass whose
 * booking completed is accepted by the gate again until it expires, and a spent position can be
 * given a new pass; the one-reservation-per-person rule in PostgreSQL still refuses a second
 * booking of the same person), the leader lease and the estimates.
 */
export interface QueueFloor {
  lastSeq: number;
  preCount: number;
  admittedUpTo: number;
  shuffleSeed: number | null;
  frozenPreCount: number | null;
}

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
}

const NOINIT = -1;
const NOINIT_RESULT = Symbol('noinit');
const RESTORE_ATTEMPTS_MAX = 5;

const REFUSED = -2;

/**
 * ARGV: '1' for a pre-queue join. Returns {seq, pre}; {-2, pre, counter, ceiling} when the next
 * number would pass the ceiling (nothing issued); {-1, 0} while the line is not initialised.
 */
const JOIN = `
local st = KEYS[1]
if redis.call('HEXISTS', st, 'init') == 0 then return {-1, 0} end
local field, ceil, pre = 'lastSeq', 'seqCeil', 0
if ARGV[1] == '1' and redis.call('HEXISTS', st, 'seed') == 0 then field, ceil, pre = 'preCount', 'preCeil', 1 end
local cur = tonumber(redis.call('HGET', st, field) or '0')
local top = tonumber(redis.call('HGET', st, ceil) or '0')
if cur + 1 > top then return {-2, pre, cur, top} end
return {redis.call('HINCRBY', st, field, 1), pre}
`;

/** ARGV: seq ceiling, pre ceiling ('' = leave). Raises, never lowers. -1 when not initialised. */
const RAISE_CEILING = `
local st = KEYS[1]
if redis.call('HEXISTS', st, 'init') == 0 then return -1 end
local function raise(field, v)
  if v == '' then return end
  if tonumber(v) > tonumber(redis.call('HGET', st, field) or '0') then redis.call('HSET', st, field, v) end
end
raise('seqCeil', ARGV[1])
raise('preCeil', ARGV[2])
return 1
`;

/** ARGV: to, observedRatePerS, noShowRate. Returns admittedUpTo after, or -1 (not initialised). */
const ADVANCE = `
local st = KEYS[1]
if redis.call('HEXISTS', st, 'init') == 0 then return -1 end
local cur = tonumber(redis.call('HGET', st, 'admittedUpTo') or '0')
local to = tonumber(ARGV[1])
if to > cur then
  redis.call('HINCRBY', st, 'admittedTotal', to - cur)
  redis.call('HSET', st, 'admittedUpTo', ARGV[1])
  cur = to
end
redis.call('HSET', st, 'observedRatePerS', ARGV[2], 'noShowRate', ARGV[3])
return cur
`;

/** ARGV: seed. Returns {seed, frozenPreCount, frozenNow} or {-1} (not initialised). */
const FREEZE = `
local st = KEYS[1]
if redis.call('HEXISTS', st, 'init') == 0 then return {-1} end
local seed = redis.call('HGET', st, 'seed')
if seed then return {seed, redis.call('HGET', st, 'frozen') or '0', 0} end
local pre = redis.call('HGET', st, 'preCount') or '0'
redis.call('HSET', st, 'seed', ARGV[1], 'frozen', pre)
return {ARGV[1], pre, 1}
`;

/**
 * KEYS: state, active, spent; ARGV: position, expMs. 1 on the first claim of that position, 0 on
 * a later one, -1 when the position is spent (nothing marked).
 * GT, not NX: a later poll re-issues the pass with a later expiry, and the active slot follows it
 * (as in the in-process store); a new member is still "added", which is what counts as first.
 */
const CLAIM = `
if redis.call('GETBIT', KEYS[3], ARGV[1]) == 1 then return -1 end
local added = redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[1])
if added == 1 then redis.call('HINCRBY', KEYS[1], 'claimedTotal', 1) end
return added
`;

/** KEYS: active, spent; ARGV: position. */
const SPEND = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SETBIT', KEYS[2], ARGV[1], 1)
return 1
`;

/** KEYS: active; ARGV: nowMs. */
const ACTIVE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])
`;

/** KEYS: lead; ARGV: nodeId, ttlMs. Take a free lease, or renew our own. */
const LEAD = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** ARGV: a fresh nonce. Nil when the line is initialised, else the incarnation's restore nonce. */
const BEGIN_RESTORE = `
local st = KEYS[1]
if redis.call('HEXISTS', st, 'init') == 1 then return false end
redis.call('HSETNX', st, 'pending', ARGV[1])
return redis.call('HGET', st, 'pending')
`;

/**
 * ARGV: nonce ('' = only raise an initialised line), lastSeq, preCount, admittedUpTo, seed ('' =
 * none), frozenPreCount ('' = unknown), then settings as field/value pairs. Raises counters to the
 * floor (max), a ceiling below its counter to the counter (which lets no number through), sets the
 * shuffle only if absent, and sets `init` — only while the nonce read before the checkpoint is
 * still there; settings are written on initialisation only, each unless already present (a newer
 * operator change). Returns 1, or -1 when the floor may predate the current incarnation (read the
 * checkpoint again).
 */
const RESTORE = `
local st = KEYS[1]
local init = redis.call('HEXISTS', st, 'init') == 1
if not init and (ARGV[1] == '' or redis.call('HGET', st, 'pending') ~= ARGV[1]) then return -1 end
local function raise(field, v)
  local cur = tonumber(redis.call('HGET', st, field) or '0')
  if tonumber(v) > cur then redis.call('HSET', st, field, v) end
end
raise('lastSeq', ARGV[2])
raise('preCount', ARGV[3])
raise('admittedUpTo', ARGV[4])
raise('seqCeil', redis.call('HGET', st, 'lastSeq') or '0')
raise('preCeil', redis.call('HGET', st, 'preCount') or '0')
if ARGV[5] ~= '' and redis.call('HEXISTS', st, 'seed') == 0 then
  local frozen = ARGV[6]
  -- Seed known but not its count: freeze at the restored pre-queue count, which is at least
  -- every pre-queue number ever issued (the checkpoint is written ahead).
  if frozen == '' then frozen = redis.call('HGET', st, 'preCount') or '0' end
  redis.call('HSET', st, 'seed', ARGV[5], 'frozen', frozen)
end
if not init then
  for i = 7, #ARGV, 2 do redis.call('HSETNX', st, ARGV[i], ARGV[i + 1]) end
  redis.call('HSET', st, 'init', '1')
  redis.call('HDEL', st, 'pending')
end
return 1
`;

const SCRIPTS = {
  yeyakQJoin: { keys: 1, lua: JOIN },
  yeyakQRaiseCeiling: { keys: 1, lua: RAISE_CEILING },
  yeyakQAdvance: { keys: 1, lua: ADVANCE },
  yeyakQFreeze: { keys: 1, lua: FREEZE },
  yeyakQClaim: { keys: 3, lua: CLAIM },
  yeyakQSpend: { keys: 2, lua: SPEND },
  yeyakQActive: { keys: 1, lua: ACTIVE },
  yeyakQLead: { keys: 1, lua: LEAD },
  yeyakQBeginRestore: { keys: 1, lua: BEGIN_RESTORE },
  yeyakQRestore: { keys: 1, lua: RESTORE },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

const SETTINGS_FIELDS = ['ratePerS', 'activeMax', 'paused', 'notice', 'powBits'] as const;

/** Settings as hash fields: notice as JSON, paused as '1'/'0'. */
function settingsFields(patch: Partial<QueueSettings>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const f of SETTINGS_FIELDS) {
    const v = patch[f];
    if (v === undefined) continue;
    if (f === 'notice') fields.notice = JSON.stringify(v);
    else if (f === 'paused') fields.paused = v ? '1' : '0';
    else fields[f] = String(v);
  }
  return fields;
}

/**
 * Redis being unreachable (connection closed, retries exhausted, timeouts) is an operating
 * condition — "busy, retry shortly" — not a bug. A Redis error reply (a script bug) and a
 * programming error stay what they are.
 */
function unavailable(e: unknown): unknown {
  const programming = e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError;
  if (e instanceof Error && e.name !== 'ReplyError' && !programming) {
    // No details to the client (they would name hosts); the cause stays on the error for logs.
    const busy = new YeyakError('YEYAK_E_BUSY');
    busy.cause = e;
    return busy;
  }
  return e;
}

function num(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
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
      nonce,
      String(Math.max(0, Math.floor(floor.lastSeq))),
      String(Math.max(0, Math.floor(floor.preCount))),
      String(Math.max(0, Math.floor(floor.admittedUpTo))),
      floor.shuffleSeed === null ? '' : String(floor.shuffleSeed),
      floor.frozenPreCount === null ? '' : String(floor.frozenPreCount),
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
    const base = defaultState(this.opts.defaults(campaignId));
    let notice = base.notice;
    if (h.notice !== undefined) {
      try {
        notice = JSON.parse(h.notice) as QueueState['notice'];
      } catch {
        notice = null;
      }
    }
    const seed = h.seed === undefined ? null : Number(h.seed);
    return {
      ratePerS: num(h.ratePerS, base.ratePerS),
      activeMax: num(h.activeMax, base.activeMax),
      paused: h.paused === undefined ? base.paused : h.paused === '1',
      notice,
      powBits: num(h.powBits, base.powBits),
      lastSeq: num(h.lastSeq, 0),
      preCount: num(h.preCount, 0),
      seqCeiling: num(h.seqCeil, 0),
      preCeiling: num(h.preCeil, 0),
      admittedUpTo: num(h.admittedUpTo, 0),
      shuffleSeed: seed,
      frozenPreCount: seed === null ? null : num(h.frozen, 0),
      observedRatePerS: num(h.observedRatePerS, 0),
      noShowRate: num(h.noShowRate, 0),
      admittedTotal: num(h.admittedTotal, 0),
      claimedTotal: num(h.claimedTotal, 0),
    };
  }

  async configure(campaignId: string, patch: Partial<QueueSettings>): Promise<void> {
    const fields = settingsFields(patch);
    if (Object.keys(fields).length === 0) return;
    await this.cmd(() => this.redis.hset(this.key(campaignId, 'state'), fields));
  }

  async advance(campaignId: string, to: number, observedRatePerS: number, noShowRate: number): Promise<void> {
    const st = this.key(campaignId, 'state');
    await this.initialised(campaignId, async () => {
      const r = Number(await this.run('yeyakQAdvance', st, String(Math.floor(to)), String(observedRatePerS), String(noShowRate)));
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

  async claimPass(campaignId: string, position: number, expMs: number): Promise<ClaimOutcome> {
    const r = Number(
      await this.run(
        'yeyakQClaim',
        this.key(campaignId, 'state'),
        this.key(campaignId, 'active'),
        this.key(campaignId, 'spent'),
        String(position),
        String(expMs),
      ),
    );
    return r === 1 ? 'claimed' : r === 0 ? 'renewed' : 'spent';
  }

  async spendPosition(campaignId: string, position: number): Promise<void> {
    await this.run('yeyakQSpend', this.key(campaignId, 'active'), this.key(campaignId, 'spent'), String(position));
  }

  async isSpent(campaignId: string, position: number): Promise<boolean> {
    return (await this.cmd(() => this.redis.getbit(this.key(campaignId, 'spent'), position))) === 1;
  }

  async activeCount(campaignId: string, nowMs: number): Promise<number> {
    return Number(await this.run('yeyakQActive', this.key(campaignId, 'active'), String(nowMs)));
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
