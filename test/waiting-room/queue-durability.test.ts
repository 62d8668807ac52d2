/**
 * What the waiting room keeps when its store loses its memory (Redis crashes, the embedded node
 * restarts) or when a node joins a live line — one regression test per known problem:
 *
 *   1. sequence numbers beyond the write-ahead checkpoint: numbers are reserved in the checkpoint
 *      before they are issued, so a restored counter starts after every number ever issued;
 *   2. every node start pushes shared counters forward: only a store that lost its state is
 *      restored (the in-process one at its process's start; Redis by itself, on loss);
 *   4. operator settings are lost with the store: the admin API writes them to the campaign row
 *      first, and a restored line comes back with them.
 * (3, a spent pass position minting new passes, is in bypass.test.ts.)
 *
 * korea-2021-08 five seconds after the 9 Aug 20:00 opening (main line) or ten minutes before it
 * (pre-queue), FakeClock, the controller stepped by hand. PGlite unless DATABASE_URL is set; the
 * Redis cases need REDIS_URL_TEST (unique key prefixes, never FLUSH).
 *
 * korea-2021-08 runs here in its queue-first variant (test/waiting-room/helpers.ts): joins are
 * anonymous, as this suite is about the line's mechanics, not the order of verification.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/app.ts';
import { CampaignRegistry } from '../../src/campaigns/registry.ts';
import { loadCampaign } from '../../src/campaigns/store.ts';
import type { FakeClock } from '../../src/core/clock.ts';
import type { Db } from '../../src/core/db.ts';
import { readCheckpoint } from '../../src/waiting-room/sql.ts';
import { createRedisQueueStore } from '../../src/waiting-room/factory.ts';
import { checkpointLedger, Issuer } from '../../src/waiting-room/issuer.ts';
import type { RedisQueueStore } from '../../src/waiting-room/redis-store.ts';
import { isRefused, type QueueStore } from '../../src/waiting-room/store.ts';
import { createTestApp, type TestApp, TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { queueFirst } from './helpers.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { deleteKeys, redisTestUrl, uniquePrefix } from '../helpers/redis.ts';

const API = '/api/v1';
const CAMPAIGN = 'korea-2021-08';
const OPENED = '2021-08-09T20:00:05+09:00';
const BEFORE_OPENING = '2021-08-09T19:50:00+09:00';
const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

interface StatusBody {
  state: 'waiting' | 'admitted';
  position: number | null;
  ahead: number;
  paused: boolean;
  notice: { ko: string; en: string } | null;
  pass?: string;
}
type JoinBody = StatusBody & { ticket: string; device: string };

async function join(app: FastifyInstance): Promise<JoinBody> {
  const res = await app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue` });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as JoinBody;
}

async function status(app: FastifyInstance, ticket: string): Promise<StatusBody> {
  app.yeyak.waitingRoom.room.invalidate(CAMPAIGN);
  const res = await app.inject({ method: 'GET', url: `${API}/queue/status`, headers: { authorization: `Bearer ${ticket}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as StatusBody;
}

/** Another node (or this node after a restart) on the same database; in-process store unless given. */
function startNode(t: TestApp, queueStore?: QueueStore): Promise<FastifyInstance> {
  return buildApp(t.config, { db: t.db, clock: t.clock, logger: false, startController: false, ...(queueStore ? { queueStore } : {}) });
}

async function checkpointOf(db: Db) {
  const cp = await readCheckpoint(db, CAMPAIGN);
  if (!cp) throw new Error('no checkpoint');
  return cp;
}

/**
 * Spies on a store so that every number issued is checked against the checkpoint: each join's
 * number is at most the store's ceiling, and the ceiling is only ever raised to a value the
 * checkpoint already holds. Together: every issued number ≤ the checkpoint, at every moment.
 */
function guard(store: QueueStore, db: Db): { issued: () => number[]; violations: string[] } {
  const issued: number[] = [];
  const violations: string[] = [];
  const join = store.join.bind(store);
  const raise = store.raiseCeiling.bind(store);
  vi.spyOn(store, 'join').mockImplementation(async (id, pre) => {
    const r = await join(id, pre);
    if (!isRefused(r)) {
      issued.push(r.seq);
      const s = await store.read(id);
      const ceiling = r.pre ? s.preCeiling : s.seqCeiling;
      if (r.seq > ceiling) violations.push(`number ${r.seq} above the ceiling ${ceiling}`);
    }
    return r;
  });
  vi.spyOn(store, 'raiseCeiling').mockImplementation(async (id, to) => {
    const cp = await checkpointOf(db);
    if ((to.lastSeq ?? 0) > cp.lastSeq) violations.push(`ceiling ${to.lastSeq} above the checkpoint's last_seq ${cp.lastSeq}`);
    if ((to.preCount ?? 0) > cp.preCount) violations.push(`ceiling ${to.preCount} above the checkpoint's pre_count ${cp.preCount}`);
    return raise(id, to);
  });
  return { issued: () => issued, violations };
}

