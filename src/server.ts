import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { Config } from './core/config.ts';
import { offsetClock, systemClock, type Clock } from './core/clock.ts';
import { openDb, type Db } from './core/db.ts';
import { migrate } from './core/migrate.ts';
import { isStoreEmpty, seedScenario } from './scenarios/seed.ts';
import { CampaignRegistry } from './campaigns/registry.ts';
import { createQueueStore } from './waiting-room/factory.ts';

export function clockFor(config: Config): Clock {
  return config.now ? offsetClock(new Date(config.now)) : systemClock;
}

export async function openStore(config: Config): Promise<Db> {
  const db = await openDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolMax: config.dbPoolMax,
    statementTimeoutMs: config.statementTimeoutMs,
  });
  await migrate(db);
  return db;
}

/** Opens the store, seeds the scenario when empty, listens, and drains on SIGTERM/SIGINT. */
export async function serve(config: Config, log: (line: string) => void = console.log): Promise<FastifyInstance> {
  const clock = clockFor(config);
  const db = await openStore(config);
  if (await isStoreEmpty(db)) {
    const scenario = config.scenario as 'demo' | 'korea-2021-08';
    log(`Empty store: seeding scenario "${scenario}"…`);
    const summary = await seedScenario(db, { scenario, clock });
    log(`Seeded ${summary.campaignId}: ${summary.clinics} clinics, ${summary.slots} slots.`);
  }
  const campaigns = new CampaignRegistry();
  await campaigns.load(db);
  // Until the app's logger exists, store events go to the start-up log.
  let storeLog = (msg: string, fields: Record<string, unknown>) => log(`${msg} ${JSON.stringify(fields)}`);
  const queue = await createQueueStore(config, { db, campaigns, clock, log: (msg, fields) => storeLog(msg, fields) });
  let app: FastifyInstance;
  try {
    app = await buildApp(config, { db, clock, queueStore: queue.store, rateLimitStore: queue.rateLimitStore });
  } catch (e) {
    await queue.close();
    throw e;
  }
  storeLog = (msg, fields) => app.log.warn(fields, msg);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'draining');
    const force = setTimeout(() => process.exit(1), config.shutdownGraceMs);
    force.unref();
    void app
      .close()
      .then(() => queue.close())
      .then(() => db.close())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log(`yeyak is serving on http://localhost:${port}  (store: ${db.describe()}, waiting room: ${queue.store.kind}${config.now ? `, clock from ${config.now}` : ''})`);
  if (config.adminTokenGenerated) log(`Admin token for /api/v1/admin (set YEYAK_ADMIN_TOKEN to choose one): ${config.adminToken}`);
  return app;
}
