import type { Redis } from 'ioredis';
import { attemptsUnavailable, type ChallengeAttempts } from './challenge-attempts.ts';

/**
 * Challenge attempts in Redis, shared by every node (challenge-attempts.ts says what each
 * operation means). One hash per challenge, `<prefix>{nonce}` — fields `attempts` and `spent` —
 * expiring with the challenge; one key, so a script touches one hash slot (Redis Cluster). Each
 * operation is one Lua script: atomic on the server, one round trip.
 */
export const CHALLENGE_KEY_PREFIX = 'yeyak:idv:';

/** ARGV: attempts max, ttl ms. -1 spent, 0 locked (the refused attempt is not kept), else the count. */
const COUNT = `
local k = KEYS[1]
if redis.call('HEXISTS', k, 'spent') == 1 then return -1 end
local n = redis.call('HINCRBY', k, 'attempts', 1)
if redis.call('PTTL', k) < 0 then redis.call('PEXPIRE', k, ARGV[2]) end
if n > tonumber(ARGV[1]) then
  redis.call('HINCRBY', k, 'attempts', -1)
  return 0
end
return n`;

/** Returns an attempt of a challenge not spent (never below 0, never on a key that expired). */
const GIVE_BACK = `
local k = KEYS[1]
if redis.call('HEXISTS', k, 'spent') == 1 then return 0 end
local n = tonumber(redis.call('HGET', k, 'attempts') or '0')
if n > 0 then redis.call('HINCRBY', k, 'attempts', -1) end
return n`;

/** ARGV: ttl ms. 1: this caller claimed the challenge; 0: someone already had. */
const CLAIM = `
local k = KEYS[1]
local won = redis.call('HSETNX', k, 'spent', '1')
if redis.call('PTTL', k) < 0 then redis.call('PEXPIRE', k, ARGV[1]) end
return won`;

type ScriptedRedis = Redis & {
  yeyakChallengeCount(key: string, attemptsMax: number, ttlMs: number): Promise<number>;
  yeyakChallengeGiveBack(key: string): Promise<number>;
  yeyakChallengeClaim(key: string, ttlMs: number): Promise<number>;
};

export class RedisChallengeAttempts implements ChallengeAttempts {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly prefix = CHALLENGE_KEY_PREFIX,
  ) {
    const r = redis as ScriptedRedis;
    if (typeof r.yeyakChallengeCount !== 'function') {
      r.defineCommand('yeyakChallengeCount', { numberOfKeys: 1, lua: COUNT });
      r.defineCommand('yeyakChallengeGiveBack', { numberOfKeys: 1, lua: GIVE_BACK });
      r.defineCommand('yeyakChallengeClaim', { numberOfKeys: 1, lua: CLAIM });
    }
    this.redis = r;
  }

  async count(nonce: string, attemptsMax: number, ttlMs: number): Promise<'counted' | 'locked' | 'spent'> {
    const n = await this.call(() => this.redis.yeyakChallengeCount(this.key(nonce), attemptsMax, Math.ceil(ttlMs)));
    return n < 0 ? 'spent' : n === 0 ? 'locked' : 'counted';
  }

  async giveBack(nonce: string): Promise<void> {
    await this.call(() => this.redis.yeyakChallengeGiveBack(this.key(nonce)));
  }

  async claim(nonce: string, ttlMs: number): Promise<boolean> {
    return (await this.call(() => this.redis.yeyakChallengeClaim(this.key(nonce), Math.ceil(ttlMs)))) === 1;
  }

  async release(nonce: string): Promise<void> {
    await this.call(() => this.redis.hdel(this.key(nonce), 'spent'));
  }

  /** The hash tag braces keep a challenge's key in one slot whatever the prefix. */
  private key(nonce: string): string {
    return `${this.prefix}{${nonce}}`;
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch {
      throw attemptsUnavailable();
    }
  }
}
