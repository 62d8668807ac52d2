import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { isLoopbackHost, type Config } from './core/config.ts';
import { createServer } from 'node:net';
import { offsetClock, StartableClock, systemClock, type Clock } from './core/clock.ts';
import { openDb, type Db } from './core/db.ts';
import { ensureDatabase } from './core/ensure-database.ts';
import { migrate } from './core/migrate.ts';
import { SCENARIOS, seedScenario, type ScenarioName, type SeedStep } from './scenarios/seed.ts';
import { rollDemoForward } from './scenarios/demo-refresh.ts';
import { createQueueStore, type QueueStoreHandle } from './waiting-room/factory.ts';
import { loadCampaign } from './campaigns/store.ts';
import { isMemoryDir, resolveSecrets } from './core/secrets.ts';
import { lockDataDir, type DataDirLock } from './core/data-dir-lock.ts';
import { RetentionJob } from './operations/retention.ts';
import { ensureWebBuilt } from './pages/build.ts';

/**
 * With YEYAK_NOW: a clock that reads that instant until the server begins to serve (serve()
 * starts it after seeding and building the app), then runs forward. Commands that do not serve
 * (seed, staff) read the instant itself.
 */
export function clockFor(config: Config, base: Clock = systemClock): Clock {
  return config.now ? new StartableClock(new Date(config.now), base) : base;
}

/** A start-up failure with its fix in the message: the CLI prints it without a stack trace. */
export class StartError extends Error {
  override name = 'StartError';
}

const storeLocks = new WeakMap<Db, DataDirLock>();

/**
 * Opens the configured store (creating a missing PostgreSQL database) and migrates it. An
 * embedded store on disk is locked for this process first (src/core/data-dir-lock.ts): a second
 * process on the same directory is refused, naming the first; closing the store releases it.
 */
export async function openStore(config: Config, log: (line: string) => void = console.log, command = 'serve'): Promise<Db> {
  const lock = config.databaseUrl || isMemoryDir(config.dataDir) ? null : lockDataDir(config.dataDir, command);
  let db: Db | null = null;
  try {
    if (config.databaseUrl) await ensureDatabase(config.databaseUrl, log);
    db = await openDb({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolMax: config.dbPoolMax,
      statementTimeoutMs: config.statementTimeoutMs,
    });
    await migrate(db);
  } catch (e) {
    await db?.close().catch(() => undefined);
    lock?.release();
    throw e;
  }
  if (!lock) return db;
  const opened = db;
  const locked: Db = { ...opened, close: () => opened.close().finally(() => lock.release()) };
  storeLocks.set(locked, lock);
  return locked;
}

export interface ServeOptions {
  log?: (line: string) => void;
  /** --scenario or YEYAK_SCENARIO was given: a store that does not hold it is refused. */
  scenarioExplicit?: boolean;
  /** Clinics to seed into an empty store (default: the scenario's). */
  seedClinics?: number;
  onSeedProgress?: (step: SeedStep, done: number, total: number) => void;
  /** The clock YEYAK_NOW runs on (tests); default the system clock. */
  baseClock?: Clock;
  /**
   * This process is one worker of `serve --workers` (src/cli/workers.ts): the primary checked the
   * port (which it holds for every worker) and prepared the store, and with YEYAK_NOW every worker,
   * a restarted one too, runs one clock: it read YEYAK_NOW at `clockAnchorMs` of the base clock.
   */
  worker?: { clockAnchorMs: number };
}

/** The response header naming the node (and worker) that answered: `<host>:<pid>:<random>`. */
export const NODE_HEADER = 'yeyak-node';

/** The configured keys, or the data directory's (src/core/secrets.ts); a shared store without them is refused. */
function resolveKeys(given: Config, log: (line: string) => void): Config {
  const keys = resolveSecrets(given);
  if (keys.created) log(`Generated this store's keys in ${keys.file} (mode 0600; back it up with the store: without it nobody stored can be found again).`);
  if (keys.warning) log(`WARNING: ${keys.warning}`);
  return keys.config;
}

function serveClock(config: Config, opts: ServeOptions): Clock {
  const anchorMs = opts.worker?.clockAnchorMs;
  if (!config.now || anchorMs === undefined) return clockFor(config, opts.baseClock);
  const base = opts.baseClock ?? systemClock;
  return offsetClock(new Date(Date.parse(config.now) + (base.nowMs() - anchorMs)), base);
}

