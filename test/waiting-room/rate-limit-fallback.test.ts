/**
 * Rate limits do not switch off when Redis does (issue #7). With `skipOnError: true` every limit
 * fell away during a Redis outage; now the node counts in its own memory meanwhile, and the
 * metrics say so (yeyak_rate_limit_fallback_total, yeyak_rate_limit_degraded).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/core/config.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { rateLimitOptions } from '../../src/waiting-room/factory.ts';
import { LocalWindows } from '../../src/waiting-room/rate-limit-store.ts';
import { phoneOf, syntheticRrn, TEST_KEYS } from '../helpers/app.ts';
import { deleteKeys, redisTestUrl, uniquePrefix } from '../helpers/redis.ts';
import { openEmptyPglite } from '../helpers/pglite-copies.ts';

const API = '/api/v1';
const PER_IP = 3;
let serial = 880_000;
const opened: { app: FastifyInstance; db: Db; redis: Redis }[] = [];

afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.app.close();
    await o.db.close();
    o.redis.disconnect();
  }
});

/** An app whose rate limits use `redis` the way a Redis node's do (factory.ts). */
async function appWith(redis: Redis, nameSpace?: string) {
  const config = loadConfig({ dataDir: 'memory:', databaseUrl: null, identity: 'sandbox', ...TEST_KEYS, challengesPerIpPerMin: PER_IP }, {});
  const db = await openEmptyPglite();
  await migrate(db);
  const { rateLimitStore, rateLimitMetrics } = rateLimitOptions(redis, undefined, nameSpace);
  const app = await buildApp(config, { db, clock: new FakeClock('2026-11-26T12:00:00+09:00'), logger: false, startController: false, rateLimitStore, rateLimitMetrics });
  opened.push({ app, db, redis });
  return app;
}

function start(app: FastifyInstance, ip: string) {
  const rrn = syntheticRrn('1990-01-01', serial++);
  return app.inject({ method: 'POST', url: `${API}/identity/challenges`, remoteAddress: ip, payload: { method: 'phone', name: '한', rrn, phone: phoneOf(rrn) } });
}

async function metric(app: FastifyInstance, name: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

describe('rate limits without Redis', () => {
  it('a Redis client pointed at a closed port: limits still refuse past max (counted on this node), and the metrics say so', async () => {
    // Port 1 is closed; no offline queue, no retries: every command fails at once, as in an outage.
    const redis = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    const app = await appWith(redis);
    expect(await metric(app, 'yeyak_rate_limit_degraded')).toBe(0);
    for (let i = 0; i < PER_IP; i++) expect((await start(app, '10.44.0.1')).statusCode).toBe(201);
    const refused = await start(app, '10.44.0.1');
    expect(refused.statusCode, refused.body).toBe(429);
    expect(refused.json().error).toMatchObject({ code: 'YEYAK_E_RATE_LIMITED', details: { limit: 'ip' } });
    expect((await start(app, '10.44.0.2')).statusCode).toBe(201); // another address is not affected
    expect(await metric(app, 'yeyak_rate_limit_degraded')).toBe(1);
    expect(await metric(app, 'yeyak_rate_limit_fallback_total')).toBeGreaterThanOrEqual(PER_IP + 2);
  });
});

describe.skipIf(!redisTestUrl)('rate limits on Redis', () => {
  const prefix = uniquePrefix('rate-limit');
  const cleaner = redisTestUrl ? new Redis(redisTestUrl) : null;
  afterAll(async () => {
    if (cleaner) {
      await deleteKeys(cleaner, prefix);
      cleaner.disconnect();
    }
  });

  it('count in Redis while it answers; when the connection drops mid-way, the node counts locally and still refuses past max', async () => {
    const redis = new Redis(redisTestUrl as string, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    await redis.connect();
    const app = await appWith(redis, prefix);
    const ip = '10.45.0.1';
    expect((await start(app, ip)).statusCode).toBe(201);
    expect((await start(app, ip)).statusCode).toBe(201);
    const keys = await cleaner?.keys(`${prefix}*idc:ip:${ip}`);
    expect(keys).toHaveLength(1);
    expect(await cleaner?.get(keys?.[0] as string)).toBe('2');
    expect(await metric(app, 'yeyak_rate_limit_fallback_total')).toBe(0);

    redis.disconnect(); // Redis is gone for this node
    for (let i = 0; i < PER_IP; i++) expect((await start(app, ip)).statusCode).toBe(201); // a fresh local window
    expect((await start(app, ip)).statusCode).toBe(429);
    expect(await metric(app, 'yeyak_rate_limit_degraded')).toBe(1);
  });
});

describe('LocalWindows (the fallback counter)', () => {
  it('counts a fixed window per key, restarts it after the window, and keeps at most keysMax keys (least recently used go)', () => {
    let now = 0;
    const w = new LocalWindows(2, () => now);
    expect(w.incr('a', 1_000)).toEqual({ current: 1, ttl: 1_000 });
    now = 400;
    expect(w.incr('a', 1_000)).toEqual({ current: 2, ttl: 600 });
    now = 1_000;
    expect(w.incr('a', 1_000)).toEqual({ current: 1, ttl: 1_000 });
    w.incr('b', 1_000);
    w.incr('a', 1_000); // a is the most recent now
    w.incr('c', 1_000); // evicts b
    expect(w.size).toBe(2);
    expect(w.incr('a', 1_000).current).toBe(3); // kept
    expect(w.incr('b', 1_000).current).toBe(1); // forgotten: counts afresh
  });
});
