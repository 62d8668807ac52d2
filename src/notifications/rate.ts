/**
 * The provider's rate (messages per second), shared by every node: a fixed one-second window on
 * the wall clock, counted in Redis when the node has one (one EVAL: INCR the window's key, expire
 * it with its window, refuse past the limit) and in-process otherwise. A fixed window is the
 * simplest count nodes can share in one atomic step; its cost is that a burst across a window
 * boundary may reach twice the rate for an instant — providers state per-second limits with
 * that slack (SOLAPI queues what exceeds them).
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock.ts';

export const RATE_WINDOW_MS = 1_000;

export type Permit = { readonly granted: true } | { readonly granted: false; readonly retryAfterMs: number };

export interface RateLimiter {
  /** One message's permit in the current window, or how long until the next window. */
  take(): Promise<Permit>;
}

function refused(nowMs: number): Permit {
  return { granted: false, retryAfterMs: RATE_WINDOW_MS - (nowMs % RATE_WINDOW_MS) };
}

export class MemoryRateLimiter implements RateLimiter {
  private window = -1;
  private used = 0;

  constructor(
    private readonly ratePerS: number,
    private readonly clock: Clock,
  ) {}

  async take(): Promise<Permit> {
    const nowMs = this.clock.nowMs();
    const window = Math.floor(nowMs / RATE_WINDOW_MS);
    if (window !== this.window) {
      this.window = window;
      this.used = 0;
    }
    if (this.used >= this.ratePerS) return refused(nowMs);
    this.used += 1;
    return { granted: true };
  }
}

/** KEYS[1]: the window's counter. ARGV: limit, ttl ms. 1: granted, 0: the window is full. */
const TAKE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then return 0 end
return 1`;

export const RATE_KEY_PREFIX = 'yeyak:notify:rate:';

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly ratePerS: number,
    private readonly clock: Clock,
    private readonly prefix = RATE_KEY_PREFIX,
  ) {}

  async take(): Promise<Permit> {
    const nowMs = this.clock.nowMs();
    const window = Math.floor(nowMs / RATE_WINDOW_MS);
    // The key outlives its window a little: clocks of nodes differ by some milliseconds.
    const granted = await this.redis.eval(TAKE, 1, `${this.prefix}${window}`, this.ratePerS, RATE_WINDOW_MS * 5);
    return Number(granted) === 1 ? { granted: true } : refused(nowMs);
  }
}
