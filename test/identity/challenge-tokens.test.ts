/**
 * Challenges as sealed tokens (issue #10): starting a verification writes nothing to the
 * database; the challenge id is a token that refuses any altered byte, another key, another
 * purpose and its own expiry; its attempts count atomically in the shared store — in-process on
 * one node, in Redis across two nodes — and a verified challenge is spent exactly once, even by
 * two verifications at once. The start limits (per address, phone, person) hold across nodes too.
 * Races are driven by deferred promises that hold the provider's check, never by sleeps.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/core/config.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { openDb, type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { seedScenario } from '../../src/scenarios/seed.ts';
import { ChallengeTokens } from '../../src/identity/challenge-token.ts';
import { MemoryChallengeAttempts, type ChallengeAttempts } from '../../src/identity/challenge-attempts.ts';
import { RedisChallengeAttempts } from '../../src/identity/challenge-attempts-redis.ts';
import { CODE_ATTEMPTS_MAX } from '../../src/identity/challenges.ts';
import { SessionSigner } from '../../src/identity/session.ts';
import { rateLimitOptions } from '../../src/waiting-room/factory.ts';
import { deferred, phoneOf, syntheticRrn, TEST_KEYS } from '../helpers/app.ts';
import { openPgliteCopy } from '../helpers/pglite-copies.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { deleteKeys, redisTestUrl, uniquePrefix } from '../helpers/redis.ts';

const API = '/api/v1';
const NOW = '2026-11-26T12:00:00+09:00';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
let serial = 31_000;

interface Nodes {
  a: FastifyInstance;
  b: FastifyInstance;
  db: Db;
  clock: FakeClock;
  config: Config;
  close(): Promise<void>;
}

interface NodeOptions {
  /** Shared by both nodes; null: each node its own memory (only `a` is used then). */
  redis: { client: Redis; prefix: string } | null;
  databaseUrl: string | null;
  config?: Record<string, string | number>;
}

/** Two nodes on one database (one PGlite in this process, or PostgreSQL) and, with Redis, one store. */
async function twoNodes(o: NodeOptions): Promise<Nodes> {
  const clock = new FakeClock(NOW);
  const config = loadConfig({ dataDir: 'memory:', databaseUrl: o.databaseUrl, identity: 'sandbox', ...TEST_KEYS, ...o.config }, {});
  let db: Db;
  if (o.databaseUrl) {
    db = await openDb({ databaseUrl: o.databaseUrl, dataDir: 'memory:', poolMax: 10 });
    await migrate(db);
    await seedScenario(db, { scenario: 'demo', clock, seed: 7 });
  } else {
    db = await openPgliteCopy({ scenario: 'demo', clock, seed: 7 });
    await migrate(db);
  }
  const node = (attempts: ChallengeAttempts) =>
    buildApp(config, {
      db, clock, logger: false, startController: false, challengeAttempts: attempts,
      ...(o.redis ? { rateLimitStore: rateLimitOptions(o.redis.client, undefined, `${o.redis.prefix}rl:`).rateLimitStore } : {}),
    });
  const a = await node(o.redis ? new RedisChallengeAttempts(o.redis.client, o.redis.prefix) : new MemoryChallengeAttempts(clock));
  const b = await node(o.redis ? new RedisChallengeAttempts(o.redis.client, o.redis.prefix) : new MemoryChallengeAttempts(clock));
  return {
    a, b, db, clock, config,
    close: async () => {
      await a.close();
      await b.close();
      await db.close();
    },
  };
}

function person(): { rrn: string; phone: string } {
  const rrn = syntheticRrn('1988-03-14', serial++);
  return { rrn, phone: phoneOf(rrn) };
}

async function start(app: FastifyInstance, who = person(), ip = '10.9.0.1'): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: `${API}/identity/challenges`, remoteAddress: ip, payload: { method: 'phone', name: '토큰', ...who } });
}

async function challengeOn(app: FastifyInstance): Promise<string> {
  const res = await start(app);
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { challengeId: string }).challengeId;
}

