/**
 * The store of @fastify/rate-limit when the node runs with Redis: limits count in Redis (shared by
 * every node), and while Redis fails they count in this node's memory instead — never not at all.
 * (`skipOnError: true` would let every request through during an outage: the join limit and the
 * identity-start limits would fall away exactly when someone is attacking.) Each fallback is
 * counted (yeyak_rate_limit_fallback_total) and yeyak_rate_limit_degraded is 1 until Redis answers.
 *
 * The plugin's store API (node_modules/@fastify/rate-limit/store/*.js): `new Store(globalParams)`,
 * `incr(key, cb(err, { current, ttl }), timeWindowMs, max)`, `child(routeParams)` per route.
 */
import type { Redis } from 'ioredis';
import client from 'prom-client';
import { systemClock } from '../core/clock.ts';

/** Keys counted locally during an outage, per node; the least recently used go first. */
export const LOCAL_KEYS_MAX = 50_000;

/** A fixed window per key, as the plugin's own Redis script counts (INCR, PEXPIRE on the first). */
const WINDOW_LUA = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;

interface Counted {
  current: number;
  ttl: number;
}
type IncrCallback = (err: Error | null, result: Counted | null) => void;
interface RouteParams {
  routeInfo?: { method?: string; url?: string };
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
}
type WindowRedis = Redis & { yeyakRateWindow(key: string, windowMs: number): Promise<[number, number]> };

/** Fixed windows in memory with a bounded number of keys (a Map kept in recency order). */
export class LocalWindows {
  private readonly windows = new Map<string, { count: number; startMs: number }>();

  constructor(
    private readonly keysMax = LOCAL_KEYS_MAX,
    private readonly nowMs: () => number = () => systemClock.nowMs(),
  ) {}

  incr(key: string, windowMs: number): Counted {
    const now = this.nowMs();
    let w = this.windows.get(key);
    if (!w || w.startMs + windowMs <= now) w = { count: 0, startMs: now };
    w.count++;
    this.windows.delete(key);
    this.windows.set(key, w);
    if (this.windows.size > this.keysMax) {
      const oldest = this.windows.keys().next();
      if (!oldest.done) this.windows.delete(oldest.value);
    }
    return { current: w.count, ttl: w.startMs + windowMs - now };
  }

  get size(): number {
    return this.windows.size;
  }
}

/** Whether the limits run on the fallback, and the metrics that say so. */
export class RateLimitFallback {
  private degraded = false;
  private readonly counters: client.Counter[] = [];

  constructor(private readonly log?: (msg: string, fields: Record<string, unknown>) => void) {}

  /** Registers yeyak_rate_limit_fallback_total and yeyak_rate_limit_degraded (the app's registry). */
  register(registry: client.Registry): void {
    this.counters.push(new client.Counter({
      name: 'yeyak_rate_limit_fallback_total',
      help: 'Rate-limit counts made in this node\'s memory because Redis failed (the limits still hold, per node)',
      registers: [registry],
    }));
    const isDegraded = () => this.degraded;
    new client.Gauge({
      name: 'yeyak_rate_limit_degraded',
      help: '1 while rate limits count per node because Redis fails, else 0',
      registers: [registry],
      collect() {
        this.set(isDegraded() ? 1 : 0);
      },
    });
  }

  get isDegraded(): boolean {
    return this.degraded;
  }

  failed(e: unknown): void {
    for (const c of this.counters) c.inc();
    if (this.degraded) return;
    this.degraded = true;
    this.log?.('rate limits count per node: Redis failed', { err: e instanceof Error ? e.message : String(e) });
  }

  recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.log?.('rate limits count in Redis again', {});
  }
}

export interface FallbackStoreOptions {
  nameSpace: string;
  fallback: RateLimitFallback;
  local?: LocalWindows;
}

/** The store class to give @fastify/rate-limit as `store`. */
export function fallbackRateLimitStore(redis: Redis, opts: FallbackStoreOptions) {
  const r = redis as WindowRedis;
  if (typeof r.yeyakRateWindow !== 'function') r.defineCommand('yeyakRateWindow', { numberOfKeys: 1, lua: WINDOW_LUA });
  const local = opts.local ?? new LocalWindows();
  const { fallback } = opts;

  return class FallbackRateLimitStore {
    private readonly prefix: string;

    constructor(_globalParams?: unknown, prefix: string = opts.nameSpace) {
      this.prefix = prefix;
    }

    incr(key: string, cb: IncrCallback, timeWindow: number, _max: number): void {
      const k = this.prefix + key;
      r.yeyakRateWindow(k, timeWindow).then(
        ([current, ttl]) => {
          fallback.recovered();
          cb(null, { current: Number(current), ttl: Number(ttl) });
        },
        (e: unknown) => {
          fallback.failed(e);
          cb(null, local.incr(k, timeWindow));
        },
      );
    }

    child(params: RouteParams): FallbackRateLimitStore {
      // The plugin's stores honour these; this one does not count that way, so it says so.
      if (params.continueExceeding || params.exponentialBackoff) throw new Error('rate-limit store: continueExceeding and exponentialBackoff are not supported');
      const route = params.routeInfo ?? {};
      return new FallbackRateLimitStore(undefined, `${opts.nameSpace}${route.method ?? ''}${route.url ?? ''}-`);
    }
  };
}
