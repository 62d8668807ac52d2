/**
 * Two app nodes, one PostgreSQL database, one Redis: joins on either node form ONE line, only
 * the node holding the admission lease moves it, and people are admitted in the order they
 * joined. Then the per-address join limit, counted in Redis, holds across the nodes.
 *
 * Needs REDIS_URL_TEST and DATABASE_URL (PGlite is single-process: two nodes cannot share it).
 * The shared Redis is used under unique key prefixes only.
 *
 * korea-2021-08 runs here in its queue-first variant (test/waiting-room/helpers.ts): joins are
 * anonymous, as this suite is about the line's mechanics, not the order of verification.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/app.ts';
import { CampaignRegistry } from '../../src/campaigns/registry.ts';
import { loadCampaign } from '../../src/campaigns/store.ts';
import { loadConfig } from '../../src/core/config.ts';
import type { FakeClock } from '../../src/core/clock.ts';
import type { Db } from '../../src/core/db.ts';
import { createQueueStore, createRedisQueueStore, rateLimitOptions } from '../../src/waiting-room/factory.ts';
import type { RedisQueueStore } from '../../src/waiting-room/redis-store.ts';
import { createTestApp, type TestApp, TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { queueFirst } from './helpers.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { deleteKeys, redisTestUrl, uniquePrefix } from '../helpers/redis.ts';

const API = '/api/v1';
const CAMPAIGN = 'korea-2021-08';
// Five seconds after the 9 Aug opening: joins go straight to the main line (no pre-queue).
const NOW = '2021-08-09T20:00:05+09:00';

interface StatusBody {
  state: 'waiting' | 'admitted';
  position: number | null;
  ahead: number;
  pass?: string;
}
interface JoinBody extends StatusBody {
  ticket: string;
  device: string;
}

describe.skipIf(!redisTestUrl || !process.env.DATABASE_URL)('waiting room on Redis: two nodes, one line', () => {
  const prefix = uniquePrefix('two-nodes');
  const stores: RedisQueueStore[] = [];
  let pg: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let admin: Redis;

  const makeStore = async (db: Db, clock: FakeClock): Promise<RedisQueueStore> => {
    const campaigns = new CampaignRegistry();
    await campaigns.load(db);
    const store = createRedisQueueStore(new Redis(redisTestUrl as string), { db, campaigns, loadCampaign: (id) => loadCampaign(db, id), clock, prefix });
    stores.push(store);
    return store;
  };

  const join = async (node: TestApp): Promise<JoinBody> => {
    const res = await node.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue` });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as JoinBody;
  };

  const status = async (node: TestApp, ticket: string): Promise<StatusBody> => {
    node.app.yeyak.waitingRoom.room.invalidate(CAMPAIGN); // read the shared counters now, not 250 ms later
    const res = await node.app.inject({ method: 'GET', url: `${API}/queue/status`, headers: { authorization: `Bearer ${ticket}` } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as StatusBody;
  };

  beforeAll(async () => {
    pg = await createTestDatabase('yeyak_redis_two');
    const common = {
      databaseUrl: pg.url,
      scenario: 'korea-2021-08' as const,
      beforeBuild: queueFirst,
      clinics: 30,
      now: NOW,
      config: { joinPerIpPerMin: 100_000 },
      queueStore: makeStore,
    };
    a = await createTestApp(common);
    b = await createTestApp({ ...common, seed: false });
    admin = new Redis(redisTestUrl as string);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    for (const s of stores) await s.close();
    if (admin) {
      await deleteKeys(admin, prefix);
      await admin.quit();
    }
    await pg?.drop();
  });

  const tickets: JoinBody[] = [];

  it('joins on both nodes, interleaved, form one FIFO line: positions 1..N, no gap, no duplicate', async () => {
    expect(a.app.yeyak.waitingRoom.store.kind).toBe('redis');
    expect(b.app.yeyak.waitingRoom.store.kind).toBe('redis');
    // One after another, alternating nodes: each gets the next place.
    for (let i = 0; i < 10; i++) {
      const t = await join(i % 2 === 0 ? a : b);
      expect(t.position).toBe(i + 1);
      expect(t.state).toBe('waiting');
      tickets.push(t);
    }
    // All at once on both nodes: the places are 11..30, each exactly once.
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => join(i % 2 === 0 ? a : b)));
    const positions = burst.map((t) => t.position as number).sort((x, y) => x - y);
    expect(positions).toEqual(Array.from({ length: 20 }, (_, i) => 11 + i));
    tickets.push(...[...burst].sort((x, y) => (x.position as number) - (y.position as number)));
    // Either node reads the same line.
    const [sa, sb] = await Promise.all([a.app.yeyak.waitingRoom.store.read(CAMPAIGN), b.app.yeyak.waitingRoom.store.read(CAMPAIGN)]);
    expect(sa.lastSeq).toBe(30);
    expect(sb.lastSeq).toBe(30);
    for (const t of tickets) {
      const other = await status((t.position as number) % 2 === 0 ? a : b, t.ticket);
      expect(other).toMatchObject({ state: 'waiting', position: t.position, ahead: (t.position as number) - 1 });
    }
  });

  it('only the lease holder advances, and admission order is join order', async () => {
    const nodes = [
      { name: 'a', t: a },
      { name: 'b', t: b },
    ];
    const advancedBy: string[] = [];
    for (const { name, t } of nodes) {
      const store = t.app.yeyak.waitingRoom.store;
      const advance = store.advance.bind(store);
      store.advance = async (...args) => {
        advancedBy.push(name);
        return advance(...args);
      };
    }
    const K = 3;
    await a.app.yeyak.waitingRoom.store.configure(CAMPAIGN, { ratePerS: K }); // admit K a second
    const admittedInRound = new Map<number, number>(); // position → round first seen admitted
    const leadKey = stores[0]?.key(CAMPAIGN, 'lead') as string;
    let previousUpTo = 0;
    for (let round = 1; admittedInRound.size < tickets.length; round++) {
      expect(round, 'everyone admitted within a bounded number of rounds').toBeLessThanOrEqual(Math.ceil(tickets.length / K) + 2);
      a.clock.advance(1_000);
      b.clock.advance(1_000);
      advancedBy.length = 0;
      await Promise.all([a.app.yeyak.waitingRoom.controller.tickAll(), b.app.yeyak.waitingRoom.controller.tickAll()]);
      // Exactly one node advanced: the one holding the lease.
      expect(advancedBy).toHaveLength(1);
      const leader = advancedBy[0] === 'a' ? a : b;
      expect(await admin.get(leadKey)).toBe(leader.app.yeyak.waitingRoom.nodeId);
      const state = await a.app.yeyak.waitingRoom.store.read(CAMPAIGN);
      expect(state.admittedUpTo).toBeGreaterThanOrEqual(previousUpTo);
      expect(state.admittedUpTo - previousUpTo).toBeLessThanOrEqual(K);
      previousUpTo = state.admittedUpTo;
      // Everyone polls (half on each node); admitted people are exactly a prefix of the join order.
      const flags: boolean[] = [];
      for (const [i, t] of tickets.entries()) {
        const s = await status(i % 2 === 0 ? b : a, t.ticket);
        expect(s.position).toBe(t.position);
        flags.push(s.state === 'admitted');
        if (s.state === 'admitted') {
          expect(s.pass).toEqual(expect.any(String));
          if (!admittedInRound.has(t.position as number)) admittedInRound.set(t.position as number, round);
        }
      }
      const admittedCount = flags.filter(Boolean).length;
      expect(flags).toEqual(tickets.map((_, i) => i < admittedCount));
      expect(admittedCount).toBe(Math.min(state.admittedUpTo, tickets.length));
    }
    // Rounds of first admission never decrease along the join order.
    const rounds = tickets.map((t) => admittedInRound.get(t.position as number) as number);
    expect(rounds).toEqual([...rounds].sort((x, y) => x - y));
    expect(rounds[0]).toBe(1);
    // Every admitted pass was claimed, on whichever node: one active slot each.
    expect(await a.app.yeyak.waitingRoom.store.activeCount(CAMPAIGN, a.clock.nowMs())).toBe(tickets.length);
    const final = await b.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    expect(final.claimedTotal).toBe(tickets.length);
  });

  it('the per-address join limit is counted in Redis: shared by the nodes', async () => {
    const config = loadConfig(
      { dataDir: 'memory:', databaseUrl: pg.url, redisUrl: redisTestUrl as string, adminToken: TEST_ADMIN_TOKEN, joinPerIpPerMin: 4 },
      {},
    );
    const handle = await createQueueStore(config, { db: a.db, campaigns: new CampaignRegistry(), loadCampaign: (id) => loadCampaign(a.db, id), clock: a.clock });
    expect(handle.store.kind).toBe('redis');
    // The factory's store: Redis with a per-node fallback (rate-limit-store.ts), and its metrics.
    expect(handle.rateLimitStore).toMatchObject({ store: expect.any(Function) });
    expect(handle.rateLimitMetrics).toEqual(expect.any(Function));
    // The factory's namespace (RATE_LIMIT_NAMESPACE) is shared with any server on this Redis: the
    // test counts under its own, with the options the factory makes.
    const nameSpace = `${prefix}rl:`;
    const limiter = new Redis(redisTestUrl as string, { lazyConnect: true, enableOfflineQueue: false });
    await limiter.connect();
    const { rateLimitStore } = rateLimitOptions(limiter, undefined, nameSpace);
    const nodes: FastifyInstance[] = [];
    try {
      for (const t of [a, b]) {
        nodes.push(
          await buildApp(config, { db: t.db, clock: t.clock, logger: false, startController: false, queueStore: t.app.yeyak.waitingRoom.store, rateLimitStore }),
        );
      }
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await (nodes[i % 2] as FastifyInstance).inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue` });
        codes.push(res.statusCode);
        if (res.statusCode === 429) expect(res.json()).toMatchObject({ error: { code: 'YEYAK_E_RATE_LIMITED' } });
      }
      // 4 a minute for the address in total — not 4 per node.
      expect(codes).toEqual([201, 201, 201, 201, 429, 429]);
      expect((await admin.keys(`${nameSpace}*`)).length).toBeGreaterThan(0);
    } finally {
      for (const n of nodes) await n.close();
      await handle.close();
      limiter.disconnect();
    }
  });
});
