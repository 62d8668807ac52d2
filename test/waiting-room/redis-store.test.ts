/**
 * RedisQueueStore against the reference semantics (MemoryQueueStore): the same operations on
 * both give the same answers. Plus what only Redis has: the key layout, the init marker, and an
 * unreachable Redis answering "busy" instead of a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { isYeyakError } from '../../src/core/errors.ts';
import { RedisQueueStore, type QueueFloor } from '../../src/waiting-room/redis-store.ts';
import { MemoryQueueStore, type QueueSettings, type QueueStore } from '../../src/waiting-room/store.ts';
import { deleteKeys, redisTestUrl, uniquePrefix } from '../helpers/redis.ts';

const settings: QueueSettings = { ratePerS: 50, activeMax: 7, paused: false, notice: null, powBits: 0 };

describe.skipIf(!redisTestUrl)('RedisQueueStore: same answers as the in-process store', () => {
  const prefix = uniquePrefix('store');
  let nowMs = Date.parse('2021-08-09T11:00:00Z');
  let redis: Redis;
  let admin: Redis;
  let floors: Record<string, QueueFloor | null>;
  let stores: { name: string; store: QueueStore }[];

  beforeAll(() => {
    redis = new Redis(redisTestUrl as string);
    admin = new Redis(redisTestUrl as string);
    floors = {};
    stores = [
      { name: 'memory', store: new MemoryQueueStore(() => settings, () => nowMs) },
      {
        name: 'redis',
        store: new RedisQueueStore(redis, { prefix, defaults: () => settings, restoreFrom: async (id) => floors[id] ?? null, nowMs: () => nowMs }),
      },
    ];
  });

  afterAll(async () => {
    await deleteKeys(admin, prefix);
    await admin.quit();
    for (const { store } of stores) await store.close();
  });

  /** Runs `op` on both stores and expects the same answer; returns it. */
  const both = async <T>(op: (s: QueueStore) => Promise<T>): Promise<T> => {
    const [m, r] = await Promise.all(stores.map(({ store }) => op(store)));
    expect(r).toEqual(m);
    return m as T;
  };

  it('join, freeze, advance, configure and read agree', async () => {
    const c = 'same-ops';
    expect(await both((s) => s.read(c))).toMatchObject({ ...settings, lastSeq: 0, preCount: 0, admittedUpTo: 0, shuffleSeed: null, frozenPreCount: null });
    for (let i = 1; i <= 3; i++) expect(await both((s) => s.join(c, true))).toEqual({ seq: i, pre: true });
    expect(await both((s) => s.join(c, false))).toEqual({ seq: 1, pre: false });
    expect(await both((s) => s.freezePreQueue(c, 1234))).toEqual({ seed: 1234, preCount: 3, frozenNow: true });
    expect(await both((s) => s.freezePreQueue(c, 999))).toEqual({ seed: 1234, preCount: 3, frozenNow: false });
    // Frozen: pre-queue joins go to the main line.
    expect(await both((s) => s.join(c, true))).toEqual({ seq: 2, pre: false });
    await both((s) => s.advance(c, 4, 2.5, 0.25));
    await both((s) => s.advance(c, 2, 3, 0.5)); // never back
    await both((s) => s.configure(c, { paused: true, ratePerS: 9, notice: { ko: '잠시 멈춤', en: 'Paused' } }));
    const state = await both((s) => s.read(c));
    expect(state).toMatchObject({ lastSeq: 2, preCount: 3, frozenPreCount: 3, shuffleSeed: 1234, admittedUpTo: 4, admittedTotal: 4, observedRatePerS: 3, noShowRate: 0.5, paused: true, ratePerS: 9, activeMax: 7 });
    await both((s) => s.configure(c, { notice: null, paused: false }));
    expect(await both((s) => s.read(c))).toMatchObject({ notice: null, paused: false, ratePerS: 9 });
  });

  it('passes: claim once, extend on re-claim, revoke, expire', async () => {
    const c = 'passes';
    expect(await both((s) => s.claimPass(c, 1, nowMs + 1_000))).toBe(true);
    expect(await both((s) => s.claimPass(c, 1, nowMs + 5_000))).toBe(false); // re-poll: same slot, later expiry
    expect(await both((s) => s.claimPass(c, 2, nowMs + 1_000))).toBe(true);
    expect(await both((s) => s.activeCount(c, nowMs))).toBe(2);
    expect(await both((s) => s.activeCount(c, nowMs + 2_000))).toBe(1); // 2 expired, 1 was extended
    await both((s) => s.revokePass(c, 1, nowMs + 60_000));
    expect(await both((s) => s.isRevoked(c, 1))).toBe(true);
    expect(await both((s) => s.isRevoked(c, 2))).toBe(false);
    expect(await both((s) => s.activeCount(c, nowMs))).toBe(0);
    expect(await both((s) => s.claimPass(c, 1, nowMs + 1_000))).toBe(false); // revoked: never active again
    expect(await both((s) => s.activeCount(c, nowMs))).toBe(0);
    expect((await both((s) => s.read(c))).claimedTotal).toBe(2);
    nowMs += 61_000;
    expect(await both((s) => s.isRevoked(c, 1))).toBe(false); // past its until
    nowMs -= 61_000;
  });

  it('the leader lease: one holder, renewable by it', async () => {
    const c = 'lease';
    expect(await both((s) => s.lead(c, 'n1', 60_000))).toBe(true);
    expect(await both((s) => s.lead(c, 'n2', 60_000))).toBe(false);
    expect(await both((s) => s.lead(c, 'n1', 60_000))).toBe(true);
  });

  it('restore raises counters (never lowers), sets the shuffle only if absent', async () => {
    const c = 'restore';
    for (let i = 0; i < 5; i++) await both((s) => s.join(c, false));
    await both((s) => s.restore(c, { lastSeq: 3, preCount: 2, admittedUpTo: 1, shuffleSeed: 77, frozenPreCount: 2 }));
    expect(await both((s) => s.read(c))).toMatchObject({ lastSeq: 5, preCount: 2, admittedUpTo: 1, shuffleSeed: 77, frozenPreCount: 2 });
    await both((s) => s.restore(c, { lastSeq: 10, preCount: 0, admittedUpTo: 4, shuffleSeed: 88, frozenPreCount: 9 }));
    expect(await both((s) => s.read(c))).toMatchObject({ lastSeq: 10, preCount: 2, admittedUpTo: 4, shuffleSeed: 77, frozenPreCount: 2 });
    expect(await both((s) => s.join(c, false))).toEqual({ seq: 11, pre: false });
  });

  it('keys: one hash tag per campaign; a lost line is restored from its floor before any number is issued', async () => {
    const store = stores[1]?.store as RedisQueueStore;
    const c = 'lost';
    await store.join(c, false);
    await store.claimPass(c, 1, nowMs + 1_000);
    const keys = (await admin.keys(`${prefix}{${c}}*`)).sort();
    expect(keys).toEqual([`${prefix}{${c}}:active`, `${prefix}{${c}}:state`]);
    expect(await admin.hget(`${prefix}{${c}}:state`, 'init')).toBe('1');
    // Redis loses the line (as after a restart without persistence).
    await admin.del(...keys);
    floors[c] = { lastSeq: 1_001, preCount: 0, admittedUpTo: 0, shuffleSeed: null, frozenPreCount: null };
    const before = store.restores;
    const joins = await Promise.all([store.join(c, false), store.join(c, false), store.advance(c, 1, 0, 0).then(() => null)]);
    expect(joins.slice(0, 2).map((j) => j?.seq).sort()).toEqual([1_002, 1_003]);
    expect(store.restores - before).toBe(1); // one restore for all the requests that found it missing
    expect((await store.read(c)).admittedUpTo).toBe(1);
  });

  it('an unreachable Redis answers YEYAK_E_BUSY (429), not an internal error', async () => {
    const dead = new Redis({ port: 1, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    dead.on('error', () => {}); // expected: connection refused
    const store = new RedisQueueStore(dead, { prefix, defaults: () => settings, restoreFrom: async () => null, nowMs: () => nowMs });
    const err = await store.join('x', false).catch((e: unknown) => e);
    expect(isYeyakError(err) && err.code).toBe('YEYAK_E_BUSY');
    dead.disconnect();
  });
});
