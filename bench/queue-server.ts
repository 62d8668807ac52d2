/**
 * A server process for bench/queue.ts: `bare` (a Fastify handler that returns a small JSON
 * body, the baseline) or `yeyak` (the whole app on in-memory PGlite with the korea-2021-08
 * scenario, clock just after the 9 Aug opening). Prints `READY <port>` when listening.
 *
 * The yeyak server runs as a node does: the production logger (info, to stdout — the bench
 * reads and drops it), the admission controller and every background timer running, the line
 * open (not paused) and moving at 1 place/s behind a head of `--head` places, so every ticket the
 * bench polls is a waiting one. `--pow-bits N` asks joins for proof of work.
 */
import { parseArgs } from 'node:util';
import Fastify from 'fastify';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'bare' },
    port: { type: 'string', default: '0' },
    redis: { type: 'string' },
    'pow-bits': { type: 'string', default: '0' },
    head: { type: 'string', default: '20000' },
    'log-level': { type: 'string', default: 'info' },
    profile: { type: 'string' },
  },
});

const CAMPAIGN = 'korea-2021-08';

async function bare() {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ state: 'waiting', ahead: 1234, etaSeconds: 5, pollAfterMs: 2000 }));
  return app;
}

async function yeyak() {
  const { loadConfig } = await import('../src/core/config.ts');
  const { offsetClock } = await import('../src/core/clock.ts');
  const { openDb } = await import('../src/core/db.ts');
  const { migrate } = await import('../src/core/migrate.ts');
  const { seedScenario } = await import('../src/scenarios/seed.ts');
  const { buildApp } = await import('../src/app.ts');
  const { CampaignRegistry } = await import('../src/campaigns/registry.ts');
  const { loadCampaign } = await import('../src/campaigns/store.ts');
  const now = '2021-08-09T20:00:05+09:00';
  const logLevel = values['log-level'] as 'info';
  const config = loadConfig({ dataDir: 'memory:', now, joinPerIpPerMin: 1_000_000, logLevel, redisUrl: values.redis ?? null }, {});
  const clock = offsetClock(new Date(now));
  const db = await openDb({ databaseUrl: null, dataDir: 'memory:' });
  await migrate(db);
  await seedScenario(db, { scenario: CAMPAIGN, clinics: 20, clock });
  // The bench joins anonymously, by the thousand: the queue-first order (korea-2021-08 is verify-first).
  await db.query(`UPDATE campaign SET queue_order = 'queue-first' WHERE id = $1`, [CAMPAIGN]);
  let queueStore;
  let rateLimitStore;
  if (values.redis) {
    const campaigns = new CampaignRegistry();
    await campaigns.load(db);
    const factory = await import('../src/waiting-room/factory.ts');
    const made = await factory.createQueueStore(config, { db, campaigns, loadCampaign: (id) => loadCampaign(db, id), clock });
    queueStore = made.store;
    rateLimitStore = made.rateLimitStore;
  }
  // logger undefined: the app's own (config.logLevel, redaction), as `yeyak serve` runs it.
  const app = await buildApp(config, { db, clock, queueStore, rateLimitStore });
  const room = app.yeyak.waitingRoom.room;
  await room.configure(CAMPAIGN, { paused: false, ratePerS: 1, powBits: Number(values['pow-bits']) });
  // A head of places nobody polls: the line moves (1/s) but never reaches the bench's tickets.
  for (let i = 0; i < Number(values.head); i++) await room.issue(CAMPAIGN, false);
  return app;
}

/**
 * `--profile FILE`: a V8 CPU profile from SIGUSR2 to SIGTERM — the load only, not the start-up
 * (module loading, migrations and seeding on the embedded database would swamp it) nor the
 * bench's preparation.
 */
async function profiler(file: string): Promise<() => Promise<void>> {
  const inspector = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  let started: Promise<unknown> | null = null;
  process.on('SIGUSR2', () => void (started ??= session.post('Profiler.start')));
  return async () => {
    if (!started) return;
    await started;
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
  };
}

const app = values.mode === 'yeyak' ? await yeyak() : await bare();
await app.listen({ port: Number(values.port), host: '127.0.0.1' });
const stopProfile = values.profile ? await profiler(values.profile) : async () => {};
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : Number(values.port);
console.log(`READY ${port}`);
process.send?.({ ready: port });
process.on('SIGTERM', () => void stopProfile().then(() => app.close()).then(() => process.exit(0)));