const verify = (app: FastifyInstance, id: string, code = '000000') =>
  app.inject({ method: 'POST', url: `${API}/identity/challenges/${id}/verify`, payload: { code } });

function codeOf(res: LightMyRequestResponse): string {
  return res.statusCode === 200 ? 'ok' : ((res.json() as { error: { code: string } }).error.code);
}

/** Holds the phone method's provider check until `release`: both calls are inside it at once. */
function holdChecks(app: FastifyInstance, callers: number): { inside: Promise<void>; release: () => void; restore: () => void } {
  const provider = app.yeyak.identityProviders.get('phone');
  if (!provider) throw new Error('no phone provider');
  const original = provider.check.bind(provider);
  const gate = deferred();
  const inside = deferred();
  let entered = 0;
  const spy = vi.spyOn(provider, 'check').mockImplementation(async (req) => {
    if (++entered === callers) inside.resolve();
    await gate.promise;
    return original(req);
  });
  return { inside: inside.promise, release: () => gate.resolve(), restore: () => spy.mockRestore() };
}

describe('the challenge token', () => {
  let n: Nodes;
  beforeAll(async () => {
    n = await twoNodes({ redis: null, databaseUrl: null });
  });
  afterAll(async () => {
    await n?.close();
  });

  it('starting a verification writes nothing to the database; the id is a sealed token of the schema’s shape', async () => {
    const before = await n.db.query<{ c: number; p: number }>('SELECT (SELECT count(*)::int FROM identity_challenge) AS c, (SELECT count(*)::int FROM person) AS p');
    const id = await challengeOn(n.a);
    expect(id).toMatch(/^c1[A-Za-z0-9_-]+$/);
    const after = await n.db.query<{ c: number; p: number }>('SELECT (SELECT count(*)::int FROM identity_challenge) AS c, (SELECT count(*)::int FROM person) AS p');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('a token altered in any one character opens to nothing; over HTTP, 404 CHALLENGE_NOT_FOUND and the original still verifies', async () => {
    const id = await challengeOn(n.a);
    const tokens = new ChallengeTokens(n.config.sessionSecret);
    expect(tokens.open(id)).not.toBeNull();
    const altered = (i: number) => {
      const c = id[i] as string;
      const other = BASE64URL[(BASE64URL.indexOf(c) + 1 + (i % 63)) % 64] as string;
      return `${id.slice(0, i)}${other}${id.slice(i + 1)}`;
    };
    for (let i = 0; i < id.length; i++) expect(tokens.open(altered(i)), `character ${i}`).toBeNull();
    expect(tokens.open(id.slice(0, -1))).toBeNull();
    expect(tokens.open(`${id}A`)).toBeNull();
    for (const i of [2, Math.floor(id.length / 2), id.length - 1]) expect(codeOf(await verify(n.a, altered(i)))).toBe('YEYAK_E_CHALLENGE_NOT_FOUND');
    expect(codeOf(await verify(n.a, id))).toBe('ok');
  });

  it('a token sealed under another key, or a session token of this server, is not a challenge', async () => {
    const id = await challengeOn(n.a);
    const claims = new ChallengeTokens(n.config.sessionSecret).open(id);
    if (!claims) throw new Error('own token did not open');
    const foreign = new ChallengeTokens('another-key-9f3b2c7d1e5a8f0b4c6d2e9a7b1c3d5e').seal(claims);
    expect(codeOf(await verify(n.a, foreign))).toBe('YEYAK_E_CHALLENGE_NOT_FOUND');
    const session = new SessionSigner(n.config.sessionSecret, n.clock, 60_000).issue(1, claims.facts).token;
    expect(new ChallengeTokens(n.config.sessionSecret).open(session)).toBeNull();
  });

  it('expired: refused from its expiry on, also with the right code', async () => {
    const id = await challengeOn(n.a);
    n.clock.advance(n.config.challengeTtlMs);
    try {
      expect(codeOf(await verify(n.a, id))).toBe('YEYAK_E_CHALLENGE_NOT_FOUND');
    } finally {
      n.clock.set(NOW);
    }
  });

  it(`in-process: ${CODE_ATTEMPTS_MAX} wrong codes, then even the right one → 429 CHALLENGE_LOCKED; parallel guesses never pass the limit`, async () => {
    const id = await challengeOn(n.a);
    for (let i = 0; i < CODE_ATTEMPTS_MAX; i++) expect(codeOf(await verify(n.a, id, '123456'))).toBe('YEYAK_E_CODE_WRONG');
    expect(codeOf(await verify(n.a, id))).toBe('YEYAK_E_CHALLENGE_LOCKED');
    const burst = await challengeOn(n.a);
    const answers = (await Promise.all(Array.from({ length: 3 * CODE_ATTEMPTS_MAX }, () => verify(n.a, burst, '123456')))).map(codeOf);
    expect(answers.filter((c) => c === 'YEYAK_E_CODE_WRONG')).toHaveLength(CODE_ATTEMPTS_MAX);
    expect(answers.filter((c) => c === 'YEYAK_E_CHALLENGE_LOCKED')).toHaveLength(2 * CODE_ATTEMPTS_MAX);
  });

  it('in-process: two verifications of one challenge at once → one session, the other 404; verified again later → 404', async () => {
    const id = await challengeOn(n.a);
    const held = holdChecks(n.a, 2);
    try {
      const both = Promise.all([verify(n.a, id), verify(n.a, id)]);
      await held.inside; // both counted and inside the provider: neither has claimed yet
      held.release();
      const codes = (await both).map(codeOf).sort();
      expect(codes).toEqual(['YEYAK_E_CHALLENGE_NOT_FOUND', 'ok']);
    } finally {
      held.restore();
    }
    expect(codeOf(await verify(n.a, id))).toBe('YEYAK_E_CHALLENGE_NOT_FOUND');
  });
});

describe.skipIf(!redisTestUrl)('challenges on two nodes sharing one Redis', () => {
  const prefix = uniquePrefix('challenges');
  const PER_IP = 6;
  const PER_PHONE = 3;
  const PER_PERSON = 2;
  let redis: Redis;
  const stores: { label: string; nodes: Nodes | null; pg: TestDatabase | null }[] = [{ label: 'PGlite', nodes: null, pg: null }];
  if (process.env.DATABASE_URL) stores.push({ label: 'PostgreSQL', nodes: null, pg: null });

  beforeAll(async () => {
    redis = new Redis(redisTestUrl as string);
    for (const [i, s] of stores.entries()) {
      s.pg = s.label === 'PostgreSQL' ? await createTestDatabase('yeyak_challenges') : null;
      s.nodes = await twoNodes({
        redis: { client: redis, prefix: `${prefix}${i}:` },
        databaseUrl: s.pg?.url ?? null,
        config: { challengesPerIpPerMin: PER_IP, challengesPerPhonePerHour: PER_PHONE, challengesPerPersonPerHour: PER_PERSON },
      });
    }
  });
  afterAll(async () => {
    for (const s of stores) {
      await s.nodes?.close();
      await s.pg?.drop();
    }
    if (redis) {
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
  });

  const on = (label: string): Nodes => {
    const nodes = stores.find((s) => s.label === label)?.nodes;
    if (!nodes) throw new Error(`no nodes for ${label}`);
    return nodes;
  };
  const labels = stores.map((s) => s.label);
  let ip = 0;
  const freshIp = () => `10.77.${Math.floor(ip / 250)}.${(ip++ % 250) + 1}`;

  it.each(labels)('%s: wrong codes alternate between the nodes; past the limit both refuse, also the right code', async (label) => {
    const { a, b } = on(label);
    const id = (await start(a, person(), freshIp())).json().challengeId as string;
    for (let i = 0; i < CODE_ATTEMPTS_MAX; i++) expect(codeOf(await verify(i % 2 ? b : a, id, '123456'))).toBe('YEYAK_E_CODE_WRONG');
    expect(codeOf(await verify(a, id))).toBe('YEYAK_E_CHALLENGE_LOCKED');
    expect(codeOf(await verify(b, id))).toBe('YEYAK_E_CHALLENGE_LOCKED');
  });

  it.each(labels)('%s: parallel guesses on both nodes at once: exactly the limit is judged', async (label) => {
    const { a, b } = on(label);
    const id = (await start(b, person(), freshIp())).json().challengeId as string;
    const answers = (await Promise.all(Array.from({ length: 4 * CODE_ATTEMPTS_MAX }, (_, i) => verify(i % 2 ? a : b, id, '123456')))).map(codeOf);
    expect(answers.filter((c) => c === 'YEYAK_E_CODE_WRONG')).toHaveLength(CODE_ATTEMPTS_MAX);
    expect(answers.filter((c) => c === 'YEYAK_E_CHALLENGE_LOCKED')).toHaveLength(3 * CODE_ATTEMPTS_MAX);
  });

  it.each(labels)('%s: one challenge verified on both nodes at once → one session, one person row; the loser 404', async (label) => {
    const { a, b, db } = on(label);
    const who = person();
    const id = (await start(a, who, freshIp())).json().challengeId as string;
    const heldA = holdChecks(a, 1);
    const heldB = holdChecks(b, 1);
    let answers: LightMyRequestResponse[];
    try {
      const both = Promise.all([verify(a, id), verify(b, id)]);
      await Promise.all([heldA.inside, heldB.inside]);
      heldA.release();
      heldB.release();
      answers = await both;
    } finally {
      heldA.restore();
      heldB.restore();
    }
    expect(answers.map(codeOf).sort()).toEqual(['YEYAK_E_CHALLENGE_NOT_FOUND', 'ok']);
    expect(answers.flatMap((r) => r.cookies).filter((c) => c.name === 'yeyak_session')).toHaveLength(1);
    const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM person WHERE phone = $1', [who.phone.replaceAll('-', '')]);
    expect(rows.rows[0]?.n).toBe(1);
    expect(codeOf(await verify(b, id))).toBe('YEYAK_E_CHALLENGE_NOT_FOUND');
  });

  it.each(labels)('%s: the start limits count across the nodes — per person, per phone, per address', async (label) => {
    const { a, b } = on(label);
    const who = person();
    for (let i = 0; i < PER_PERSON; i++) expect((await start(i % 2 ? b : a, who, freshIp())).statusCode).toBe(201);
    expect((await start(b, who, freshIp())).json().error).toMatchObject({ code: 'YEYAK_E_RATE_LIMITED', details: { limit: 'person' } });

    const phone = person().phone;
    for (let i = 0; i < PER_PHONE; i++) expect((await start(i % 2 ? a : b, { ...person(), phone }, freshIp())).statusCode).toBe(201);
    expect((await start(a, { ...person(), phone }, freshIp())).json().error).toMatchObject({ code: 'YEYAK_E_RATE_LIMITED', details: { limit: 'phone' } });

    const address = freshIp();
    for (let i = 0; i < PER_IP; i++) expect((await start(i % 2 ? b : a, person(), address)).statusCode).toBe(201);
    expect((await start(a, person(), address)).json().error).toMatchObject({ code: 'YEYAK_E_RATE_LIMITED', details: { limit: 'ip' } });
  });

  it('the challenge keys expire with the challenge (no key without a TTL)', async () => {
    const { a } = on('PGlite');
    const id = (await start(a, person(), freshIp())).json().challengeId as string;
    expect(codeOf(await verify(a, id, '123456'))).toBe('YEYAK_E_CODE_WRONG');
    const keys = await redis.keys(`${prefix}0:*`);
    const challengeKeys = keys.filter((k) => k.includes('{'));
    expect(challengeKeys.length).toBeGreaterThan(0);
    for (const k of challengeKeys) expect(await redis.pttl(k), k).toBeGreaterThan(0);
  });
});
