/**
 * A server process for bench/queue.ts: `bare` (a Fastify handler that returns a small JSON
 * body, the baseline) or `yeyak` (the whole app on in-memory PGlite with the korea-2021-08
 * scenario, clock just after the 9 Aug opening). Prints `READY <port>` when listening.
 */
import { parseArgs } from 'node:util';
import Fastify from 'fastify';

const { values } = parseArgs({
  options: { mode: { type: 'string', default: 'bare' }, port: { type: 'string', default: '0' }, redis: { type: 'string' } },
});

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
  const config = loadConfig({ dataDir: 'memory:', now, joinPerIpPerMin: 1_000_000, logLevel: 'warn', redisUrl: values.redis ?? null }, {});
  const clock = offsetClock(new Date(now));
  const db = await openDb({ databaseUrl: null, dataDir: 'memory:' });
  await migrate(db);
  await seedScenario(db, { scenario: 'korea-2021-08', clinics: 20, clock });
  // The bench joins anonymously, by the thousand: the queue-first order (korea-2021-08 is verify-first).
  await db.query(`UPDATE campaign SET queue_order = 'queue-first' WHERE id = 'korea-2021-08'`);
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
  // Admission paused: every status poll is the common case, a citizen still waiting.
  const app = await buildApp(config, { db, clock, logger: false, queueStore, rateLimitStore, startController: false });
  await app.yeyak.waitingRoom.store.configure('korea-2021-08', { paused: true });
  return app;
}

const app = values.mode === 'yeyak' ? await yeyak() : await bare();
await app.listen({ port: Number(values.port), host: '127.0.0.1' });
const address = app.server.address();
console.log(`READY ${typeof address === 'object' && address ? address.port : values.port}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
