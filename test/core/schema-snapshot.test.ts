/**
 * The migrated schema is a reviewed artefact (issue #8): a dump of the catalogue after every
 * migration — tables and columns, constraints, indexes, triggers, functions' signatures — is
 * compared with test/snapshots/schema.txt, so any schema change shows up as a diff in review.
 * After an intended change: `UPDATE_SCHEMA_SNAPSHOT=1 npx vitest run test/core/schema-snapshot.test.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { dumpSchema } from '../helpers/schema-dump.ts';

const SNAPSHOT = join(import.meta.dirname, '..', 'snapshots', 'schema.txt');

describe('the migrated schema', () => {
  it('matches test/snapshots/schema.txt (a schema change is a reviewed diff)', async () => {
    const db = await openDb({ databaseUrl: null, dataDir: 'memory:' });
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
