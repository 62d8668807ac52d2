/**
 * `DATABASE_URL` may name a database that does not exist yet (a first `npx yeyak migrate`): then
 * connect to the same server's `postgres` database and create it, with a log line. Anything else
 * (server down, wrong password, no CREATEDB right) is reported as it is.
 */
import pg from 'pg';

const INVALID_CATALOG_NAME = '3D000'; // "database … does not exist"
const DUPLICATE_DATABASE = '42P04'; // another process created it first: fine
// Two CREATE DATABASE at the same moment (nodes starting at once): the later one fails on the
// catalogue's unique index instead of with 42P04 — the database exists all the same.
const UNIQUE_VIOLATION = '23505';
const DATABASE_NAME_INDEX = 'pg_database_datname_index';
const CONNECT_TIMEOUT_MS = 10_000;
const MAINTENANCE_DB = 'postgres';

function codeOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The database named by `url`, without credentials: "yeyak on 127.0.0.1:5432". */
export function describeDatabase(url: string): string {
  const u = new URL(url);
  return `${databaseName(url)} on ${u.hostname}:${u.port || 5432}`;
}

function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  return name === '' ? (new URL(url).username || MAINTENANCE_DB) : name;
}

/** True when it had to create the database. */
export async function ensureDatabase(url: string, log: (line: string) => void): Promise<boolean> {
  let where: string;
  try {
    where = describeDatabase(url);
  } catch {
    throw new Error('DATABASE_URL is not a valid URL (postgres://user@host:port/database)');
  }
  try {
    await withClient(url, async () => undefined);
    return false;
  } catch (e) {
    // Not reachable, or refused: say which server and what to check, not the driver's words alone.
    if (codeOf(e) !== INVALID_CATALOG_NAME) {
      throw new Error(`cannot use the PostgreSQL database ${where} (DATABASE_URL): ${e instanceof Error ? e.message : String(e)} — is the server running, and are the host, port, user and database right?`);
    }
  }
  const name = databaseName(url);
  const admin = new URL(url);
  admin.pathname = `/${MAINTENANCE_DB}`;
  try {
    // An identifier cannot be a bind parameter: quote it (doubling any quote inside).
    await withClient(admin.toString(), (c) => c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`));
  } catch (e) {
    if (codeOf(e) === DUPLICATE_DATABASE) return false;
    if (codeOf(e) === UNIQUE_VIOLATION && (e as { constraint?: unknown }).constraint === DATABASE_NAME_INDEX) return false;
    throw new Error(`database ${describeDatabase(url)} does not exist and could not be created (${e instanceof Error ? e.message : String(e)}); create it with: createdb ${name}`);
  }
  log(`Created database ${describeDatabase(url)} (it did not exist).`);
  return true;
}
