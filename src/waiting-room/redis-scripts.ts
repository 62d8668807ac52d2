/**
 * The Lua scripts of the Redis waiting-room store (redis-store.ts): each operation that hands out,
 * moves or claims a number is one script, so it is atomic on the server. Kept apart from the
 * store's TypeScript: this file is the protocol (keys, arguments, answer codes), that one the
 * client, the restore protocol and the codec.
 */
export const NOINIT = -1;
export const NOINIT_RESULT = Symbol('noinit');
export const RESTORE_ATTEMPTS_MAX = 5;

export const REFUSED = -2;

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

/** Steps dropped per advance at most (the rest go on the next one): bounded work per script. */
const STEP_PRUNE_MAX = 1_000;

/**
 * KEYS: state, steps; ARGV: to, observedRatePerS, noShowRate, atMs, keepMs. Records the step when
 * the counter moves and drops steps older than keepMs, raising `lapsedUpTo` to each one's upTo.
 * Returns admittedUpTo after, or -1 (not initialised).
 */
const ADVANCE = `
local st = KEYS[1]
if redis.call('HEXISTS', st, 'init') == 0 then return -1 end
local cur = tonumber(redis.call('HGET', st, 'admittedUpTo') or '0')
local to = tonumber(ARGV[1])
local at = tonumber(ARGV[4])
if to > cur then
  redis.call('HINCRBY', st, 'admittedTotal', to - cur)
  redis.call('HSET', st, 'admittedUpTo', ARGV[1])
  redis.call('ZADD', KEYS[2], to, ARGV[1] .. ':' .. ARGV[4])
  cur = to
end
for i = 1, ${STEP_PRUNE_MAX} do
  local first = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not first then break end
  local upTo, stepAt = string.match(first, '^(%d+):(%d+)$')
  if tonumber(stepAt) + tonumber(ARGV[5]) > at then break end
  if tonumber(upTo) > tonumber(redis.call('HGET', st, 'lapsedUpTo') or '0') then redis.call('HSET', st, 'lapsedUpTo', upTo) end
  redis.call('ZREM', KEYS[2], first)
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

/** Expired active entries dropped per script at most (their holder and lease with them). */
const ACTIVE_PRUNE_MAX = 1_000;

/** Lua: drops expired active entries (≤ now) with their holder and lease. */
const PRUNE = (active: string, holder: string, lease: string, now: string) => `
local gone = redis.call('ZRANGEBYSCORE', ${active}, '-inf', ${now}, 'LIMIT', 0, ${ACTIVE_PRUNE_MAX})
if #gone > 0 then
  redis.call('ZREM', ${active}, unpack(gone))
  redis.call('HDEL', ${holder}, unpack(gone))
  redis.call('HDEL', ${lease}, unpack(gone))
end
`;

export const CLAIM_SPENT = -1;
export const CLAIM_LAPSED = -3;
export const CLAIM_FULL = -4;

/**
 * KEYS: state, active, spent, steps, holder, lease, wait; ARGV: position, expMs, nowMs,
 * claimWindowMs, default activeMax. Returns {1, expMs} on the first claim, {0, expMs} while the
 * pass's entry lives (the first claim's expiry), {-1} spent, {-3} lapsed (admitted longer ago than
 * the window, and not waiting for a free pass), {-4} the unexpired active passes are at activeMax:
 * the position is recorded in `wait` (zset position → last told), and while it keeps polling
 * within the window it is not lapsed — it showed up, the cap kept it waiting.
 */
const CLAIM = `
local p = tonumber(ARGV[1])
local now = tonumber(ARGV[3])
if redis.call('GETBIT', KEYS[3], ARGV[1]) == 1 then return {-1, 0} end
${PRUNE('KEYS[2]', 'KEYS[5]', 'KEYS[6]', 'ARGV[3]')}
local exp = redis.call('ZSCORE', KEYS[2], ARGV[1])
if exp then return {0, exp} end
local window = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - window)
if not redis.call('ZSCORE', KEYS[7], ARGV[1]) then
  if p <= tonumber(redis.call('HGET', KEYS[1], 'lapsedUpTo') or '0') then return {-3, 0} end
  local step = redis.call('ZRANGEBYSCORE', KEYS[4], p, '+inf', 'LIMIT', 0, 1)[1]
  if step then
    local at = tonumber(string.match(step, ':(%d+)$'))
    if at + window <= now then return {-3, 0} end
  end
