/**
 * The pg pool through a PostgreSQL restart (found by the fault suite, issue #10): a node with a
 * transaction open when the server went away died of an unhandled 'error' event on the
 * checked-out client — every node at once, with the database. Now the transaction fails, its
 * broken client is not reused, the failure is an outage (503 at the edge), and the pool serves
 * again once the server is back.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgres, type Db } from '../../src/core/db.ts';
import { isStoreUnavailable } from '../../src/core/db-errors.ts';
import { deferred } from '../helpers/app.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/faults.ts';

let server: PrivatePostgres;
let db: Db;

beforeAll(async () => {
  server = await startPrivatePostgres();
  db = await openPostgres(server.url('postgres'), { poolMax: 2 });
}, 60_000);

afterAll(async () => {
  await db?.close();
  await server?.destroy();
});

it('a transaction open while PostgreSQL stops fails as an outage, the process lives on, and the pool serves after the restart', async () => {
  const inside = deferred<void>();
  const resume = deferred<void>();
  const tx = db.transaction(async (q) => {
    await q.query('SELECT 1');
    inside.resolve();
    await resume.promise; // the server stops while this transaction holds its client
    await q.query('SELECT 2');
  });
  const failed = tx.then(() => null, (e: unknown) => e);
  await inside.promise;
  await server.stop();
  resume.resolve();
  const e = await failed;
  expect(e, 'the transaction failed').not.toBeNull();
  expect(isStoreUnavailable(e), String(e)).toBe(true);
  await expect(db.query('SELECT 1')).rejects.toSatisfy(isStoreUnavailable);
  await server.start();
  // Both pool slots: the broken client was destroyed, not handed out again.
  const rows = await Promise.all([db.query<{ x: number }>('SELECT 1 AS x'), db.transaction((q) => q.query<{ x: number }>('SELECT 2 AS x'))]);
  expect(rows.map((r) => r.rows[0]?.x)).toEqual([1, 2]);
});
