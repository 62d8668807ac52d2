/**
 * The fault suite's stores (test/faults): a private PostgreSQL instance and a private, durable
 * redis-server, each on its own port in a temp directory, that the suite stops and starts on
 * purpose. Private rather than the machine's services: `npm run test:faults` runs alone in CI, but
 * on a developer's machine (and here, where other suites run at the same time) restarting the
 * shared PostgreSQL or Redis would break everyone else's tests mid-run.
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './cluster.ts';
import { startRedisServer } from './redis.ts';
import { machineMonotonicMs } from '../../src/core/clock.ts';

const run = promisify(execFile);

/** Polls `check` until it returns true or `timeoutMs` passes; then throws `what` with the last error. */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>, everyMs = 100): Promise<void> {
  const deadline = machineMonotonicMs() + timeoutMs;
  let last: unknown = null;
  while (machineMonotonicMs() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface PrivatePostgres {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:PORT/<database> */
  url(database: string): string;
  /** `pg_ctl stop -m fast`: every connection is cut, as in a restart or a failover. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops and removes the data directory. */
  destroy(): Promise<void>;
}

/** PostgreSQL 15's binaries (Debian's layout), or null. */
export async function postgresBinDir(): Promise<string | null> {
  try {
    const { stdout } = await run('pg_config', ['--bindir']);
    return stdout.trim();
  } catch {
    const { readdirSync, existsSync } = await import('node:fs');
    const base = '/usr/lib/postgresql';
    if (!existsSync(base)) return null;
    const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
    return versions[0] ? join(base, versions[0], 'bin') : null;
  }
}

/**
 * initdb into a temp directory and start on a free port. PostgreSQL refuses to run as root, so as
 * root (CI here) it runs as the `postgres` user through runuser. fsync stays on: the faults must
 * meet PostgreSQL as production runs it.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await postgresBinDir();
  if (!bin) throw new Error('PostgreSQL binaries not found (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'yeyak-faults-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    chownSync(dir, uid, uid);
  }
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args));
  const port = await freePort();
  const data = join(dir, 'data');
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100`;
  const start = async () => {
    await as('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
  };
  const stop = async () => {
    await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
  };
  await start();
  let running = true;
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop: async () => {
      await stop();
      running = false;
    },
    start: async () => {
      await start();
      running = true;
    },
    destroy: async () => {
      if (running) await stop().catch(() => undefined);
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One connection to run the suite's checks with (closed by the caller). */
export async function pgClient(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined); // the suite restarts the server under it
  await c.connect();
  return c;
}

// ---------------------------------------------------------------------------------------------
// Redis

export interface DurableRedis {
  readonly port: number;
  readonly url: string;
  /** SHUTDOWN (the append-only file is flushed) and wait for the process to exit. */
  shutdown(): Promise<void>;
  /** Starts again on the same port and directory, and waits for PING: it loads its AOF first. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A private redis-server with the persistence production must run for the waiting room:
 * `--appendonly yes --appendfsync always` (every write on disk before it is answered), no RDB
 * snapshots. A restart then keeps the line exactly: tickets, admissions, passes and spent marks.
 */
export async function startDurableRedis(): Promise<DurableRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'yeyak-faults-redis-'));
  const server = await startRedisServer(['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']);
  return {
    port: server.port,
    url: server.url,
    shutdown: async () => {
      // SHUTDOWN: the server flushes its AOF and exits; redis-cli returns once it has closed the
      // connection, so the kill that follows only collects the process (or ends a stuck one).
      await run('redis-cli', ['-p', String(server.port), 'shutdown']).catch(() => undefined);
      await server.kill();
    },
    start: () => server.start(),
    destroy: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
