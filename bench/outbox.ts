/**
 * How fast the outbox worker drains (issue #11), provider cost left out (a no-op provider, the
 * rate unbounded): notices per second for one worker, and on PostgreSQL for two workers on one
 * database, against a baseline measured in the same run — one bare single-row UPDATE per notice
 * (what each mark costs at least; the claim adds one statement per 50 rows).
 *
 *   node bin/run-ts.js bench/outbox.ts [--notices 5000] [--pg postgres://…]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { FakeClock, machineMonotonicMs } from '../src/core/clock.ts';
import { openPglite, openPostgres, type Db } from '../src/core/db.ts';
import { migrate } from '../src/core/migrate.ts';
import { enqueueNotices } from '../src/core/outbox.ts';
import { MemoryRateLimiter } from '../src/notifications/rate.ts';
import { OutboxWorker } from '../src/notifications/worker.ts';
import { fmtRate, fmtRatio, formatTable, loadAverage, machineDescription } from './lib.ts';

const { values } = parseArgs({ options: { notices: { type: 'string', default: '5000' }, pg: { type: 'string', default: process.env.DATABASE_URL ?? '' } } });
const N = Number(values.notices);
const clock = new FakeClock('2026-11-26T12:00:00+09:00');

async function fill(db: Db): Promise<void> {
  await db.query(`DELETE FROM outbox`);
  const person = await db.query<{ id: number }>(
    `INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone) VALUES ($1, '1990-01-01', 'M', false, '김민준', '010-1234-5678') RETURNING id`,
    [randomBytes(16).toString('hex')],
  );
  const personId = Number(person.rows[0]?.id);
  for (let i = 0; i < N; i += 1000) {
    await enqueueNotices(db, clock.now(), Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ topic: 'reservation.cancelled', payload: { personId, bookingNumber: `B${i + j}` } })));
  }
}

async function baseline(db: Db): Promise<number> {
  await fill(db);
  const ids = (await db.query<{ id: number }>(`SELECT id FROM outbox ORDER BY id`)).rows.map((r) => r.id);
  const t0 = machineMonotonicMs();
  for (const id of ids) await db.query(`UPDATE outbox SET attempts = attempts WHERE id = $1 AND state = 'pending'`, [id]);
  return N / ((machineMonotonicMs() - t0) / 1000);
}

async function drain(db: Db, workers: number): Promise<number> {
  await fill(db);
  const provider = { name: 'noop', send: async () => ({ ok: true as const, channel: 'noop' }) };
  const all = Array.from({ length: workers }, (_, i) => new OutboxWorker(
    { db, clock, provider, limiter: new MemoryRateLimiter(1_000_000, clock), metrics: null, log: () => undefined, workerId: `bench-${i}` },
    { intervalMs: 0, leaseMs: 60_000, attemptsMax: 8, batchMax: 50 },
  ));
  const t0 = machineMonotonicMs();
  for (;;) {
    const passes = await Promise.all(all.map((w) => w.runOnce()));
    if (passes.every((p) => p.claimed === 0)) break;
  }
  const seconds = (machineMonotonicMs() - t0) / 1000;
  const left = await db.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE state <> 'sent'`);
  if (Number(left.rows[0]?.n) !== 0) throw new Error('not every notice was sent');
  return N / seconds;
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  const pglite = await openPglite('memory:');
  await migrate(pglite);
  const base = await baseline(pglite);
  rows.push(['PGlite', 'bare UPDATE per row', fmtRate(base), '1.00×']);
  const one = await drain(pglite, 1);
  rows.push(['PGlite', 'worker ×1', fmtRate(one), fmtRatio(one / base)]);
  await pglite.close();
  if (values.pg) {
    const name = `yeyak_bench_outbox_${randomBytes(4).toString('hex')}`;
    const admin = async (sql: string) => {
      const c = new pg.Client({ connectionString: values.pg });
      await c.connect();
      await c.query(sql).finally(() => c.end());
    };
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(values.pg ?? '');
    url.pathname = `/${name}`;
    const db = await openPostgres(url.toString());
    try {
      await migrate(db);
      const b = await baseline(db);
      rows.push(['PostgreSQL', 'bare UPDATE per row', fmtRate(b), '1.00×']);
      for (const n of [1, 2]) {
        const r = await drain(db, n);
        rows.push(['PostgreSQL', `worker ×${n}`, fmtRate(r), fmtRatio(r / b)]);
      }
    } finally {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  }
  console.log(`outbox drain, ${N} notices, no-op provider, batch 50 — ${machineDescription()}, load ${loadAverage()}`);
  console.log(formatTable(['store', 'what', 'notices/s', 'vs bare UPDATE'], rows, ['left', 'left', 'right', 'right']));
}

await main();
