/**
 * Migrations are history (issue #8, started in #7's session): an applied file's checksum is kept
 * and a changed applied file is refused; a store migrated by a newer build is refused; two nodes
 * migrating one PostgreSQL database at once apply each file once.
 */
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/core/db.ts';
import { migrate, migrationsDir, MigrationError } from '../../src/core/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { openEmptyPglite } from '../helpers/pglite-copies.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A private copy of the migrations, free to edit. */
function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'yeyak-migrations-'));
  dirs.push(dir);
  cpSync(migrationsDir, dir, { recursive: true });
  return dir;
}

async function rows(db: Db): Promise<{ name: string; sha256: string | null }[]> {
  return (await db.query<{ name: string; sha256: string | null }>('SELECT name, sha256 FROM schema_migration ORDER BY name')).rows;
}

describe('migrations are history (PGlite)', () => {
  it('every applied file is recorded with its sha256; a second run applies nothing', async () => {
    const db = await openEmptyPglite();
    try {
      const first = await migrate(db);
      expect(first).toEqual(readdirSync(migrationsDir).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort());
      expect((await rows(db)).every((r) => /^[0-9a-f]{64}$/.test(r.sha256 ?? ''))).toBe(true);
      expect(await migrate(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('an applied file that changed since → refused, naming the file and what to do', async () => {
    const dir = copyOfMigrations();
    const db = await openEmptyPglite();
    try {
      await migrate(db, dir);
      appendFileSync(join(dir, '002_booking_functions.sql'), '\n-- an edit after the fact\n');
      await expect(migrate(db, dir)).rejects.toThrow(MigrationError);
      await expect(migrate(db, dir)).rejects.toThrow(/migrations\/002_booking_functions\.sql changed after it was applied.*new numbered file/);
    } finally {
      await db.close();
    }
  });

  it('a new numbered file is applied; a store that has a file this build lacks (a newer build) is refused', async () => {
    const dir = copyOfMigrations();
    const db = await openEmptyPglite();
    try {
      await migrate(db, dir);
      writeFileSync(join(dir, '900_later_change.sql'), 'CREATE TABLE later_change (id int);');
      expect(await migrate(db, dir)).toEqual(['900_later_change.sql']);
      // This build (the real directory) has no 900: the store is ahead of it.
      await expect(migrate(db)).rejects.toThrow(/migrated by a newer yeyak \(it has 900_later_change\.sql/);
    } finally {
      await db.close();
    }
  });

  it('a row from before checksums (sha256 NULL) takes the file checksum on its next run', async () => {
    const db = await openEmptyPglite();
    try {
      await migrate(db);
      await db.query("UPDATE schema_migration SET sha256 = NULL WHERE name = '001_schema.sql'");
      expect(await migrate(db)).toEqual([]);
      expect((await rows(db)).find((r) => r.name === '001_schema.sql')?.sha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await db.close();
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)('two nodes migrating one PostgreSQL database at once', () => {
  let pg: TestDatabase | null = null;
  afterAll(async () => pg?.drop());

  it('each file is applied exactly once, and both nodes start', async () => {
    pg = await createTestDatabase('yeyak_migrate');
    const nodes = await Promise.all([0, 1, 2].map(() => openDb({ databaseUrl: pg?.url ?? null, dataDir: 'memory:', poolMax: 4 })));
    try {
      const applied = await Promise.all(nodes.map((db) => migrate(db)));
      const all = applied.flat();
      expect(new Set(all).size).toBe(all.length); // no file applied by two nodes
      const recorded = await rows(nodes[0] as Db);
      expect(all.sort()).toEqual(recorded.map((r) => r.name).sort());
    } finally {
      await Promise.all(nodes.map((db) => db.close()));
    }
  });
});
