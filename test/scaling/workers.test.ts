/**
 * `yeyak serve --workers N` (src/cli/workers.ts): refused, with the fix, where the workers could
 * not share the store or the keys; on PostgreSQL and Redis two workers serve one port, the one
 * start-up line says so, a worker killed is started again on the same clock, and SIGTERM drains
 * them all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { loadConfig } from '../../src/core/config.ts';
import { openStore, serve } from '../../src/server.ts';
import { deferred } from '../helpers/app.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { redisTestUrl } from '../helpers/redis.ts';
import { claimRedisDb, clusterKeys, startNodes, type ClaimedRedisDb, type YeyakNodes } from '../helpers/cluster.ts';

// Nothing listens on port 1: a refusal must come before any connection is tried.
const NOWHERE_PG = 'postgres://postgres@127.0.0.1:1/yeyak';
const NOWHERE_REDIS = 'redis://127.0.0.1:1';
const KEYS = clusterKeys();

describe('serve --workers: refused where the workers could not share', () => {
  it('an embedded store: needs DATABASE_URL and REDIS_URL, and says why', async () => {
    const r = await runCli(['serve', '--workers', '2'], { YEYAK_DATA_DIR: 'memory:' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--workers 2 needs a store every worker shares: set DATABASE_URL .*PGlite.* and REDIS_URL .*its own line.*npx yeyak serve \(without --workers\)/);
    expect(r.stdout).not.toMatch(/serving/);
  });

  it('PostgreSQL without Redis: names REDIS_URL alone', async () => {
    const r = await runCli(['serve', '--workers', '3'], { DATABASE_URL: NOWHERE_PG, ...KEYS });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--workers 3 needs a store every worker shares: set REDIS_URL/);
    expect(r.stderr).not.toMatch(/DATABASE_URL/);
  });

  it('a shared store without the keys: names each key to set', async () => {
    const r = await runCli(['serve', '--workers', '2'], { DATABASE_URL: NOWHERE_PG, REDIS_URL: NOWHERE_REDIS });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/every node needs the same keys: set YEYAK_RRN_SECRET, YEYAK_SESSION_SECRET, YEYAK_QUEUE_KEYS/);
  });

  it('--workers 0 is refused', async () => {
    const r = await runCli(['serve', '--workers', '0'], { DATABASE_URL: NOWHERE_PG, REDIS_URL: NOWHERE_REDIS, ...KEYS });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--workers must be 1–64, got 0/);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('two nodes starting at once on one empty database', () => {
  it('both decide to seed; one does, the other serves what it seeded', async () => {
    const db = await createTestDatabase('yeyak_first_start');
    const config = loadConfig(
      { databaseUrl: db.url, port: 0, host: '127.0.0.1', logLevel: 'silent', scenario: 'demo', seedClinics: 3 },
      { YEYAK_RRN_SECRET: KEYS.YEYAK_RRN_SECRET, YEYAK_SESSION_SECRET: KEYS.YEYAK_SESSION_SECRET, YEYAK_QUEUE_KEYS: KEYS.YEYAK_QUEUE_KEYS },
    );
    await (await openStore(config, () => undefined)).close(); // migrated: the campaign table exists
    // Inserts into campaign wait while this transaction holds the lock (reads do not): both nodes
    // find the store empty before either seeding can commit.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE campaign IN SHARE ROW EXCLUSIVE MODE');
    const lines: string[][] = [[], []];
    const decided = [deferred(), deferred()];
    const apps: FastifyInstance[] = [];
    try {
      const starts = [0, 1].map((i) =>
        serve(config, {
          log: (line) => {
            lines[i]?.push(line);
            if (line.startsWith('Empty store')) decided[i]?.resolve();
          },
        }),
      );
      await Promise.all(decided.map((d) => d.promise));
      await blocker.query('COMMIT');
      apps.push(...(await Promise.all(starts)));
      const all = lines.flat();
      expect(all.filter((l) => l.startsWith('Seeded demo'))).toHaveLength(1);
      expect(all.filter((l) => l === 'Another node seeded the store meanwhile.')).toHaveLength(1);
      for (const app of apps) expect((await app.inject({ url: '/api/v1/campaigns' })).json()).toEqual([expect.objectContaining({ id: 'demo' })]);
    } finally {
      await blocker.end();
      for (const app of apps) await app.close();
      await db.drop();
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL || !redisTestUrl)('serve --workers 2 on PostgreSQL and Redis', () => {
  const NOW = '2026-03-02T09:00:00+09:00';
  let pg: TestDatabase;
  let redis: ClaimedRedisDb;
  let cluster: YeyakNodes;

  beforeAll(async () => {
    pg = await createTestDatabase('yeyak_workers');
    redis = await claimRedisDb(redisTestUrl as string, 'workers');
    cluster = await startNodes({ count: 1, databaseUrl: pg.url, redisUrl: redis.url, args: ['--workers', '2'], env: { YEYAK_NOW: NOW, YEYAK_SEED_CLINICS: '5' } });
  });

  afterAll(async () => {
    await cluster?.stop();
    await redis?.release();
    await pg?.drop();
  });

  /** GET /api/v1/campaigns, a connection each, until `want` distinct workers (pids) have answered; at most 40 requests. */
  async function workerPids(want: number): Promise<Map<number, string>> {
    const seen = new Map<number, string>();
    for (let i = 0; i < 40 && seen.size < want; i++) {
      const res = await fetch(`${cluster.urls[0] as string}/api/v1/campaigns`, { headers: { connection: 'close' } });
      expect(res.status).toBe(200);
      const list = (await res.json()) as { id: string; now: string }[];
      seen.set(Number(res.headers.get('yeyak-node')?.split(':')[1]), list[0]?.now ?? '');
    }
    return seen;
  }

  it('one start-up line says how many workers serve on which port; both answer, neither is the primary', async () => {
    const out = cluster.output(0);
    expect(out.match(/yeyak is serving on/g)).toHaveLength(1);
    expect(out).toMatch(new RegExp(`yeyak is serving on http://localhost:${cluster.ports[0]} with 2 workers \\(cluster primary pid ${cluster.pids[0]}; store: PostgreSQL .*waiting room: redis, clock started at ${NOW.replace('+', '\\+')}\\)`));
    // The store was prepared once: one seeding, one identity line.
    expect(out.match(/Seeded demo/g)).toHaveLength(1);
    expect(out.match(/^Identity:/gm)).toHaveLength(1);
    const pids = await workerPids(2);
    expect(pids.size).toBe(2);
    expect(pids.has(cluster.pids[0] as number)).toBe(false);
  });

  it('a worker killed is started again, on the cluster’s clock; SIGTERM drains every worker', async () => {
    const before = await workerPids(2);
    const [victim] = [...before.keys()] as [number];
    const latestNow = Math.max(...[...before.values()].map((n) => Date.parse(n)));
    process.kill(victim, 'SIGKILL');
    await cluster.waitFor(0, /worker \d is serving again \(pid \d+\)/);
    expect(cluster.output(0)).toMatch(/worker \d stopped \(signal SIGKILL\) after \d+ s; starting it again in 1 s/);
    const after = await workerPids(2);
    expect(after.has(victim)).toBe(false);
    expect(after.size).toBe(2);
    // The new worker's clock runs from the primary's start, not from YEYAK_NOW again.
    for (const now of after.values()) expect(Date.parse(now)).toBeGreaterThanOrEqual(latestNow);

    const workers = [...after.keys()];
    const exit = await cluster.kill(0, 'SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(cluster.output(0)).toMatch(/SIGTERM: draining 2 workers/);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});