/**
 * What `serve --workers` does once, in the primary, before it forks: the keys, the store (opened,
 * migrated, seeded or checked, rolled forward), the port, the pages. The store is closed again.
 */
export async function prepareToServe(given: Config, opts: ServeOptions = {}): Promise<{ config: Config; store: string }> {
  const log = opts.log ?? console.log;
  const config = resolveKeys(given, log);
  const db = await openStore(config, log);
  try {
    await assertPortFree(config.host, config.port);
    await prepareStore(db, config, clockFor(config, opts.baseClock), opts, log);
    await ensureWebBuilt({ log });
    return { config, store: db.describe() };
  } finally {
    await db.close();
  }
}

/**
 * Opens the store, seeds the scenario when empty (or checks that the store holds it), rolls the
 * demo forward to today, builds the app, listens — and only then starts a YEYAK_NOW clock.
 * Drains on SIGTERM/SIGINT.
 */
export async function serve(given: Config, opts: ServeOptions = {}): Promise<FastifyInstance> {
  const log = opts.log ?? console.log;
  // Keys: set, or kept in the data directory; a shared store without them is refused here.
  const config = resolveKeys(given, log);
  const clock = serveClock(config, opts);
  // The store's lock first (a second process on it is the likelier mistake, and names the other
  // process), then the port — both before any seeding.
  const db = await openStore(config, log);
  try {
    if (!opts.worker) await assertPortFree(config.host, config.port);
    await prepareStore(db, config, clock, opts, log);
    // The pages come with the package (npm's prepare step); rebuilt here only when missing or stale.
    await ensureWebBuilt({ log });
  } catch (e) {
    await db.close();
    throw e;
  }
  // Until the app's logger exists, store events go to the start-up log.
  let storeLog = (msg: string, fields: Record<string, unknown>) => log(`${msg} ${JSON.stringify(fields)}`);
  // The waiting room's store (Redis when configured) is made from the services' own campaigns.
  let queue: QueueStoreHandle | null = null;
  let app: FastifyInstance;
  try {
    app = await buildApp(config, {
      db,
      clock,
      queue: async (campaigns) =>
        (queue = await createQueueStore(config, { db, campaigns, loadCampaign: (id) => loadCampaign(db, id), clock, log: (msg, fields) => storeLog(msg, fields) })),
    });
  } catch (e) {
    await (queue as QueueStoreHandle | null)?.close();
    throw e;
  }
  storeLog = (msg, fields) => app.log.warn(fields, msg);
  // Which node answered, on every response (behind a balancer: logs, test/scaling). Set on the raw
  // response before Fastify sees the request: no hook runs for it.
  const nodeId = app.yeyak.waitingRoom.nodeId;
  app.server.prependListener('request', (_request, response) => response.setHeader(NODE_HEADER, nodeId));
  const retention = new RetentionJob(db, clock, config);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'draining');
    const force = setTimeout(() => process.exit(1), config.shutdownGraceMs);
    force.unref();
    void Promise.all([retention.stop(), app.yeyak.audit.stop()])
      .then(() => app.close()) // closes the waiting room's store too
      .then(() => db.close())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (e) {
    await app.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw listenError(e, config.port);
  }
  if (clock instanceof StartableClock) clock.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  retention.start((e) => app.log.warn({ err: e instanceof Error ? e.name : 'unknown' }, 'retention run failed'));
  // One node per round audits the store (src/operations/audit-job.ts); YEYAK_AUDIT_INTERVAL_MS=0: none.
  app.yeyak.audit.start((e) => app.log.warn({ err: e instanceof Error ? e.name : 'unknown' }, 'invariant audit round failed'));
  storeLocks.get(db)?.setUrl(`http://${localHost(config.host)}:${port}`);
  log(identityLine(config));
  log(`yeyak is serving on http://localhost:${port}  (store: ${db.describe()}, waiting room: ${app.yeyak.waitingRoom.store.kind}${config.now ? `, clock started at ${config.now}` : ''})`);
  if (config.adminTokenGenerated) log(`Admin token for /api/v1/admin (set YEYAK_ADMIN_TOKEN to choose one): ${config.adminToken}`);
  return app;
}