end
local max = tonumber(redis.call('HGET', KEYS[1], 'activeMax') or ARGV[5])
if redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[3], '+inf') >= max then
  redis.call('ZADD', KEYS[7], now, ARGV[1])
  return {-4, 0}
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'claimedTotal', 1)
return {1, ARGV[2]}
`;

export const USE_SPENT = -1;
export const USE_WRONG_HOLDER = -2;
export const USE_IN_USE = -3;

/**
 * KEYS: active, spent, holder, lease; ARGV: position, personId, token, leaseUntilMs, nowMs,
 * passExpMs. 1 when leased to this use (bound to the person on first use), -1 spent, -2 bound to
 * another person, -3 leased to another use that has not ended. A pass whose active entry is gone
 * (lost with Redis memory) is counted active again, until its expiry.
 */
const BEGIN_USE = `
if redis.call('GETBIT', KEYS[2], ARGV[1]) == 1 then return -1 end
local holder = redis.call('HGET', KEYS[3], ARGV[1])
if holder and holder ~= ARGV[2] then return -2 end
local lease = redis.call('HGET', KEYS[4], ARGV[1])
if lease and tonumber(string.match(lease, '|(%d+)$')) > tonumber(ARGV[5]) then return -3 end
redis.call('ZADD', KEYS[1], 'NX', ARGV[6], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[3] .. '|' .. ARGV[4])
return 1
`;

/** KEYS: lease; ARGV: position, token. Ends the lease only if it is still this use's. */
const END_USE = `
local lease = redis.call('HGET', KEYS[1], ARGV[1])
if lease and string.sub(lease, 1, #ARGV[2] + 1) == ARGV[2] .. '|' then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
`;

/** KEYS: active, spent, holder, lease; ARGV: position. */
const SPEND = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SETBIT', KEYS[2], ARGV[1], 1)
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
`;

/** KEYS: active, holder, lease; ARGV: nowMs. Unexpired active passes (> now). */
const ACTIVE = `
${PRUNE('KEYS[1]', 'KEYS[2]', 'KEYS[3]', 'ARGV[1]')}
return redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
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
 * KEYS: state, steps. ARGV: nonce ('' = only raise an initialised line), lastSeq, preCount,
 * admittedUpTo, seed ('' = none), frozenPreCount ('' = unknown), nowMs, then settings as
 * field/value pairs. On initialisation, one admission step (admittedUpTo, nowMs): admission
 * instants are not checkpointed, so every place admitted so far gets its claim window from the
 * restore. Raises counters to the
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
  for i = 8, #ARGV, 2 do redis.call('HSETNX', st, ARGV[i], ARGV[i + 1]) end
  local upTo = redis.call('HGET', st, 'admittedUpTo') or '0'
  if tonumber(upTo) > 0 then redis.call('ZADD', KEYS[2], upTo, upTo .. ':' .. ARGV[7]) end
  redis.call('HSET', st, 'init', '1')
  redis.call('HDEL', st, 'pending')
end
return 1
`;

export const SCRIPTS = {
  yeyakQJoin: { keys: 1, lua: JOIN },
  yeyakQRaiseCeiling: { keys: 1, lua: RAISE_CEILING },
  yeyakQAdvance: { keys: 2, lua: ADVANCE },
  yeyakQFreeze: { keys: 1, lua: FREEZE },
  yeyakQClaim: { keys: 7, lua: CLAIM },
  yeyakQBeginUse: { keys: 4, lua: BEGIN_USE },
  yeyakQEndUse: { keys: 1, lua: END_USE },
  yeyakQSpend: { keys: 4, lua: SPEND },
  yeyakQActive: { keys: 3, lua: ACTIVE },
  yeyakQLead: { keys: 1, lua: LEAD },
  yeyakQBeginRestore: { keys: 1, lua: BEGIN_RESTORE },
  yeyakQRestore: { keys: 2, lua: RESTORE },
} as const;

export type ScriptName = keyof typeof SCRIPTS;
export type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;