/** `n` numbers, `parallel` joins at a time (many requests in flight, as at 8,000 joins/s). */
async function issueMany(issue: () => Promise<{ seq: number }>, n: number, parallel: number, after: () => Promise<void>): Promise<number[]> {
  const seqs: number[] = [];
  for (let done = 0; done < n; done += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, n - done) }, issue));
    seqs.push(...batch.map((r) => r.seq));
    await after();
  }
  return seqs;
}

describe('sequence numbers beyond the write-ahead checkpoint (in-process store, embedded restart)', () => {
  let t: TestApp;
  const nodes: FastifyInstance[] = [];
  beforeAll(async () => {
    t = await createTestApp({ scenario: 'korea-2021-08', beforeBuild: queueFirst, clinics: 30, now: BEFORE_OPENING, config: { joinPerIpPerMin: 1_000_000 } });
  });
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await t?.close();
  });

  it('sequence numbers beyond the write-ahead checkpoint: pre-queue and main-line numbers are reserved before they are issued — every number ≤ the checkpoint at all times, one database write per block, and after a restart the next number is above every number issued', async () => {
    const { room, store, controller } = t.app.yeyak.waitingRoom;
    const watch = guard(store, t.db);
    const belowCheckpoint = async () => {
      const cp = await checkpointOf(t.db);
      const s = await store.read(CAMPAIGN);
      expect(s.lastSeq).toBeLessThanOrEqual(cp.lastSeq);
      expect(s.preCount).toBeLessThanOrEqual(cp.preCount);
      expect(s.seqCeiling).toBeLessThanOrEqual(cp.lastSeq);
      expect(s.preCeiling).toBeLessThanOrEqual(cp.preCount);
    };

    // Before the opening: the pre-queue. One controller tick (it checkpoints), then 3,500 joins
    // with no tick at all — the old write-ahead margin (1,000) is long passed.
    await controller.tickAll();
    const pre = await issueMany(() => room.issue(CAMPAIGN, true), 3_500, 50, belowCheckpoint);
    expect(new Set(pre).size).toBe(3_500);
    expect(Math.max(...pre)).toBe(3_500);

    // The opening: the pre-queue freezes; then 6,000 main-line joins, again without a tick.
    t.clock.set(OPENED);
    await controller.tickAll();
    const writesBefore = room.issuer.reservations;
    const main = await issueMany(() => room.issue(CAMPAIGN, false), 6_000, 100, belowCheckpoint);
    expect(main).toEqual(expect.arrayContaining([1, 6_000]));
    expect(new Set(main).size).toBe(6_000);
    expect(watch.violations).toEqual([]);
    expect(watch.issued().length).toBe(9_500);
    // One write per block (≥ 1,000 numbers), not per join.
    const writes = room.issuer.reservations - writesBefore;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(6);
    vi.restoreAllMocks();

    // The node restarts (the in-process line is gone): the new process restores from the checkpoint.
    const restarted = await startNode(t);
    nodes.push(restarted);
    const after = restarted.yeyak.waitingRoom;
    const restored = await after.store.read(CAMPAIGN);
    expect(restored.lastSeq).toBeGreaterThanOrEqual(Math.max(...main));
    expect(restored.frozenPreCount).toBe(3_500);
    const next = await after.room.issue(CAMPAIGN, false);
    expect(next.seq).toBeGreaterThan(Math.max(...main));
    const viaHttp = await join(restarted);
    expect(viaHttp.position).toBe(3_500 + next.seq + 1);
    const cp = await checkpointOf(t.db);
    expect(next.seq + 1).toBeLessThanOrEqual(cp.lastSeq);
  });
});

