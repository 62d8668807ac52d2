import { Redis, type RedisOptions } from 'ioredis';
import type client from 'prom-client';
import type { Clock } from '../core/clock.ts';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import { memoryStore, queueDefaults, settingsOf } from './index.ts';
import type { CampaignLookup } from '../rules/campaign.ts';
import type { LoadCampaign } from './ports.ts';
import { RedisQueueStore } from './redis-store.ts';
import { readCheckpoint } from './sql.ts';
import type { QueueFloor, QueueStore } from './store.ts';
import { fallbackRateLimitStore, RateLimitFallback } from './rate-limit-store.ts';

/** The waiting-room store a node runs with, and what must be closed with it. */
export interface QueueStoreHandle {
  store: QueueStore;
  /** Options for @fastify/rate-limit (shared per-address limits); absent = in-process limits. */
  rateLimitStore?: Record<string, unknown>;
  /** Registers the rate-limit fallback metrics in the app's registry (with rateLimitStore). */
  rateLimitMetrics?: (registry: client.Registry) => void;
  /** The line's Redis connection, for the few counters other capabilities share across nodes (identity's challenge attempts); closed with the store. */
  redis?: Redis;
  close(): Promise<void>;
}

export interface QueueStoreDeps {
  db: Db;
  campaigns: CampaignLookup;
  /** A campaign's row read afresh (ports.ts): a restored line takes the operator's last settings. */
  loadCampaign: LoadCampaign;
  clock: Clock;
  /** Told when a line is restored from its checkpoint (Redis lost its memory). */
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

/** Keys of the shared per-address limits (the join limit), next to the `yeyak:q:` lines. */
export const RATE_LIMIT_NAMESPACE = 'yeyak:rl:';

export { queueDefaults };

/**
 * A RedisQueueStore whose lost lines are restored from the PostgreSQL checkpoint, with the
 * operator's settings read afresh from the campaign row (this node's registry may predate a change
 * made on another node).
 */
export function createRedisQueueStore(
  redis: Redis,
  deps: QueueStoreDeps & { prefix?: string; restoreFrom?: (campaignId: string) => Promise<QueueFloor | null> },
): RedisQueueStore {
  return new RedisQueueStore(redis, {
    ...(deps.prefix !== undefined ? { prefix: deps.prefix } : {}),
    defaults: queueDefaults(deps.campaigns),
    nowMs: () => deps.clock.nowMs(),
    restoreFrom: deps.restoreFrom ?? ((id) => readCheckpoint(deps.db, id)),
    settingsFrom: async (id) => {
      const c = await deps.loadCampaign(id);
      return c ? settingsOf(c) : null;
    },
    onRestore: (campaignId, floor) =>
      deps.log?.(floor ? 'waiting room restored from checkpoint' : 'waiting room initialised (no checkpoint)', { campaignId, ...floor }),
  });
}

/**
 * In-process when REDIS_URL is unset; else Redis, so that every node serves one line per campaign
 * and the per-address join limit counts across nodes.
 */
export async function createQueueStore(config: Config, deps: QueueStoreDeps): Promise<QueueStoreHandle> {
  if (config.redisUrl === null) {
    const store = memoryStore(deps.campaigns, deps.clock);
    return { store, close: () => store.close() };
  }
  // Fail fast while Redis is away: a join answers "busy, retry" rather than hanging.
  const options: RedisOptions = { maxRetriesPerRequest: 2, connectTimeout: 2_000, connectionName: 'yeyak-queue' };
  const redis = new Redis(config.redisUrl, options);
  // The rate limiter's own connection, set as the plugin recommends (short timeout, one retry);
  // no offline queue and a command timeout, so a limit falls back to local counting at once
  // while Redis is away or hangs, instead of holding the request.
  const limiter = redis.duplicate({
    maxRetriesPerRequest: 1, connectTimeout: 500, commandTimeout: LIMITER_COMMAND_TIMEOUT_MS, enableOfflineQueue: false, connectionName: 'yeyak-rate-limit',
  });
  // Without a listener ioredis prints every failed reconnect; one log line per attempt instead
  // (attempts back off to one every 2 s).
  for (const r of [redis, limiter]) r.on('error', (e: Error) => deps.log?.('redis connection error', { connection: r.options.connectionName, err: e.message }));
  const quit = async (r: Redis) => {
    if (r.status === 'end') return;
    await r.quit().catch(() => r.disconnect());
  };
  try {
    await redis.ping(); // a wrong REDIS_URL stops the start, not the first join
  } catch (e) {
    redis.disconnect();
    limiter.disconnect();
    throw new Error(`REDIS_URL: cannot reach Redis (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  await readyWithin(limiter, LIMITER_READY_WAIT_MS); // until then limits count locally
  const store = createRedisQueueStore(redis, deps);
  return {
    store,
    redis,
    ...rateLimitOptions(limiter, deps.log),
    close: async () => {
      await store.close();
      await quit(limiter);
    },
  };
}

const LIMITER_COMMAND_TIMEOUT_MS = 500;
const LIMITER_READY_WAIT_MS = 2_000;

/**
 * @fastify/rate-limit's options for a node with Redis: count in Redis, and during an outage in
 * this node's memory (never skip the limit: `skipOnError` would let everything through), with
 * metrics that say so (rate-limit-store.ts).
 */
export function rateLimitOptions(
  limiter: Redis,
  log?: (msg: string, fields: Record<string, unknown>) => void,
  nameSpace = RATE_LIMIT_NAMESPACE,
): Pick<QueueStoreHandle, 'rateLimitStore' | 'rateLimitMetrics'> {
  const fallback = new RateLimitFallback(log);
  return {
    rateLimitStore: { store: fallbackRateLimitStore(limiter, { nameSpace, fallback }) },
    rateLimitMetrics: (registry) => fallback.register(registry),
  };
}

/** Resolves when the connection is ready, or after `ms` (it keeps connecting). */
async function readyWithin(r: Redis, ms: number): Promise<void> {
  if (r.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      r.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    r.once('ready', done);
  });
}