/** Seeds an empty store; otherwise says what it holds and refuses an explicit scenario it lacks. */
async function prepareStore(db: Db, config: Config, clock: Clock, opts: ServeOptions, log: (line: string) => void): Promise<void> {
  const scenario = config.scenario as ScenarioName;
  if (!(SCENARIOS as readonly string[]).includes(scenario)) {
    throw new StartError(`unknown scenario "${config.scenario}"; known: ${SCENARIOS.join(', ')}`);
  }
  let held = await campaignIds(db);
  if (held.length === 0) {
    log(`Empty store: seeding scenario "${scenario}"…`);
    try {
      const summary = await seedScenario(db, {
        scenario,
        clock,
        rrnSecret: config.rrnHashSecret,
        ...(opts.seedClinics !== undefined ? { clinics: opts.seedClinics } : {}),
        ...(opts.onSeedProgress ? { onProgress: opts.onSeedProgress } : {}),
      });
      log(`Seeded ${summary.campaignId}: ${summary.clinics} clinics, ${summary.slots} slots.`);
    } catch (e) {
      // Nodes started together on one empty database: the seeding transactions wait on each
      // other's rows, one commits and the others fail on its unique keys — and serve what it seeded.
      if ((await campaignIds(db)).length === 0) throw e;
      log('Another node seeded the store meanwhile.');
    }
    held = await campaignIds(db);
  }
  log(`Store ${db.describe()} holds: ${held.join(', ')}`);
  if (opts.scenarioExplicit && !held.includes(scenario)) throw new StartError(missingScenario(db, config, held, scenario));
  if (held.includes('demo')) {
    const rolled = await rollDemoForward(db, clock);
    if (rolled) {
      log(`Demo rolled forward to today: bookable until ${rolled.lastShotDay} (${rolled.daysAdded} new days × ${rolled.clinics} clinics).`);
    }
  }
}

async function campaignIds(db: Db): Promise<string[]> {
  const r = await db.query<{ id: string }>('SELECT id FROM campaign ORDER BY id');
  return r.rows.map((row) => row.id);
}

function missingScenario(db: Db, config: Config, held: string[], scenario: string): string {
  const elsewhere = config.databaseUrl
    ? `DATABASE_URL=postgres://…/${scenario.replace(/-/g, '_')} npx yeyak serve --scenario ${scenario}`
    : `YEYAK_DATA_DIR=./.yeyak-${scenario} npx yeyak serve --scenario ${scenario}  (or YEYAK_DATA_DIR=memory:)`;
  return (
    `store ${db.describe()} holds ${held.join(', ')}, not ${scenario}. ` +
    `Serve it from its own store: ${elsewhere}; or add it to this store first: npx yeyak seed --scenario ${scenario}`
  );
}

/** Fails before seeding (which can take a minute) when the port is taken. */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e) => reject(listenError(e, port)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function listenError(e: unknown, port: number): Error {
  const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  const other = port < 65535 ? port + 1 : 8080;
  const pick = `pick another: PORT=${other} npm start, or npx yeyak serve --port ${other}`;
  if (code === 'EADDRINUSE') return new StartError(`port ${port} is already in use (another yeyak, or another program, listens there); ${pick}`);
  if (code === 'EACCES') return new StartError(`not allowed to listen on port ${port} (ports below 1024 need privileges); ${pick}`);
  return e instanceof Error ? e : new Error(String(e));
}

/** Where a process on this host reaches the server (for `yeyak staff add --server`). */
function localHost(host: string): string {
  if (host === '::1' || host === '[::1]') return '[::1]';
  return isLoopbackHost(host) || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

function identityLine(config: Config): string {
  if (config.identity === 'sandbox') {
    return 'Identity: SANDBOX — the code 000000 verifies anyone (every answer carries Yeyak-Sandbox: identity). Not for real people.';
  }
  // A method with no service (YEYAK_IDENTITY_HTTP_URL, or its url in YEYAK_IDENTITY_PROVIDERS) is unavailable.
  return config.identityHttpUrl
    ? `Identity: the verification service at ${new URL(config.identityHttpUrl).origin}`
    : 'Identity: only methods with a url in YEYAK_IDENTITY_PROVIDERS (none unless set; YEYAK_IDENTITY=sandbox for a demo)';
}
