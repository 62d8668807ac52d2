/**
 * The fairness record across two nodes on one PostgreSQL and one Redis line (korea-2021-08's
 * queue-first variant, its 9 Aug opening): the commitment the leader drew before the opening is
 * the one the other node publishes; pre-queue joins on both nodes are shuffled with it; the places
 * each node admits are recorded by that node, and either node's record counts them all, with no
 * inversion. Needs REDIS_URL_TEST and DATABASE_URL (PGlite is single-process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CampaignRegistry } from '../../src/campaigns/registry.ts';
import { loadCampaign } from '../../src/campaigns/store.ts';
import type { FakeClock } from '../../src/core/clock.ts';
import type { Db } from '../../src/core/db.ts';
import { createRedisQueueStore } from '../../src/waiting-room/factory.ts';
import type { RedisQueueStore } from '../../src/waiting-room/redis-store.ts';
import type { FairnessRecordJson } from '../../src/waiting-room/fairness-record.ts';
import { shuffledPosition } from '../../src/waiting-room/permutation.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { deleteKeys, redisTestUrl, uniquePrefix } from '../helpers/redis.ts';
import { CAMPAIGN, queueFirst } from './helpers.ts';

const API = '/api/v1';
const EARLY = '2021-08-09T19:30:00+09:00';
const OPENING = '2021-08-09T20:00:00+09:00';
const PRE = 20;
const LATER = 6;

describe.skipIf(!redisTestUrl || !process.env.DATABASE_URL)('the fairness record on two nodes (Redis line, PostgreSQL record)', () => {
  const prefix = uniquePrefix('fairness-nodes');
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
  const both = (at: string | number) => [a, b].forEach((n) => n.clock.set(at));
  const join = async (node: TestApp) => {
    const res = await node.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue` });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { ticket: string }).ticket;
  };
  const status = async (node: TestApp, ticket: string) => {
    node.app.yeyak.waitingRoom.room.invalidate(CAMPAIGN);
    const res = await node.app.inject({ method: 'GET', url: `${API}/queue/status`, headers: { authorization: `Bearer ${ticket}` } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { state: string; position: number | null };
  };
  const record = async (node: TestApp): Promise<FairnessRecordJson> => {
    node.app.yeyak.waitingRoom.fairness.invalidate(CAMPAIGN);
    const res = await node.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/fairness` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as FairnessRecordJson;
  };

  beforeAll(async () => {
    pg = await createTestDatabase('yeyak_fairness_nodes');
    const common = { databaseUrl: pg.url, scenario: 'korea-2021-08' as const, beforeBuild: queueFirst, clinics: 10, now: EARLY, config: { joinPerIpPerMin: 100_000 }, queueStore: makeStore };
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

  const pre: string[] = [];
  const later: string[] = [];

  it("the leader's tick before the opening commits; the other node publishes the same commitment, and its pre-queue joins keep it", async () => {
    await a.app.yeyak.waitingRoom.controller.tickAll();
    const fromA = await record(a);
    expect(fromA.seed.state).toBe('committed');
    for (let i = 0; i < PRE; i++) pre.push(await join(i % 2 === 0 ? a : b));
    const fromB = await record(b);
    expect(fromB.seed).toEqual(fromA.seed);
    const rows = await a.db.query('SELECT 1 FROM queue_shuffle_commitment');
    expect(rows.rows).toHaveLength(1);
  });

  it('after the opening both nodes answer the places the revealed seed gives; every admission is recorded by the node that served it: 0 inversions', async () => {
    both(OPENING);
    await a.app.yeyak.waitingRoom.controller.tickAll();
    const r = await record(b);
    expect(r.seed.state).toBe('revealed');
    expect(r.shuffle.preQueueSize).toBe(PRE);
    for (const [i, ticket] of pre.entries()) {
      const { s } = JSON.parse(Buffer.from(ticket.split('.')[1] as string, 'base64url').toString('utf8')) as { s: number };
      expect((await status(i % 2 === 0 ? b : a, ticket)).position).toBe(shuffledPosition(s, PRE, r.seed.value as number));
    }
    for (let i = 0; i < LATER; i++) later.push(await join(i % 2 === 0 ? b : a));
    for (let step = 0; step < 10; step++) {
      both(Date.parse(OPENING) + (step + 1) * 1_000);
      await a.app.yeyak.waitingRoom.controller.tickAll();
      for (const [i, ticket] of [...pre, ...later].entries()) await status(i % 2 === 0 ? a : b, ticket);
    }
    // Each node writes its own within a second; A's are written now, B's by B's own record build.
    await a.app.yeyak.waitingRoom.admissions.flush();
    const after = await record(b);
    expect(after.admissionOrder).toEqual({ recorded: PRE + LATER, inversionsBeyondShuffle: 0, positionMismatches: 0, examples: [] });
    expect(after.eta.samples).toBe(PRE + LATER);
    expect((await record(a)).admissionOrder).toEqual(after.admissionOrder);
  });
});
