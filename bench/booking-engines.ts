/**
 * bench:booking's engines (bench/booking.ts): PGlite in memory, or a PostgreSQL database created
 * for the run and dropped after it; and the probe that flags a round disturbed by a long
 * transaction elsewhere on the server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { defaults } from '../src/core/config.ts';
import { openPglite, openPostgres, type Db } from '../src/core/db.ts';

export interface Engine {
  label: string;
  version: string;
  notes: string[];
  /** The booking path's Db (PostgreSQL: a pool sized like production's dbPoolMax). */
  db: Db;
  /** The baseline's Db (PostgreSQL: a pool with one connection per client). */
  baselineDb: Db;
  /** PostgreSQL: what else on the server could skew a measurement (see Disturbance). */
  disturbance?: () => Promise<Disturbance | null>;
  close(): Promise<void>;
}

/**
 * A transaction open for seconds anywhere on the server (any database) holds back the xmin horizon
 * of every snapshot, so the hot row's old versions cannot be pruned and each UPDATE walks a growing
 * chain. On a shared machine another bench or test can do that; such rounds are flagged.
 */
export interface Disturbance {
  database: string;
  ageS: number;
}

/** Samples `probe` every second while `fn` runs; returns the worst disturbance seen. */
export async function watched<T>(probe: Engine['disturbance'], fn: () => Promise<T>): Promise<{ result: T; disturbance: Disturbance | null }> {
  if (!probe) return { result: await fn(), disturbance: null };
  let worst: Disturbance | null = null;
  const sample = async () => {
    const d = await probe().catch(() => null);
    if (d && (!worst || d.ageS > worst.ageS)) worst = d;
  };
  await sample();
  const timer = setInterval(() => void sample(), 1_000);
  try {
    const result = await fn();
    await sample();
    return { result, disturbance: worst };
  } finally {
    clearInterval(timer);
  }
}

export function disturbanceText(d: Disturbance | null | undefined): string {
  return d ? ` [DISTURBED: a transaction in database ${d.database} was open ${d.ageS.toFixed(0)} s]` : '';
}

async function serverVersion(db: Db): Promise<string> {
  const r = await db.query<{ v: string }>('SELECT version() AS v');
  return r.rows[0]?.v ?? '?';
}

export async function openPgliteEngine(clients: number): Promise<Engine> {
  const db = await openPglite('memory:');
  const version = await serverVersion(db);
  return {
    label: `PGlite ${/PGlite ([0-9.]+)/.exec(version)?.[1] ?? ''} (in memory)`.replace('  ', ' '),
    version,
    notes: [
      `PGlite is one single-user backend in this process: the ${clients} clients' statements (baseline and batches alike) run one at a time, and an in-memory store never waits for a WAL flush.`,
      'So the baseline here is pure per-statement cost, with no commit latency for batching to amortise.',
    ],
    db,
    baselineDb: db,
    close: () => db.close(),
  };
}

export async function openPostgresEngine(url: string, clients: number, inFlightMax: number): Promise<Engine> {
  const name = `yeyak_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const benchUrl = new URL(url);
  benchUrl.pathname = `/${name}`;
  let db: Db | null = null;
  let baselineDb: Db | null = null;
  const dropDatabase = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => c.query(`DROP DATABASE IF EXISTS ${name}`));
    } finally {
      await c.end();
    }
  };
  try {
    db = await openPostgres(benchUrl.toString(), { poolMax: defaults.dbPoolMax, statementTimeoutMs: defaults.statementTimeoutMs });
    baselineDb = await openPostgres(benchUrl.toString(), { poolMax: clients, statementTimeoutMs: defaults.statementTimeoutMs });
    const settings = await db.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('synchronous_commit', 'fsync', 'wal_sync_method', 'commit_delay', 'shared_buffers', 'max_connections')
        ORDER BY name`,
    );
    const safe = new URL(benchUrl);
    safe.password = '';
    return {
      label: `PostgreSQL (${safe.hostname}:${safe.port || 5432}${safe.pathname}, created for this run)`,
      version: await serverVersion(db),
      notes: [
        `server settings: ${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')}`,
        `booking path: one Batcher over a pool of ${defaults.dbPoolMax} (production dbPoolMax; inFlightMax ${inFlightMax} → ${inFlightMax === 1 ? 'one connection' : `up to ${inFlightMax} connections`} busy); baseline: a pool of ${clients}, one connection per client.`,
      ],
      db,
      baselineDb,
      disturbance: async () => {
        const r = await db!.query<{ datname: string; age: number }>(
          `SELECT coalesce(datname, '?') AS datname, extract(epoch FROM now() - xact_start)::float8 AS age
             FROM pg_stat_activity
            WHERE pid <> pg_backend_pid() AND datname IS DISTINCT FROM current_database()
              AND xact_start < now() - interval '2 seconds' AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)
            ORDER BY xact_start LIMIT 1`,
        );
        const row = r.rows[0];
        return row ? { database: row.datname, ageS: Number(row.age) } : null;
      },
      close: async () => {
        await Promise.allSettled([db?.close(), baselineDb?.close()]);
        await dropDatabase();
      },
    };
  } catch (e) {
    await Promise.allSettled([db?.close(), baselineDb?.close()]);
    await dropDatabase().catch(() => undefined);
    throw e;
  }
}
