import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.ts';

export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

/** A store this build must not touch: an applied file changed, or the store is ahead of the build. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

const FILE_PATTERN = /^\d{3}_[a-z0-9_]+\.sql$/;
/** pg_advisory_xact_lock key of the migrator: one node applies a file at a time. */
const MIGRATION_LOCK_KEY = 7263;
const UNIQUE_VIOLATION = '23505';

interface Applied {
  name: string;
  sha256: string | null;
}

/**
 * Applies the numbered plain-SQL migrations (`NNN_name.sql`) not yet applied, in order, each in
 * one transaction. Migrations are history: each applied file's sha256 is stored, and a store
 * whose applied file has changed since — or that has applied a file this build does not have (a
 * newer build migrated it) — is refused with what to do. Rows from before checksums were kept
 * (sha256 NULL) take the file's checksum on their first run.
 *
 * A file is claimed by inserting its row first, inside its own transaction and under the
 * migrator's advisory lock: a second node migrating at the same moment waits on the lock, then
 * fails that INSERT on the primary key (the first node applied it), rolls back and moves on. No
 * file is ever applied twice, and nothing is read and then applied outside the lock.
 */
export async function migrate(db: Db, dir: string = migrationsDir): Promise<string[]> {
  // Under the lock too: CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin.
  await db.exec(`BEGIN;
    SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});
    CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
    ALTER TABLE schema_migration ADD COLUMN IF NOT EXISTS sha256 text;
    COMMIT;`);
  const files = readdirSync(dir).filter((f) => FILE_PATTERN.test(f)).sort();
  const known = new Set(files);
  const ahead = (await appliedRows(db)).filter((row) => !known.has(row.name)).map((row) => row.name);
  if (ahead.length > 0) {
    throw new MigrationError(`this store was migrated by a newer yeyak (it has ${ahead.join(', ')}, which this build does not): run that build, or re-create the store`);
  }
  const applied: string[] = [];
  for (const file of files) {
    const sql = readFileSync(join(dir, file), 'utf8');
    const sha256 = createHash('sha256').update(sql).digest('hex');
    if (await alreadyApplied(db, file, sha256)) continue;
    try {
      await db.exec(
        `BEGIN;\nSELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});\nINSERT INTO schema_migration (name, sha256) VALUES ('${file}', '${sha256}');\n${sql}\n;\nCOMMIT;`,
      );
      applied.push(file);
    } catch (e) {
      // Another node applied it while this one waited for the lock: its row decides.
      if (!isUniqueViolation(e) || !(await alreadyApplied(db, file, sha256))) throw e;
    }
  }
  return applied;
}

async function appliedRows(db: Db): Promise<Applied[]> {
  return (await db.query<Applied>('SELECT name, sha256 FROM schema_migration ORDER BY name')).rows;
}

/** True when `file` is applied with this content; a changed applied file is refused. */
async function alreadyApplied(db: Db, file: string, sha256: string): Promise<boolean> {
  const r = await db.query<Applied>('SELECT name, sha256 FROM schema_migration WHERE name = $1', [file]);
  const row = r.rows[0];
  if (!row) return false;
  if (row.sha256 === null) {
    await db.query('UPDATE schema_migration SET sha256 = $2 WHERE name = $1 AND sha256 IS NULL', [file, sha256]);
    return true;
  }
  if (row.sha256 !== sha256) {
    throw new MigrationError(
      `migrations/${file} changed after it was applied to this store (applied sha256 ${row.sha256.slice(0, 12)}…, file ${sha256.slice(0, 12)}…). ` +
        'Migrations are history: restore the file as it was and put the change in a new numbered file — or re-create the store',
    );
  }
  return true;
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === UNIQUE_VIOLATION;
}
