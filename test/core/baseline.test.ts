/**
 * migrations/001_baseline.sql is the pre-release chain 001…010 squashed (issue #8). The chain is
 * kept, as it was, in test/fixtures/pre-baseline-migrations/ only for this test: a store migrated
 * by the chain and one migrated by the baseline must have the same catalogue — the snapshot's
 * dump, and every function's whole definition (pg_get_functiondef, bodies included), the columns
 * in table order, trigger definitions, sequences and comments.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/core/db.ts';
import { migrate, migrationsDir } from '../../src/core/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { dumpDefinitions, dumpSchema } from '../helpers/schema-dump.ts';

const CHAIN = join(import.meta.dirname, '..', 'fixtures', 'pre-baseline-migrations');
// The baseline alone: migrations/ also holds the files after it (002…), which the chain never had.
const BASELINE = mkdtempSync(join(tmpdir(), 'yeyak-baseline-'));
copyFileSync(join(migrationsDir, '001_baseline.sql'), join(BASELINE, '001_baseline.sql'));
afterAll(() => rmSync(BASELINE, { recursive: true, force: true }));

async function compareChainWithBaseline(chain: Db, baseline: Db): Promise<void> {
  expect(await migrate(chain, CHAIN)).toHaveLength(10);
  expect(await migrate(baseline, BASELINE)).toEqual(['001_baseline.sql']);
  expect(await dumpSchema(baseline)).toBe(await dumpSchema(chain));
  expect(await dumpDefinitions(baseline)).toBe(await dumpDefinitions(chain));
}

describe('the baseline builds the schema the pre-release chain built', () => {
  it('on PGlite', async () => {
    const [chain, baseline] = await Promise.all([0, 1].map(() => openDb({ databaseUrl: null, dataDir: 'memory:' })));
    try {
      await compareChainWithBaseline(chain as Db, baseline as Db);
    } finally {
      await Promise.all([chain?.close(), baseline?.close()]);
    }
  }, 180_000); // eleven migrations on two in-process PGlite instances: 37 s on a busy 2-vCPU machine

  describe.skipIf(!process.env.DATABASE_URL)('on PostgreSQL', () => {
    const pgs: TestDatabase[] = [];
    afterAll(async () => Promise.all(pgs.map((pg) => pg.drop())));

    it('the same catalogue on a server', async () => {
      pgs.push(await createTestDatabase('yeyak_chain'), await createTestDatabase('yeyak_baseline'));
      const [chain, baseline] = await Promise.all(pgs.map((pg) => openDb({ databaseUrl: pg.url, dataDir: 'memory:', poolMax: 2 })));
      try {
        await compareChainWithBaseline(chain as Db, baseline as Db);
      } finally {
        await Promise.all([chain?.close(), baseline?.close()]);
      }
    });
  });
});
