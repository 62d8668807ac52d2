/**
 * RedisQueueStore against the reference semantics (MemoryQueueStore): the same operations on
 * both give the same answers. Plus what only Redis has: the key layout, the init marker, and an
 * unreachable Redis answering "busy" instead of a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { isYeyakError } from '../../src/core/errors.ts';
import { Issuer, type ReserveLedger } from '../../src/waiting-room/issuer.ts';
import { RedisQueueStore, type QueueFloor } from '../../src/waiting-room/redis-store.ts';
import { Bitset, MemoryQueueStore } from '../../src/waiting-room/memory-store.ts';
import type { QueueSettings, QueueStore } from '../../src/waiting-room/store.ts';
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

  const WINDOW_MS = 300_000;
  /** A claim now: a pass valid for `ttlMs`, the default claim window. */
  const claimAt = (ttlMs: number) => ({ expMs: nowMs + ttlMs, nowMs, claimWindowMs: WINDOW_MS });
  /** An advance's step now, kept for the claim window. */
  const step = () => ({ atMs: nowMs, keepMs: WINDOW_MS });
  const use = (personId: number, token: string, leaseMs = 60_000) => ({ personId, token, leaseUntilMs: nowMs + leaseMs, nowMs, passExpMs: nowMs + 600_000 });

  /** Runs `op` on both stores and expects the same answer; returns it. */
  const both = async <T>(op: (s: QueueStore) => Promise<T>): Promise<T> => {
    const [m, r] = await Promise.all(stores.map(({ store }) => op(store)));
    expect(r).toEqual(m);
    return m as T;
  };

  it('join, freeze, advance, configure and read agree', async () => {
    const c = 'same-ops';
    expect(await both((s) => s.read(c))).toMatchObject({ ...settings, lastSeq: 0, preCount: 0, seqCeiling: 0, preCeiling: 0, admittedUpTo: 0, shuffleSeed: null, frozenPreCount: null });
    await both((s) => s.raiseCeiling(c, { lastSeq: 100, preCount: 100 }));
    for (let i = 1; i <= 3; i++) expect(await both((s) => s.join(c, true))).toEqual({ seq: i, pre: true });
    expect(await both((s) => s.join(c, false))).toEqual({ seq: 1, pre: false });
    expect(await both((s) => s.freezePreQueue(c, 1234))).toEqual({ seed: 1234, preCount: 3, frozenNow: true });
    expect(await both((s) => s.freezePreQueue(c, 999))).toEqual({ seed: 1234, preCount: 3, frozenNow: false });
    // Frozen: pre-queue joins go to the main line.
    expect(await both((s) => s.join(c, true))).toEqual({ seq: 2, pre: false });
    await both((s) => s.advance(c, 4, 2.5, 0.25, step()));
    await both((s) => s.advance(c, 2, 3, 0.5, step())); // never back
    await both((s) => s.configure(c, { paused: true, ratePerS: 9, notice: { ko: '잠시 멈춤', en: 'Paused' } }));
    const state = await both((s) => s.read(c));
    expect(state).toMatchObject({ lastSeq: 2, preCount: 3, frozenPreCount: 3, shuffleSeed: 1234, admittedUpTo: 4, admittedTotal: 4, observedRatePerS: 3, noShowRate: 0.5, paused: true, ratePerS: 9, activeMax: 7 });
    await both((s) => s.configure(c, { notice: null, paused: false }));
    expect(await both((s) => s.read(c))).toMatchObject({ notice: null, paused: false, ratePerS: 9 });
  });

  it('passes: claim once, the same expiry on re-claim, spend for good', async () => {
    const c = 'passes';
    expect(await both((s) => s.claimPass(c, 1, claimAt(1_000)))).toEqual({ outcome: 'claimed', expMs: nowMs + 1_000 });
    // A re-poll re-issues the same pass: same slot, same expiry (a poll never extends a pass).
    expect(await both((s) => s.claimPass(c, 1, claimAt(5_000)))).toEqual({ outcome: 'renewed', expMs: nowMs + 1_000 });
    expect(await both((s) => s.claimPass(c, 2, claimAt(3_000)))).toEqual({ outcome: 'claimed', expMs: nowMs + 3_000 });
    expect(await both((s) => s.activeCount(c, nowMs))).toBe(2);
    expect(await both((s) => s.activeCount(c, nowMs + 2_000))).toBe(1); // 1 expired
    await both((s) => s.spendPosition(c, 2));
    expect(await both((s) => s.isSpent(c, 2))).toBe(true);
    expect(await both((s) => s.isSpent(c, 1))).toBe(false);
    expect(await both((s) => s.activeCount(c, nowMs))).toBe(0);
    expect(await both((s) => s.claimPass(c, 2, claimAt(1_000)))).toEqual({ outcome: 'spent', expMs: 0 }); // never active again
    expect(await both((s) => s.activeCount(c, nowMs))).toBe(0);
    expect((await both((s) => s.read(c))).claimedTotal).toBe(2);
    nowMs += 24 * 3600_000;
    expect(await both((s) => s.isSpent(c, 2))).toBe(true); // for the life of the campaign, not until a time
    expect((await both((s) => s.claimPass(c, 2, claimAt(1_000)))).outcome).toBe('spent');
    nowMs -= 24 * 3600_000;
    // Far positions (one bit each) and position 0.
    for (const n of [0, 7, 8, 20_000_000]) {
      expect(await both((s) => s.isSpent(c, n))).toBe(false);
      await both((s) => s.spendPosition(c, n));
      expect(await both((s) => s.isSpent(c, n))).toBe(true);
    }
    expect(await both((s) => s.isSpent(c, 20_000_001))).toBe(false);
  });

  it('the claim window: a place admitted longer ago than the window lapses unclaimed; a claimed one renews; a restore starts a fresh window', async () => {
    const c = 'window';
    const start = nowMs;
    await both((s) => s.raiseCeiling(c, { lastSeq: 100 }));
    for (let i = 0; i < 6; i++) await both((s) => s.join(c, false));
    await both((s) => s.advance(c, 2, 1, 0, step())); // 1–2 admitted at start
    nowMs += 60_000;
    await both((s) => s.advance(c, 4, 1, 0, step())); // 3–4 a minute later
    expect((await both((s) => s.claimPass(c, 1, claimAt(600_000)))).outcome).toBe('claimed');
    nowMs = start + WINDOW_MS - 1;
    expect((await both((s) => s.claimPass(c, 2, claimAt(600_000)))).outcome).toBe('claimed'); // the last millisecond of its window
    nowMs = start + WINDOW_MS;
    await both((s) => s.advance(c, 5, 1, 0, step())); // drops the first step: 1–2 are below lapsedUpTo now
    expect(await both((s) => s.claimPass(c, 1, claimAt(600_000)))).toEqual({ outcome: 'renewed', expMs: start + 60_000 + 600_000 }); // claimed in time: kept
    for (const n of [1, 2]) await both((s) => s.spendPosition(c, n));
    nowMs = start + 60_000 + WINDOW_MS;
    expect(await both((s) => s.claimPass(c, 3, claimAt(600_000)))).toEqual({ outcome: 'lapsed', expMs: 0 }); // step kept, too old
    await both((s) => s.advance(c, 5, 1, 0, step()));
    expect((await both((s) => s.claimPass(c, 4, claimAt(600_000)))).outcome).toBe('lapsed'); // step dropped: below lapsedUpTo
    expect((await both((s) => s.claimPass(c, 5, claimAt(600_000)))).outcome).toBe('claimed'); // admitted 4 min ago
    expect((await both((s) => s.read(c))).claimedTotal).toBe(3); // a lapse is no claim: it counts as a no-show
    // A restore (a new process, Redis after a loss) does not know when 3 and 4 were admitted: a
    // fresh window for every admitted place, from now — nobody lapses because of the loss.
    const fresh = new MemoryQueueStore(() => settings, () => nowMs);
    await fresh.restore(c, { lastSeq: 6, preCount: 0, admittedUpTo: 5, shuffleSeed: null, frozenPreCount: null });
    expect((await fresh.claimPass(c, 3, claimAt(600_000))).outcome).toBe('claimed');
    nowMs += WINDOW_MS;
    expect((await fresh.claimPass(c, 4, claimAt(600_000))).outcome).toBe('lapsed');
    nowMs = start;
  });

  it('the cap holds always: a first claim at activeMax (7) unexpired passes is refused (full) until one expires or is spent', async () => {
    const c = 'cap';
    await both((s) => s.raiseCeiling(c, { lastSeq: 100 }));
    for (let i = 0; i < 14; i++) await both((s) => s.join(c, false));
    await both((s) => s.advance(c, 14, 1, 0, step())); // hoarded: 14 admitted, none claimed yet
    const all = await Promise.all(Array.from({ length: 14 }, (_, i) => both((s) => s.claimPass(c, i + 1, claimAt(1_000)))));
    expect(all.filter((r) => r.outcome === 'claimed')).toHaveLength(7);
    expect(all.filter((r) => r.outcome === 'full')).toHaveLength(7);
    expect(await both((s) => s.activeCount(c, nowMs))).toBe(7);
    expect(all.map((r) => r.outcome)).toEqual([...Array(7).fill('claimed'), ...Array(7).fill('full')]);
    await both((s) => s.spendPosition(c, 1)); // a booking frees a slot: the next claim takes it
    expect((await both((s) => s.claimPass(c, 8, claimAt(1_000)))).outcome).toBe('claimed');
    expect((await both((s) => s.claimPass(c, 9, claimAt(1_000)))).outcome).toBe('full');
    nowMs += 1_000; // every pass expired: room again
    expect(await both((s) => s.activeCount(c, nowMs))).toBe(0);
    nowMs -= 1_000;
  });

  it('a pass in use: one use at a time (in-use), bound to its first person (wrong-holder), released by its own token only, leased for a while, gone when spent', async () => {
    const c = 'use';
    await both((s) => s.claimPass(c, 1, claimAt(600_000)));
    expect(await both((s) => s.beginUse(c, 1, use(11, 'first')))).toBe('ok');
    expect(await both((s) => s.beginUse(c, 1, use(11, 'second')))).toBe('in-use');
    expect(await both((s) => s.beginUse(c, 1, use(22, 'other')))).toBe('wrong-holder');
    await both((s) => s.endUse(c, 1, 'second')); // not its lease: nothing
    expect(await both((s) => s.beginUse(c, 1, use(11, 'third')))).toBe('in-use');
    await both((s) => s.endUse(c, 1, 'first'));
    expect(await both((s) => s.beginUse(c, 1, use(22, 'other')))).toBe('wrong-holder'); // still bound to 11
    expect(await both((s) => s.beginUse(c, 1, use(11, 'third', 5_000)))).toBe('ok');
    nowMs += 5_000; // the lease of a node that died ends by itself
    expect(await both((s) => s.beginUse(c, 1, use(11, 'fourth')))).toBe('ok');
    await both((s) => s.spendPosition(c, 1));
    expect(await both((s) => s.beginUse(c, 1, use(11, 'fifth')))).toBe('spent');
    // 20 uses at once (one pass, two people): exactly one is leased.
    await both((s) => s.claimPass(c, 2, claimAt(600_000)));
    const racing = await both((s) => Promise.all(Array.from({ length: 20 }, (_, i) => s.beginUse(c, 2, use(i % 2 === 0 ? 11 : 22, `race-${i}`)))));
    expect(racing.filter((r) => r === 'ok')).toHaveLength(1);
    // A pass whose active entry is gone (Redis lost it) counts active again when used.
    expect(await both((s) => s.activeCount(c, nowMs))).toBe(1);
    expect(await both((s) => s.beginUse(c, 3, use(33, 'lost-entry')))).toBe('ok');
    expect(await both((s) => s.activeCount(c, nowMs))).toBe(2);
    nowMs -= 5_000;
  });

  it('proof-of-work solutions: recorded once (a reuse is refused) until they expire', async () => {
    const c = 'pow';
    expect(await both((s) => s.recordSolution(c, 'sol-a', nowMs + 120_000, nowMs))).toBe(true);
    expect(await both((s) => s.recordSolution(c, 'sol-a', nowMs + 120_000, nowMs))).toBe(false);
    expect(await both((s) => s.recordSolution(c, 'sol-b', nowMs + 120_000, nowMs))).toBe(true);
    const racing = await both((s) => Promise.all(Array.from({ length: 10 }, () => s.recordSolution(c, 'sol-c', nowMs + 120_000, nowMs))));
    expect(racing.filter(Boolean)).toHaveLength(1);
    expect(await admin.pttl(`${prefix}{${c}}:pow:sol-a`)).toBeGreaterThan(110_000);
  });

  it('the spent-position bitset: one bit per position — 20 million positions in 2.5 MB', () => {
    const bits = new Bitset();
    bits.add(20_000_000);
    expect(bits.has(20_000_000)).toBe(true);
    expect(bits.has(19_999_999)).toBe(false);
    expect(bits.byteLength).toBeLessThanOrEqual(2_500_001);
    for (let n = 0; n < 64; n += 3) bits.add(n);
    for (let n = 0; n < 64; n++) expect(bits.has(n)).toBe(n % 3 === 0);
    expect(() => bits.add(-1)).toThrow(RangeError);
    expect(() => bits.add(2 ** 32)).toThrow(RangeError);
  });

  it('ceilings: a join past its ceiling is refused and issues nothing; ceilings only rise', async () => {
    const c = 'ceilings';
    expect(await both((s) => s.join(c, false))).toEqual({ refused: true, pre: false, counter: 0, ceiling: 0 });
    expect(await both((s) => s.join(c, true))).toEqual({ refused: true, pre: true, counter: 0, ceiling: 0 });
    await both((s) => s.raiseCeiling(c, { lastSeq: 2 }));
    expect(await both((s) => s.join(c, false))).toEqual({ seq: 1, pre: false });
    expect(await both((s) => s.join(c, false))).toEqual({ seq: 2, pre: false });
    expect(await both((s) => s.join(c, false))).toEqual({ refused: true, pre: false, counter: 2, ceiling: 2 });
    expect(await both((s) => s.join(c, true))).toEqual({ refused: true, pre: true, counter: 0, ceiling: 0 }); // its own ceiling
    await both((s) => s.raiseCeiling(c, { preCount: 1, lastSeq: 1 })); // never lowers
    expect(await both((s) => s.read(c))).toMatchObject({ lastSeq: 2, seqCeiling: 2, preCount: 0, preCeiling: 1 });
    expect(await both((s) => s.join(c, true))).toEqual({ seq: 1, pre: true });
    await both((s) => s.freezePreQueue(c, 5));
    // Frozen: a pre-queue join goes to the main line, and the main line's ceiling applies.
    expect(await both((s) => s.join(c, true))).toEqual({ refused: true, pre: false, counter: 2, ceiling: 2 });
    expect(await both((s) => s.read(c))).toMatchObject({ lastSeq: 2, preCount: 1 });
  });

  it('the leader lease: one holder, renewable by it', async () => {
    const c = 'lease';
    expect(await both((s) => s.lead(c, 'n1', 60_000))).toBe(true);
    expect(await both((s) => s.lead(c, 'n2', 60_000))).toBe(false);
    expect(await both((s) => s.lead(c, 'n1', 60_000))).toBe(true);
  });

  it('restore raises counters (never lowers), sets the shuffle only if absent; a ceiling below a restored counter rises to it, letting nothing through', async () => {
    const c = 'restore';
    await both((s) => s.raiseCeiling(c, { lastSeq: 8 }));
    for (let i = 0; i < 5; i++) await both((s) => s.join(c, false));
    await both((s) => s.restore(c, { lastSeq: 3, preCount: 2, admittedUpTo: 1, shuffleSeed: 77, frozenPreCount: 2 }));
    expect(await both((s) => s.read(c))).toMatchObject({ lastSeq: 5, preCount: 2, seqCeiling: 8, preCeiling: 2, admittedUpTo: 1, shuffleSeed: 77, frozenPreCount: 2 });
    await both((s) => s.restore(c, { lastSeq: 10, preCount: 0, admittedUpTo: 4, shuffleSeed: 88, frozenPreCount: 9 }));
    expect(await both((s) => s.read(c))).toMatchObject({ lastSeq: 10, preCount: 2, seqCeiling: 10, admittedUpTo: 4, shuffleSeed: 77, frozenPreCount: 2 });
    expect(await both((s) => s.join(c, false))).toEqual({ refused: true, pre: false, counter: 10, ceiling: 10 });
    await both((s) => s.raiseCeiling(c, { lastSeq: 1_010 }));
    expect(await both((s) => s.join(c, false))).toEqual({ seq: 11, pre: false });
  });

  it('keys: one hash tag per campaign; a lost line is restored from its floor before any number is issued, and reserves before issuing', async () => {
    const store = stores[1]?.store as RedisQueueStore;
    const c = 'lost';
    // A ledger standing in for the checkpoint (PostgreSQL): what is reserved is the floor after a loss.
    const writes: { lastSeq?: number; preCount?: number }[] = [];
    const ledger: ReserveLedger = {
      async reserve(id, to) {
        writes.push(to);
        const cp = floors[id] ?? { lastSeq: 0, preCount: 0, admittedUpTo: 0, shuffleSeed: null, frozenPreCount: null };
        floors[id] = { ...cp, lastSeq: Math.max(cp.lastSeq, to.lastSeq ?? 0), preCount: Math.max(cp.preCount, to.preCount ?? 0) };
        return { lastSeq: floors[id].lastSeq, preCount: floors[id].preCount };
      },
    };
    const issuer = new Issuer(store, ledger);
    expect(await issuer.issue(c, false)).toEqual({ seq: 1, pre: false });
    expect(writes).toEqual([{ lastSeq: 1_000 }]); // one block of 1,000 reserved before number 1
    await store.claimPass(c, 1, claimAt(1_000));
    await store.spendPosition(c, 1);
    const keys = (await admin.keys(`${prefix}{${c}}*`)).sort();
    expect(keys).toEqual([`${prefix}{${c}}:spent`, `${prefix}{${c}}:state`]);
    expect(await admin.hget(`${prefix}{${c}}:state`, 'init')).toBe('1');
    expect(await admin.hget(`${prefix}{${c}}:state`, 'seqCeil')).toBe('1000');
    // Redis loses the line (as after a restart without persistence).
    await admin.del(...keys);
    const before = store.restores;
    const joins = await Promise.all([issuer.issue(c, false), issuer.issue(c, false), store.advance(c, 1, 0, 0, step()).then(() => null)]);
    expect(joins.slice(0, 2).map((j) => j?.seq).sort()).toEqual([1_001, 1_002]);
    expect(store.restores - before).toBe(1); // one restore for all the requests that found it missing
    expect(writes).toHaveLength(2); // one reservation for both refused joins
    expect(await store.read(c)).toMatchObject({ admittedUpTo: 1, lastSeq: 1_002, seqCeiling: floors[c]?.lastSeq });
    expect(floors[c]?.lastSeq).toBeGreaterThanOrEqual(2_000);
    // The spent bit was lost with Redis (documented): PostgreSQL's one reservation per person remains.
    expect(await store.isSpent(c, 1)).toBe(false);
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
