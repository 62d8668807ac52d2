/**
 * A private PostgreSQL database per test file: created from DATABASE_URL's server, dropped in
 * afterAll. A database (not a schema) because a pg pool has many connections and each would need
 * its search_path set.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  /** DATABASE_URL with the path replaced by the new database's name. */
  readonly url: string;
  readonly name: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

const NAME_RE = /^[a-z_][a-z0-9_]{0,62}$/;

async function withAdmin<T>(baseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Needs DATABASE_URL (a role allowed to CREATE DATABASE); `prefix` names the database's purpose. */
export async function createTestDatabase(prefix = 'yeyak_test'): Promise<TestDatabase> {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) throw new Error('createTestDatabase: DATABASE_URL is not set');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  if (!NAME_RE.test(name)) throw new Error(`createTestDatabase: invalid database name ${JSON.stringify(name)}`);
  await withAdmin(baseUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      // WITH (FORCE) (PostgreSQL 13+) ends connections a test left open.
      await withAdmin(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
