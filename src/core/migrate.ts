import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.ts';

export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

/** Applies numbered plain-SQL migrations (`NNN_name.sql`) not yet applied, each in its own transaction. */
export async function migrate(db: Db): Promise<string[]> {
  // Serialise concurrent migrators (several nodes starting at once) on an advisory lock.
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migration (
    name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  const files = readdirSync(migrationsDir).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  for (const file of files) {
    const sql = readFileSync(join(migrationsDir, file), 'utf8');
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7263)');
      const seen = await tx.query('SELECT 1 FROM schema_migration WHERE name = $1', [file]);
      if (seen.rows.length > 0) return false;
      return true;
    });
    if (!done) continue;
    // exec runs a multi-statement script; wrap it so a failure leaves nothing half-applied.
    await db.exec(`BEGIN;\n${sql}\n;INSERT INTO schema_migration (name) VALUES ('${file}') ON CONFLICT DO NOTHING;\nCOMMIT;`);
    applied.push(file);
  }
  return applied;
}
