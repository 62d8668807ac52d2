/**
 * Migrations are history (issue #8, started in #7's session): an applied file's checksum is kept
 * and a changed applied file is refused; a store migrated by a newer build is refused, and so is
 * one made by a pre-release build (the chain squashed into 001_baseline.sql); two nodes migrating
 * one PostgreSQL database at once apply each file once.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/core/db.ts';
import { migrate, migrationsDir, MigrationError } from '../../src/core/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';

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

/** The chain a pre-release build applied (squashed into 001_baseline.sql since). */
const PRE_RELEASE = [
  '001_schema.sql', '002_booking_functions.sql', '003_waiting_room.sql', '004_queue_operator_settings.sql',
  '005_sessions_devices.sql', '006_proxies_staff.sql', '007_verified_identity.sql', '008_booking_rules.sql',
  '009_retention.sql', '010_idempotency_key_expiry.sql',
];

/** A store as a pre-release build left it, as far as the migrator reads it: its schema_migration rows. */
async function fakePreReleaseStore(db: Db): Promise<void> {
  await db.exec(`CREATE TABLE schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), sha256 text);
    INSERT INTO schema_migration (name, sha256) VALUES ${PRE_RELEASE.map((name, i) => `('${name}', ${i < 5 ? 'NULL' : `'${'ab'.repeat(32)}'`})`).join(', ')};`);
}

describe('migrations are history (PGlite)', () => {
  it('every applied file is recorded with its sha256; a second run applies nothing', async () => {
    const db = await openDb({ databaseUrl: null, dataDir: 'memory:' });
    try {
      const first = await migrate(db);
      expect(first).toEqual(['001_baseline.sql', '002_book_batch_one_moment.sql']);
      expect((await rows(db)).every((r) => /^[0-9a-f]{64}$/.test(r.sha256 ?? ''))).toBe(true);
      expect(await migrate(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('an applied file that changed since → refused, naming the file and what to do', async () => {
    const dir = copyOfMigrations();
    const db = await openDb({ databaseUrl: null, dataDir: 'memory:' });
    try {
      await migrate(db, dir);
      appendFileSync(join(dir, '001_baseline.sql'), '\n-- an edit after the fact\n');
      await expect(migrate(db, dir)).rejects.toThrow(MigrationError);
      await expect(migrate(db, dir)).rejects.toThrow(/migrations\/001_baseline\.sql changed after it was applied.*new numbered file/);
    } finally {
      await db.close();
    }
  });

  it('a new numbered file is applied; a store that has a file this build lacks (a newer build) is refused', async () => {
    const dir = copyOfMigrations();
    const db = await openDb({ databaseUrl: null, dataDir: 'memory:' });
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
    const db = await openDb({ databaseUrl: null, dataDir: 'memory:' });
    try {
      await migrate(db);
      await db.query("UPDATE schema_migration SET sha256 = NULL WHERE name = '001_baseline.sql'");
      expect(await migrate(db)).toEqual([]);
      expect((await rows(db)).find((r) => r.name === '001_baseline.sql')?.sha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await db.close();
    }
  });

  it('a store made by a pre-release build (001_schema.sql … 010) → refused, saying to re-create it; nothing applied', async () => {
    const db = await openDb({ databaseUrl: null, dataDir: 'memory:' });
    try {
      await fakePreReleaseStore(db);
      const refusal = migrate(db);
      await expect(refusal).rejects.toThrow(MigrationError);
      await expect(refusal).rejects.toThrow(
        /made by a pre-release build of yeyak: it has applied 001_schema\.sql … 010_idempotency_key_expiry\.sql.*squashed into 001_baseline\.sql.*Re-create it: stop yeyak and remove the store's data directory.*\.\/\.yeyak/,
      );
      expect((await rows(db)).map((r) => r.name)).toEqual(PRE_RELEASE);
      expect((await db.query("SELECT to_regclass('public.slot') AS t")).rows).toEqual([{ t: null }]);
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

describe.skipIf(!process.env.DATABASE_URL)('a PostgreSQL database made by a pre-release build', () => {
  let prePg: TestDatabase | null = null;
  afterAll(async () => prePg?.drop());

  it('is refused, saying to drop it (yeyak creates it again)', async () => {
    prePg = await createTestDatabase('yeyak_prerelease');
    const db = await openDb({ databaseUrl: prePg.url, dataDir: 'memory:', poolMax: 2 });
    try {
      await fakePreReleaseStore(db);
      await expect(migrate(db)).rejects.toThrow(
        new RegExp(`this store \\(PostgreSQL \\([^)]*/${prePg.name}\\)\\) was made by a pre-release build.*Re-create it: drop the database \\(DROP DATABASE …; yeyak creates it again`),
      );
      expect((await rows(db)).map((r) => r.name)).toEqual(PRE_RELEASE);
    } finally {
      await db.close();
    }
  });
});