describe.skipIf(!redisTestUrl)('sequence numbers beyond the write-ahead checkpoint (Redis)', () => {
  const prefix = uniquePrefix('durable-seq');
  let t: TestApp;
  let admin: Redis;
  let store: RedisQueueStore;

  beforeAll(async () => {
    t = await createTestApp({ scenario: 'korea-2021-08', beforeBuild: queueFirst, clinics: 30, now: OPENED });
    const campaigns = new CampaignRegistry();
    await campaigns.load(t.db);
    store = createRedisQueueStore(new Redis(redisTestUrl as string), { db: t.db, campaigns, loadCampaign: (id) => loadCampaign(t.db, id), clock: t.clock, prefix });
    admin = new Redis(redisTestUrl as string);
  });
  afterAll(async () => {
    await store?.close();
    if (admin) {
      await deleteKeys(admin, prefix);
      await admin.quit();
    }
    await t?.close();
  });

  it('sequence numbers beyond the write-ahead checkpoint: the join script refuses past the ceiling atomically — 2,500 concurrent joins against a ceiling of 1,000 issue exactly 1..1,000', async () => {
    const c = 'atomic-ceiling';
    await store.raiseCeiling(c, { lastSeq: 1_000 });
    const outcomes = await Promise.all(Array.from({ length: 2_500 }, () => store.join(c, false)));
    const seqs = outcomes.flatMap((r) => (isRefused(r) ? [] : [r.seq])).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    expect(outcomes.filter(isRefused).every((r) => r.counter === 1_000 && r.ceiling === 1_000 && !r.pre)).toBe(true);
    expect((await store.read(c)).lastSeq).toBe(1_000);
  });

  it('sequence numbers beyond the write-ahead checkpoint: with Redis, every number ≤ the checkpoint at all times, and after Redis loses its memory the next number is above every number issued', async () => {
    const issuer = new Issuer(store, checkpointLedger(t.db, () => t.clock.nowMs()));
    const watch = guard(store, t.db);
    const seqs = await issueMany(() => issuer.issue(CAMPAIGN, false), 4_000, 200, async () => {
      expect((await store.read(CAMPAIGN)).seqCeiling).toBeLessThanOrEqual((await checkpointOf(t.db)).lastSeq);
    });
    expect(new Set(seqs).size).toBe(4_000);
    expect(watch.violations).toEqual([]);
    expect(issuer.reservations).toBeLessThanOrEqual(4);
    vi.restoreAllMocks();

    // Redis loses the line (a crash without persistence).
    await deleteKeys(admin, prefix);
    const restoresBefore = store.restores;
    const next = await issuer.issue(CAMPAIGN, false);
    expect(next.seq).toBeGreaterThan(Math.max(...seqs));
    expect(store.restores - restoresBefore).toBe(1);
    expect(next.seq).toBeLessThanOrEqual((await checkpointOf(t.db)).lastSeq);
  });
});

describe.skipIf(!redisTestUrl)('every node start pushes shared counters forward', () => {
  const prefix = uniquePrefix('node-start');
  let pg: TestDatabase | null = null;
  let a: TestApp;
  let admin: Redis;
  const stores: RedisQueueStore[] = [];
  const nodes: FastifyInstance[] = [];

  const makeStore = async (db: Db, clock: FakeClock): Promise<RedisQueueStore> => {
    const campaigns = new CampaignRegistry();
    await campaigns.load(db);
    const s = createRedisQueueStore(new Redis(redisTestUrl as string), { db, campaigns, loadCampaign: (id) => loadCampaign(db, id), clock, prefix });
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    if (process.env.DATABASE_URL) pg = await createTestDatabase('yeyak_node_start');
    a = await createTestApp({ scenario: 'korea-2021-08', beforeBuild: queueFirst, clinics: 30, now: OPENED, databaseUrl: pg?.url ?? null, config: { joinPerIpPerMin: 1_000_000 }, queueStore: makeStore });
    admin = new Redis(redisTestUrl as string);
  });
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await a?.close();
    for (const s of stores) await s.close();
    if (admin) {
      await deleteKeys(admin, prefix);
      await admin.quit();
    }
    await pg?.drop();
  });

  it('every node start pushes shared counters forward — no more: a second and a third node starting next to a live line (lastSeq 15, admittedUpTo 10, checkpoint far ahead) change no counter, no place and nobody\'s "ahead"', async () => {
    const first: JoinBody[] = [];
    for (let i = 0; i < 10; i++) first.push(await join(a.app));
    a.clock.advance(1_000);
    await a.app.yeyak.waitingRoom.controller.tickAll();
    const waiting: JoinBody[] = [];
    for (let i = 0; i < 5; i++) waiting.push(await join(a.app));
    const live = await a.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    expect(live).toMatchObject({ lastSeq: 15, admittedUpTo: 10 });
    // The checkpoint is written ahead: restoring the live line to it would skip ~1,000 numbers and
    // admit ~1,200 people early.
    const cp = await checkpointOf(a.db);
    expect(cp.lastSeq).toBeGreaterThanOrEqual(1_010);
    expect(cp.admittedUpTo).toBeGreaterThanOrEqual(1_210);
    const before = await Promise.all(waiting.map((w) => status(a.app, w.ticket)));
    expect(before.map((s) => s.ahead)).toEqual([0, 1, 2, 3, 4]);

    const restoresBefore = stores.map((s) => s.restores); // node A's store initialised the new line once
    for (let i = 0; i < 2; i++) nodes.push(await startNode(a, await makeStore(a.db, a.clock)));
    const after = await a.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    expect(after).toMatchObject({ lastSeq: 15, admittedUpTo: 10, admittedTotal: live.admittedTotal });
    for (const node of [a.app, ...nodes]) {
      const now = await Promise.all(waiting.map((w) => status(node, w.ticket)));
      expect(now).toEqual(before);
    }
    // The next join on a new node is the next place, not one a thousand further.
    expect((await join(nodes[1] as FastifyInstance)).position).toBe(16);
    expect(stores.map((s) => s.restores)).toEqual([...restoresBefore, 0, 0]);
  });
});

