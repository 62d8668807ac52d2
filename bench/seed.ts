/**
 * `npm run bench:seed` — how long seeding takes, per step, so that a slow seed shows up here and
 * not as a timing assertion in a test (issue #7 moved "korea with 50 clinics under 30 s" out of
 * test/http/korea-clock.test.ts). Seeds korea-2021-08 (and the demo) into fresh in-memory PGlite
 * stores and, with --pg URL or DATABASE_URL, into fresh PostgreSQL databases (dropped after).
 *
 *   npm run bench:seed -- [--clinics 50,1000] [--rounds 3] [--pg postgres://…]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { FakeClock, machineMonotonicMs } from '../src/core/clock.ts';
import { openPglite, openPostgres, type Db } from '../src/core/db.ts';
import { migrate } from '../src/core/migrate.ts';
import { seedScenario, type ScenarioName, type SeedStep } from '../src/scenarios/seed.ts';
import { fmtMs, formatTable, loadAverage, machineDescription, median } from './lib.ts';

const { values } = parseArgs({
  options: {
    clinics: { type: 'string', default: '50,1000' },
    rounds: { type: 'string', default: '3' },
    pg: { type: 'string', default: process.env.DATABASE_URL ?? '' },
  },
});
const clinicCounts = (values.clinics ?? '50').split(',').map(Number);
const rounds = Number(values.rounds);
const CLOCK = new FakeClock('2021-08-01T12:00:00+09:00');

interface Engine {
  name: string;
  open(): Promise<{ db: Db; drop: () => Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'PGlite (memory)',
    open: async () => {
      const db = await openPglite('memory:');
      return { db, drop: async () => undefined };
    },
  },
];
if (values.pg) {
  const base = values.pg;
  engines.push({
    name: 'PostgreSQL',
    open: async () => {
      const name = `yeyak_bench_seed_${randomBytes(4).toString('hex')}`;
      const admin = async (sql: string) => {
        const c = new pg.Client({ connectionString: base });
        await c.connect();
        await c.query(sql).finally(() => c.end());
      };
      await admin(`CREATE DATABASE ${name}`);
      const url = new URL(base);
      url.pathname = `/${name}`;
      const db = await openPostgres(url.toString());
      return { db, drop: () => db.close().then(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
    },
  });
}

/** One seeding, timed per step (each step's start is the previous one's end). */
async function seedOnce(engine: Engine, scenario: ScenarioName, clinics: number): Promise<Record<SeedStep | 'total', number>> {
  const { db, drop } = await engine.open();
  try {
    await migrate(db);
    const times: Partial<Record<SeedStep | 'total', number>> = {};
    const started = machineMonotonicMs();
    let last = started;
    await seedScenario(db, {
      scenario,
      clinics,
      clock: CLOCK,
      onProgress: (step, done, total) => {
        if (done !== total) return;
        const now = machineMonotonicMs();
        times[step] = now - last;
        last = now;
      },
    });
    times.total = machineMonotonicMs() - started;
    return times as Record<SeedStep | 'total', number>;
  } finally {
    await drop();
  }
}

const steps: (SeedStep | 'total')[] = ['regions', 'clinics', 'supply', 'slots', 'total'];
console.log(`bench:seed — ${machineDescription()}; load ${loadAverage()}; median of ${rounds} rounds`);
const rows: string[][] = [];
for (const engine of engines) {
  for (const [scenario, counts] of [['demo', [300]], ['korea-2021-08', clinicCounts]] as const) {
    for (const clinics of counts) {
      const results: Record<SeedStep | 'total', number>[] = [];
      for (let r = 0; r < rounds; r++) results.push(await seedOnce(engine, scenario, clinics));
      rows.push([engine.name, scenario, String(clinics), ...steps.map((s) => fmtMs(median(results.map((x) => x[s]))))]);
    }
  }
}
console.log(formatTable(['engine', 'scenario', 'clinics', ...steps.map((s) => `${s} ms`)], rows));
