import type { Clock } from '../core/clock.ts';
import { YeyakError } from '../core/errors.ts';

/**
 * What a challenge token cannot carry (challenge-token.ts): how many codes were tried against it,
 * and whether it was spent. Kept per nonce in a store every node shares — Redis when the waiting
 * room runs on Redis (challenge-attempts-redis.ts), else this node's memory — and only until the
 * challenge expires (plus a margin for clocks). Nothing else of a challenge is stored anywhere.
 *
 * Every operation is one atomic step of the store (no read then write in code):
 *   count    — a spent challenge answers 'spent'; else one more attempt, refused ('locked') past
 *              the limit (the refused attempt is not kept);
 *   giveBack — an attempt the provider did not judge (pending, unavailable) is returned;
 *   claim    — the one verification that may settle: the first claim wins, every other loses;
 *   release  — a claim whose settling wrote nothing (refused, failed) is undone.
 * The store never answers "not counted": when it cannot count (Redis down), the caller is told
 * YEYAK_E_BUSY (429, Retry-After) and nothing is verified.
 */
export interface ChallengeAttempts {
  count(nonce: string, attemptsMax: number, ttlMs: number): Promise<'counted' | 'locked' | 'spent'>;
  giveBack(nonce: string): Promise<void>;
  claim(nonce: string, ttlMs: number): Promise<boolean>;
  release(nonce: string): Promise<void>;
}

/**
 * The store could not answer: the verification is refused for now, never let through uncounted.
 * (Redis trouble is logged where the connection is: the waiting room's 'redis connection error'.)
 */
export function attemptsUnavailable(): YeyakError {
  return new YeyakError('YEYAK_E_BUSY', undefined, { retryAfterS: ATTEMPTS_RETRY_AFTER_S });
}

/** Retry-After while the store cannot count, s (the error handler answers 2 for YEYAK_E_BUSY). */
const ATTEMPTS_RETRY_AFTER_S = 2;

/**
 * Challenges with attempts held in this node's memory at once. One entry per challenge that had
 * a code tried in the last challenge lifetime (5 min): 1M is far above one node's rate; when it is
 * full of live entries a new challenge's first attempt is refused (BUSY) — never is a live entry
 * dropped, which would give a guesser its attempts back.
 */
export const MEMORY_CHALLENGES_MAX = 1_000_000;

interface Entry {
  attempts: number;
  spent: boolean;
  untilMs: number;
}

/** In-process: one node (no REDIS_URL). Entries go once expired, oldest first. */
export class MemoryChallengeAttempts implements ChallengeAttempts {
  /** Insertion order ≈ expiry order (every challenge lives about as long): pruned from the front. */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly entriesMax = MEMORY_CHALLENGES_MAX,
  ) {}

  async count(nonce: string, attemptsMax: number, ttlMs: number): Promise<'counted' | 'locked' | 'spent'> {
    const e = this.live(nonce) ?? this.add(nonce, ttlMs);
    if (e.spent) return 'spent';
    if (e.attempts >= attemptsMax) return 'locked';
    e.attempts++;
    return 'counted';
  }

  async giveBack(nonce: string): Promise<void> {
    const e = this.live(nonce);
    if (e && !e.spent && e.attempts > 0) e.attempts--;
  }

  async claim(nonce: string, ttlMs: number): Promise<boolean> {
    const e = this.live(nonce) ?? this.add(nonce, ttlMs);
    if (e.spent) return false;
    e.spent = true;
    return true;
  }

  async release(nonce: string): Promise<void> {
    const e = this.live(nonce);
    if (e) e.spent = false;
  }

  /** Entries held (tests, metrics). */
  get size(): number {
    return this.entries.size;
  }

  private live(nonce: string): Entry | undefined {
    const e = this.entries.get(nonce);
    if (e && e.untilMs <= this.clock.nowMs()) {
      this.entries.delete(nonce);
      return undefined;
    }
    return e;
  }

  private add(nonce: string, ttlMs: number): Entry {
    const now = this.clock.nowMs();
    for (const [key, old] of this.entries) {
      if (old.untilMs > now) break;
      this.entries.delete(key);
    }
    if (this.entries.size >= this.entriesMax) throw attemptsUnavailable();
    const e: Entry = { attempts: 0, spent: false, untilMs: now + ttlMs };
    this.entries.set(nonce, e);
    return e;
  }
}