describe('operator settings are lost with the store (in-process store, embedded restart)', () => {
  let t: TestApp;
  const nodes: FastifyInstance[] = [];
  beforeAll(async () => {
    t = await createTestApp({ scenario: 'korea-2021-08', beforeBuild: queueFirst, clinics: 30, now: OPENED, config: { joinPerIpPerMin: 1_000_000 } });
  });
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await t?.close();
  });

  const patch = (app: FastifyInstance, body: Record<string, unknown>) => app.inject({ method: 'PATCH', url: `${API}/admin/queue/${CAMPAIGN}`, headers: ADMIN, payload: body });
  const row = async () =>
    (
      await t.db.query<{ queue_paused: boolean; queue_notice_ko: string | null; queue_notice_en: string | null; queue_rate_per_s: number; queue_active_max: number; queue_pow_bits: number; notice_ko: string | null }>(
        'SELECT queue_paused, queue_notice_ko, queue_notice_en, queue_rate_per_s, queue_active_max, queue_pow_bits, notice_ko FROM campaign WHERE id = $1',
        [CAMPAIGN],
      )
    ).rows[0];

  it('operator settings are lost with the store — no more: a paused line with its notice, rate, cap and PoW comes back paused after an embedded restart; resuming comes back resumed', async () => {
    const campaignNotice = (await row())?.notice_ko;
    expect(campaignNotice).toEqual(expect.any(String));
    const x = await join(t.app);
    const notice = { ko: '점검 중입니다. 순서는 유지됩니다.', en: 'Paused for maintenance; your place is kept.' };
    const res = await patch(t.app, { paused: true, notice, ratePerS: 7, activeMax: 123, powBits: 3 });
    expect(res.statusCode, res.body).toBe(200);
    expect(await row()).toEqual({ queue_paused: true, queue_notice_ko: notice.ko, queue_notice_en: notice.en, queue_rate_per_s: 7, queue_active_max: 123, queue_pow_bits: 3, notice_ko: campaignNotice });

    // The process restarts: its in-process line is rebuilt from the checkpoint and the campaign row.
    const restarted = await startNode(t);
    nodes.push(restarted);
    expect(await restarted.yeyak.waitingRoom.store.read(CAMPAIGN)).toMatchObject({ paused: true, notice, ratePerS: 7, activeMax: 123, powBits: 3 });
    t.clock.advance(5_000);
    await restarted.yeyak.waitingRoom.controller.tickAll();
    expect(await status(restarted, x.ticket)).toMatchObject({ state: 'waiting', paused: true, notice, position: x.position });
    const challenge = await restarted.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/queue/challenge` });
    expect(challenge.json()).toMatchObject({ difficultyBits: 3 });

    // Resumed on the restarted node, the next restart comes back resumed, notice cleared.
    expect((await patch(restarted, { paused: false, notice: null, powBits: 0 })).statusCode).toBe(200);
    expect(await row()).toMatchObject({ queue_paused: false, queue_notice_ko: null, queue_notice_en: null, queue_pow_bits: 0, notice_ko: campaignNotice });
    const again = await startNode(t);
    nodes.push(again);
    expect(await again.yeyak.waitingRoom.store.read(CAMPAIGN)).toMatchObject({ paused: false, notice: null, ratePerS: 7, activeMax: 123, powBits: 0 });
    t.clock.advance(1_000);
    await again.yeyak.waitingRoom.controller.tickAll();
    expect(await status(again, x.ticket)).toMatchObject({ state: 'admitted', paused: false, notice: null });
  });

  it('operator settings are lost with the store — no more: the campaign row is written first; a store that fails the change leaves it recorded (500), and the retry applies it', async () => {
    const { store } = t.app.yeyak.waitingRoom;
    const spy = vi.spyOn(store, 'configure').mockRejectedValueOnce(new Error('store unavailable'));
    const failed = await patch(t.app, { ratePerS: 11 });
    expect(failed.statusCode).toBe(500);
    expect((await row())?.queue_rate_per_s).toBe(11);
    expect((await store.read(CAMPAIGN)).ratePerS).not.toBe(11);
    spy.mockRestore();
    expect((await patch(t.app, { ratePerS: 11 })).json()).toMatchObject({ ratePerS: 11 });
  });
});

describe.skipIf(!redisTestUrl)('operator settings are lost with the store (Redis)', () => {
  const prefix = uniquePrefix('settings');
  let t: TestApp;
  let admin: Redis;
  const stores: RedisQueueStore[] = [];
  /** A node whose registry was loaded before the operator's change (as any other node's is). */
  let staleStore: RedisQueueStore;

  beforeAll(async () => {
    t = await createTestApp({
      scenario: 'korea-2021-08',
      beforeBuild: queueFirst,
      clinics: 30,
      now: OPENED,
      config: { joinPerIpPerMin: 1_000_000 },
      queueStore: async (db: Db, clock: FakeClock) => {
        const campaigns = new CampaignRegistry();
        await campaigns.load(db);
        const s = createRedisQueueStore(new Redis(redisTestUrl as string), { db, campaigns, loadCampaign: (id) => loadCampaign(db, id), clock, prefix });
        stores.push(s);
        staleStore = createRedisQueueStore(new Redis(redisTestUrl as string), { db, campaigns, loadCampaign: (id) => loadCampaign(db, id), clock, prefix });
        stores.push(staleStore);
        return s;
      },
    });
    admin = new Redis(redisTestUrl as string);
  });
  afterAll(async () => {
    await t?.close();
    for (const s of stores) await s.close();
    if (admin) {
      await deleteKeys(admin, prefix);
      await admin.quit();
    }
  });

  it('operator settings are lost with the store — no more: after Redis loses its memory the line comes back paused with its notice and rate, also when restored by a node whose registry predates the change', async () => {
    const x = await join(t.app);
    const notice = { ko: '잠시 멈춤', en: 'Paused' };
    const res = await t.app.inject({ method: 'PATCH', url: `${API}/admin/queue/${CAMPAIGN}`, headers: ADMIN, payload: { paused: true, notice, ratePerS: 9 } });
    expect(res.statusCode, res.body).toBe(200);

    await deleteKeys(admin, prefix); // Redis loses everything
    // The other node sees the loss first and restores the line: settings from the campaign row.
    expect(await staleStore.read(CAMPAIGN)).toMatchObject({ paused: true, notice, ratePerS: 9, lastSeq: expect.any(Number) });
    expect(staleStore.restores).toBe(1);
    expect(await status(t.app, x.ticket)).toMatchObject({ state: 'waiting', paused: true, notice, position: x.position });
    t.clock.advance(5_000);
    await t.app.yeyak.waitingRoom.controller.tickAll();
    expect((await status(t.app, x.ticket)).state).toBe('waiting');

    // A change after the loss reaches the restored line at once.
    const resumed = await t.app.inject({ method: 'PATCH', url: `${API}/admin/queue/${CAMPAIGN}`, headers: ADMIN, payload: { paused: false, notice: null } });
    expect(resumed.json()).toMatchObject({ paused: false, notice: null, ratePerS: 9 });
    expect(await staleStore.read(CAMPAIGN)).toMatchObject({ paused: false, notice: null, ratePerS: 9 });
  });
});
