/**
 * Issue #11: throughput bounded by the provider's rate, shared by the nodes through Redis — two
 * workers, each with its own Redis connection, never send more than the rate in one window
 * between them (counted per window of the fake clock, not timed). In-process the same rule holds.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from '../../src/notifications/rate.ts';
import { deleteKeys, redisTestUrl, uniquePrefix } from '../helpers/redis.ts';
import type { NoticeProvider, OutboundNotice, SendResult } from '../../src/notifications/provider.ts';
import { addNotices, addPerson, FakeClock, openStore, rows, START, worker, type Store } from './fixture.ts';

if (!redisTestUrl && process.env.CI === 'true') throw new Error('test/notifications/rate.test.ts needs REDIS_URL_TEST (CI=true: not skipped)');

const RATE = 5;

/** Counts sends. */
class SendCounter implements NoticeProvider {
  readonly name = 'count';
  sent = 0;
  async send(_m: OutboundNotice): Promise<SendResult> {
    this.sent += 1;
    return { ok: true, channel: 'count' };
  }
}

/**
 * Records the window of every permit granted, read at the moment the limiter reads the clock (the
 * other worker may move the shared clock while this one's send is under way, so a send's own
 * moment could be in the next window).
 */
class RecordingLimiter implements RateLimiter {
  constructor(
    private readonly inner: RateLimiter,
    private readonly clock: FakeClock,
    readonly windows: Map<number, number>,
  ) {}
  async take() {
    const w = Math.floor(this.clock.nowMs() / 1000);
    const permit = await this.inner.take();
    if (permit.granted) this.windows.set(w, (this.windows.get(w) ?? 0) + 1);
    return permit;
  }
}

async function twoWorkersOnOneRate(store: Store, clock: FakeClock, limiters: [RateLimiter, RateLimiter]): Promise<Map<number, number>> {
  const { db } = store;
  await addNotices(db, clock, await addPerson(db), 32);
  const windows = new Map<number, number>();
  // A refused permit "waits" by moving the shared fake clock to the next window.
  const sleep = async (ms: number) => clock.advance(ms);
  const counters = [new SendCounter(), new SendCounter()] as const;
  const a = worker(db, clock, counters[0], { limiter: new RecordingLimiter(limiters[0], clock, windows), sleep, batchMax: 8, workerId: 'a' });
  const b = worker(db, clock, counters[1], { limiter: new RecordingLimiter(limiters[1], clock, windows), sleep, batchMax: 8, workerId: 'b' });
  for (let i = 0; i < 10; i++) {
    const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
    if (ra.claimed + rb.claimed === 0) break;
  }
  expect((await rows(db)).every((r) => r.state === 'sent')).toBe(true);
  // Every send took one permit, and both workers sent.
  expect(counters[0].sent + counters[1].sent).toBe(32);
  expect(Math.min(counters[0].sent, counters[1].sent)).toBeGreaterThan(0);
  return windows;
}

describe('rate in-process', () => {
  it('at most the rate per one-second window of the clock; the next window has room again', async () => {
    const clock = new FakeClock(START);
    const limiter = new MemoryRateLimiter(RATE, clock);
    const granted = [];
    for (let i = 0; i < 8; i++) granted.push((await limiter.take()).granted);
    expect(granted.filter(Boolean)).toHaveLength(RATE);
    const refused = await limiter.take();
    expect(refused).toEqual({ granted: false, retryAfterMs: 1000 - (clock.nowMs() % 1000) });
    clock.advance(1000);
    expect(await limiter.take()).toEqual({ granted: true });
  });
});

describe.skipIf(!redisTestUrl)('rate shared through Redis', () => {
  const prefix = uniquePrefix('notify-rate');
  let r1: Redis;
  let r2: Redis;
  let store: Store;
  beforeAll(async () => {
    r1 = new Redis(redisTestUrl ?? '');
    r2 = new Redis(redisTestUrl ?? '');
    store = await openStore('pglite');
  });
  afterAll(async () => {
    await deleteKeys(r1, prefix);
    r1.disconnect();
    r2.disconnect();
    await store.close();
  });

  it('two limiters on one window grant the rate between them, not each', async () => {
    const clock = new FakeClock('2026-11-26T03:00:00.000Z');
    const a = new RedisRateLimiter(r1, RATE, clock, `${prefix}unit:`);
    const b = new RedisRateLimiter(r2, RATE, clock, `${prefix}unit:`);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).take()));
    expect(answers.filter((p) => p.granted)).toHaveLength(RATE);
    clock.advance(1000);
    expect((await a.take()).granted).toBe(true);
  });

  it('two workers with their own connections send at most the rate per window between them', async () => {
    const clock = new FakeClock(START);
    const windows = await twoWorkersOnOneRate(store, clock, [new RedisRateLimiter(r1, RATE, clock, `${prefix}w:`), new RedisRateLimiter(r2, RATE, clock, `${prefix}w:`)]);
    const counts = [...windows.values()];
    expect(counts.reduce((s, n) => s + n, 0)).toBe(32);
    expect(Math.max(...counts)).toBeLessThanOrEqual(RATE);
    // Shared, the two needed at least 32 / 5 windows; each alone at 5/s would have let 10 through in one.
    expect(windows.size).toBeGreaterThanOrEqual(Math.ceil(32 / RATE));
  });
});
