import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { isServerDbError, sanitized, toDbError } from './db-errors.ts';

/**
 * One SQL dialect, PostgreSQL, two engines: PGlite in-process (the embedded default) and a
 * PostgreSQL server through a pg pool. Both return `date` as 'YYYY-MM-DD' strings and `int8` as
 * numbers, so no code depends on which engine answered.
 */
export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; any throw rolls it back. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a multi-statement SQL script (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
  /** A human description without credentials, e.g. "PGlite (./.yeyak/db)". */
  describe(): string;
  /** Requests waiting for a connection (0 for PGlite, whose queue is internal). */
  poolWaiting(): number;
}

const OID_INT8 = 20;
const OID_DATE = 1082;
const parseInt8 = (v: string) => Number(v);
const keepDate = (v: string) => v;

export interface OpenDbOptions {
  databaseUrl: string | null;
  dataDir: string;
  poolMax?: number;
  statementTimeoutMs?: number;
}

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openPglite(opts.dataDir);
}

/** An embedded store; `dumpDataDir` copies its data directory as a tarball (tests start from one). */
export interface PgliteDb extends Db {
  readonly kind: 'pglite';
  dumpDataDir(): Promise<Blob>;
}

/** `loadDataDir`: a tarball from `dumpDataDir` to start from instead of an empty database (initdb). */
export async function openPglite(dataDir: string, opts: { loadDataDir?: Blob } = {}): Promise<PgliteDb> {
  let location: string;
  if (dataDir === 'memory:' || dataDir === 'memory://') {
    location = 'memory://';
  } else {
    location = resolve(dataDir, 'pgdata');
    mkdirSync(location, { recursive: true });
  }
  const lite = await PGlite.create(location === 'memory://' ? undefined : location, {
    parsers: { [OID_INT8]: parseInt8, [OID_DATE]: keepDate },
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
  });
  const description = location === 'memory://' ? 'PGlite (in memory)' : `PGlite (${location})`;
  return {
    kind: 'pglite',
    query: async <T>(text: string, params?: unknown[]) => {
      // Errors leave as DbError (db-errors.ts): never the parameters, the row or the statement.
      const r = await sanitized(text, () => lite.query<T>(text, params));
      return { rows: r.rows };
    },
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      lite
        .transaction(async (tx) =>
          fn({
            query: async <R>(text: string, params?: unknown[]) => ({ rows: (await sanitized(text, () => tx.query<R>(text, params))).rows }),
          }),
        )
        // BEGIN/COMMIT's own failures; what fn threw (a DbError, a YeyakError) passes unchanged.
        .catch((e: unknown) => {
          throw isServerDbError(e) ? toDbError(e, 'COMMIT') : e;
        }),
    exec: async (sql: string) => {
      try {
        await lite.exec(sql);
      } catch (e) {
        await lite.exec('ROLLBACK').catch(() => undefined);
        throw e;
      }
    },
    close: () => lite.close(),
    describe: () => description,
    poolWaiting: () => 0,
    dumpDataDir: () => lite.dumpDataDir('none'),
  };
}

/**
 * A client checked out of the pool (a transaction, a script). The pool listens for a dropped
 * connection only while a client is idle or inside pool.query; a checked-out client whose server
 * goes away (a PostgreSQL restart, 57P01) emits 'error', which with no listener ends the process —
 * every node with a transaction open would die with the database (the fault suite, test/faults).
 * Here the query in flight fails with its error as usual, and a client that broke is destroyed on
 * release instead of going back to the pool.
 */
function holdClient(client: pg.PoolClient): { broke: (e: unknown) => void; release: () => void } {
  let broken: Error | undefined;
  const onError = (e: Error) => (broken ??= e);
  client.on('error', onError);
  return {
    broke: (e) => (broken ??= e instanceof Error ? e : new Error(String(e))),
    release: () => {
      client.removeListener('error', onError);
      client.release(broken);
    },
  };
}

export async function openPostgres(url: string, opts: Partial<OpenDbOptions> = {}): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolMax ?? 16,
    statement_timeout: opts.statementTimeoutMs ?? 5_000,
    types: {
      getTypeParser: ((oid: number, format?: string) => {
        if (oid === OID_INT8) return parseInt8;
        if (oid === OID_DATE) return keepDate;
        return pg.types.getTypeParser(oid, format as 'text');
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => undefined);
  const safeUrl = new URL(url);
  const description = `PostgreSQL (${safeUrl.hostname}:${safeUrl.port || 5432}${safeUrl.pathname})`;
  return {
    kind: 'postgres',
    query: async <T>(text: string, params?: unknown[]) => {
      const r = await sanitized(text, () => pool.query(text, params as unknown[]));
      return { rows: r.rows as T[] };
    },
    transaction: async <T>(fn: (tx: Queryable) => Promise<T>) => {
      const client = await sanitized('BEGIN', () => pool.connect());
      const held = holdClient(client);
      try {
        await sanitized('BEGIN', () => client.query('BEGIN'));
        const result = await fn({
          query: async <R>(text: string, params?: unknown[]) => ({ rows: (await sanitized(text, () => client.query(text, params as unknown[]))).rows as R[] }),
        });
        await sanitized('COMMIT', () => client.query('COMMIT'));
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(held.broke);
        throw e;
      } finally {
        held.release();
      }
    },
    exec: async (sql: string) => {
      const client = await pool.connect();
      const held = holdClient(client);
      try {
        await client.query(sql);
      } catch (e) {
        // A failed script may leave its explicit transaction open; never hand that client back.
        await client.query('ROLLBACK').catch(held.broke);
        throw e;
      } finally {
        held.release();
      }
    },
    close: () => pool.end(),
    describe: () => description,
    poolWaiting: () => pool.waitingCount,
  };
}
