import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/core/config.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { openDb, type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { seedScenario } from '../../src/scenarios/seed.ts';
import { openPgliteCopy } from './pglite-copies.ts';
import type { QueueStore } from '../../src/waiting-room/store.ts';

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  clock: FakeClock;
  config: Config;
  /**
   * Verifies a synthetic person through the sandbox and returns the session token. `device`: the
   * server-minted device id to verify on (e.g. from an anonymous queue join); without one the
   * session's device is the one the server derives for the test client.
   */
  login(rrn: string, name?: string, device?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The synthetic phone of a test person, derived from their RRN (deterministic): the sandbox's CI is
 * the name + phone, so people who share a phone and name would be one person (issue #7).
 */
export function phoneOf(rrn: string): string {
  // 6 carrier prefixes × 10^8 numbers: two test people share a phone with odds ~n²/1.2e9.
  const n = parseInt(createHash('sha256').update(rrn.replace('-', '')).digest('hex').slice(0, 12), 16) % 600_000_000;
  const prefix = ['010', '011', '016', '017', '018', '019'][Math.floor(n / 100_000_000)] ?? '010';
  const digits = String(n % 100_000_000).padStart(8, '0');
  return `${prefix}-${digits.slice(0, 4)}-${digits.slice(4)}`;
}

/** A synthetic RRN for birth date `YYYY-MM-DD`, a Korean resident; `serial` makes it unique. */
export function syntheticRrn(birthDate: string, serial: number, sex: 'M' | 'F' = 'M'): string {
  const [y, m, d] = birthDate.split('-') as [string, string, string];
  const century = Number(y) >= 2000 ? (sex === 'M' ? 3 : 4) : sex === 'M' ? 1 : 2;
  return `${y.slice(2)}${m}${d}-${century}${String(serial % 1_000_000).padStart(6, '0')}`;
}

export interface TestAppOptions {
  now?: string;
  databaseUrl?: string | null;
  scenario?: 'demo' | 'korea-2021-08';
  clinics?: number;
  config?: Record<string, string | number>;
  /** false: the store is already seeded (a second node on the same database). */
  seed?: boolean;
  /** Fastify logger options (default: silent). */
  logger?: import('fastify').FastifyServerOptions['logger'];
  /** Runs after seeding, before the app (and its availability view) is built. */
  beforeBuild?: (db: Db) => Promise<void>;
  /** The waiting-room store (e.g. Redis, shared by several nodes), or a maker given the node's db and clock. */
  queueStore?: QueueStore | ((db: Db, clock: FakeClock) => QueueStore | Promise<QueueStore>);
}

/**
 * The operator token of every test app in this process. Random per test process, like the keys
 * below: a key written in the repository would be a published key, which a server must refuse.
 */
export const TEST_ADMIN_TOKEN = randomBytes(24).toString('base64url');

/** The keys of every test app in this process: fixed within it, so test nodes on one store agree. */
export const TEST_KEYS = {
  adminToken: TEST_ADMIN_TOKEN,
  rrnHashSecret: randomBytes(32).toString('base64url'),
  sessionSecret: randomBytes(32).toString('base64url'),
  queueKeys: `test:${randomBytes(32).toString('base64url')}`,
} as const;

export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const clock = new FakeClock(opts.now ?? '2026-11-26T12:00:00+09:00');
  // identity 'sandbox' chosen: on PostgreSQL it is not the default (src/core/config.ts). The keys
  // are fixed so that several test nodes on one store agree (unset, each node's would be random).
  // The outbox worker is off (notifyIntervalMs 0): tests run its passes by hand (test/notifications/).
  const config = loadConfig({ dataDir: 'memory:', databaseUrl: opts.databaseUrl ?? null, identity: 'sandbox', notifyIntervalMs: 0, ...TEST_KEYS, ...opts.config }, {});
  const seed = opts.seed === false ? null : { scenario: opts.scenario ?? 'demo', clock, seed: 7, ...(opts.clinics ? { clinics: opts.clinics } : {}) };
  let db: Db;
  if (!config.databaseUrl && config.dataDir === 'memory:') {
    // From a copy of a store migrated and seeded the same way (test/helpers/pglite-copies.ts).
    db = await openPgliteCopy(seed);
    await migrate(db); // applies nothing: the copy is of this build's migrations
  } else {
    db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 20 });
    await migrate(db);
    if (seed) await seedScenario(db, seed);
  }
  await opts.beforeBuild?.(db);
  const queueStore = typeof opts.queueStore === 'function' ? await opts.queueStore(db, clock) : opts.queueStore;
  const app = await buildApp(config, { db, clock, logger: opts.logger ?? false, startController: false, queueStore });
  const login = async (rrn: string, name = '테스트', device?: string) => {
    const start = await app.inject({ method: 'POST', url: '/api/v1/identity/challenges', payload: { method: 'phone', name, rrn, phone: phoneOf(rrn) } });
    if (start.statusCode !== 201) throw new Error(`challenge failed: ${start.body}`);
    const verify = await app.inject({
      method: 'POST',
      url: `/api/v1/identity/challenges/${start.json().challengeId}/verify`,
      ...(device !== undefined ? { headers: { 'yeyak-device': device } } : {}),
      payload: { code: '000000' },
    });
    if (verify.statusCode !== 200) throw new Error(`verify failed: ${verify.body}`);
    return verify.json().sessionToken as string;
  };
  return {
    app,
    db,
    clock,
    config,
    login,
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

/** A promise with its resolver outside: races are started by resolving a gate, never by sleeping. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Goes through the waiting room like a citizen: join with the session, let the admission
 * controller step, poll status until admitted. Returns the headers a booking write needs, or
 * null when the line does not admit (e.g. before the opening).
 */
export async function admit(t: TestApp, sessionToken: string, campaignId: string, ticksMax = 5): Promise<Record<string, string> | null> {
  const join = await t.app.inject({
    method: 'POST',
    url: `/api/v1/campaigns/${campaignId}/queue`,
    headers: { authorization: `Bearer ${sessionToken}` },
  });
  if (join.statusCode !== 201) throw new Error(`join failed: ${join.body}`);
  const { ticket, device } = join.json() as { ticket: string; device: string };
  const { controller, room } = t.app.yeyak.waitingRoom;
  for (let i = 0; i < ticksMax; i++) {
    await controller.tickAll();
    room.invalidate(campaignId);
    const status = await t.app.inject({ method: 'GET', url: '/api/v1/queue/status', headers: { authorization: `Bearer ${ticket}` } });
    const body = status.json() as { state: string; pass?: string };
    if (body.state === 'admitted' && body.pass) return { 'yeyak-pass': body.pass, 'yeyak-device': device };
  }
  return null;
}
