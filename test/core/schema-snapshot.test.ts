/**
 * The migrated schema is a reviewed artefact (issue #8): a dump of the catalogue after every
 * migration — tables and columns, constraints, indexes, triggers, functions' signatures — is
 * compared with test/snapshots/schema.txt, so any schema change shows up as a diff in review.
 * After an intended change: `UPDATE_SCHEMA_SNAPSHOT=1 npx vitest run test/core/schema-snapshot.test.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Db } from '../../src/core/db.ts';
import { openEmptyPglite } from '../helpers/pglite-copies.ts';
import { migrate } from '../../src/core/migrate.ts';

const SNAPSHOT = join(import.meta.dirname, '..', 'snapshots', 'schema.txt');

async function lines(db: Db, sql: string): Promise<string[]> {
  return (await db.query<{ line: string }>(sql)).rows.map((r) => r.line);
}

/** The public schema as sorted text lines: names and definitions, nothing that varies per run. */
async function dumpSchema(db: Db): Promise<string> {
  const sections: [string, string][] = [
    ['columns', `SELECT table_name || '.' || column_name || ' ' || data_type || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
                   || coalesce(' DEFAULT ' || column_default, '') AS line
                 FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`],
    ['constraints', `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS line
                     FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`],
    ['indexes', `SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`],
    ['triggers', `SELECT tgrelid::regclass::text || ' ' || tgname AS line FROM pg_trigger
                  WHERE NOT tgisinternal AND tgrelid::regclass::text NOT LIKE 'pg_%' ORDER BY 1`],
    ['functions', `SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') → ' || pg_get_function_result(p.oid) AS line
                   FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1`],
  ];
  const out: string[] = [];
  for (const [name, sql] of sections) out.push(`## ${name}`, ...(await lines(db, sql)), '');
  return out.join('\n');
}

describe('the migrated schema', () => {
  it('matches test/snapshots/schema.txt (a schema change is a reviewed diff)', async () => {
    const db = await openEmptyPglite();
    try {
      await migrate(db);
      const dump = await dumpSchema(db);
      if (process.env.UPDATE_SCHEMA_SNAPSHOT === '1') writeFileSync(SNAPSHOT, dump);
      expect(dump).toBe(readFileSync(SNAPSHOT, 'utf8'));
    } finally {
      await db.close();
    }
  });
});
