/**
 * The outbox worker's test bench: a migrated store (PGlite copy, or a private PostgreSQL
 * database), people and notices in it, and a fake provider standing for the far side — it
 * records every call and counts a delivery once per idempotency key, as a real gateway that
 * honours the key would.
 */
import { randomBytes } from 'node:crypto';
import { FakeClock } from '../../src/core/clock.ts';
import { openDb, type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { enqueueNotices } from '../../src/core/outbox.ts';
import type { NoticeProvider, OutboundNotice, SendResult } from '../../src/notifications/provider.ts';
import { MemoryRateLimiter, type RateLimiter } from '../../src/notifications/rate.ts';
import { OutboxWorker, type OutboxWorkerSettings } from '../../src/notifications/worker.ts';
import { openPgliteCopy } from '../helpers/pglite-copies.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';

if (!process.env.DATABASE_URL && process.env.CI === 'true') throw new Error('test/notifications needs DATABASE_URL (CI=true: not skipped)');

export const START = '2026-11-26T12:00:00+09:00';

export interface Store {
  db: Db;
  close(): Promise<void>;
}

export async function openStore(kind: 'pglite' | 'postgres'): Promise<Store> {
  if (kind === 'pglite') {
    const db = await openPgliteCopy(null);
    return { db, close: () => db.close() };
  }
  const database: TestDatabase = await createTestDatabase('yeyak_notify');
  const db = await openDb({ databaseUrl: database.url, dataDir: 'memory:', poolMax: 8 });
  await migrate(db);
  return {
    db,
    close: async () => {
      await db.close();
      await database.drop();
    },
  };
}

/** A person to tell; returns their id. */
export async function addPerson(db: Db, name = '김민준', phone = '010-1234-5678'): Promise<number> {
  const res = await db.query<{ id: number }>(
    `INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone) VALUES ($1, '1990-01-01', 'M', false, $2, $3) RETURNING id`,
    [randomBytes(16).toString('hex'), name, phone],
  );
  return Number(res.rows[0]?.id);
}

/** `n` cancellation notices for `personId`; returns their ids. */
export async function addNotices(db: Db, clock: FakeClock, personId: number, n: number): Promise<number[]> {
  await enqueueNotices(db, clock.now(), Array.from({ length: n }, (_, i) => ({ topic: 'reservation.cancelled', payload: { personId, bookingNumber: `TEST-${String(i).padStart(4, '0')}-AAAA` } })));
  const res = await db.query<{ id: number }>(`SELECT id FROM outbox WHERE state = 'pending' ORDER BY id`);
  return res.rows.map((r) => Number(r.id));
}

/** The far side: calls and deliveries (one per key), shared by every worker's provider. */
export class FakeRemote {
  readonly calls: string[] = [];
  readonly delivered = new Map<string, OutboundNotice>();
  /** Per key, how many calls it took (a resend with the same key is not a second delivery). */
  callsOf(key: string): number {
    return this.calls.filter((k) => k === key).length;
  }
}

/** A worker's provider in front of the remote; `hook` runs after the remote took the message. */
export class FakeProvider implements NoticeProvider {
  readonly name = 'fake';
  constructor(
    private readonly remote: FakeRemote,
    private readonly hook: (key: string) => Promise<SendResult | void> = async () => undefined,
  ) {}

  async send(m: OutboundNotice, key: string): Promise<SendResult> {
    this.remote.calls.push(key);
    if (!this.remote.delivered.has(key)) this.remote.delivered.set(key, m);
    return (await this.hook(key)) ?? { ok: true, channel: 'fake' };
  }
}

export function worker(
  db: Db,
  clock: FakeClock,
  provider: NoticeProvider,
  settings: Partial<OutboxWorkerSettings> & { random?: () => number; limiter?: RateLimiter; sleep?: (ms: number) => Promise<void>; workerId?: string } = {},
): OutboxWorker {
  return new OutboxWorker(
    {
      db,
      clock,
      provider,
      limiter: settings.limiter ?? new MemoryRateLimiter(10_000, clock),
      metrics: null,
      log: () => undefined,
      ...(settings.random ? { random: settings.random } : {}),
      ...(settings.sleep ? { sleep: settings.sleep } : {}),
      ...(settings.workerId ? { workerId: settings.workerId } : {}),
    },
    { intervalMs: 0, leaseMs: settings.leaseMs ?? 60_000, attemptsMax: settings.attemptsMax ?? 5, batchMax: settings.batchMax ?? 20 },
  );
}

export interface OutboxRow {
  id: number;
  state: string;
  attempts: number;
  sent_at: Date | null;
  next_attempt_at: Date | null;
  dead_at: Date | null;
  last_error: string | null;
  leased_by: string | null;
  channel: string | null;
}

export async function rows(db: Db): Promise<OutboxRow[]> {
  const res = await db.query<OutboxRow>(`SELECT id, state, attempts, sent_at, next_attempt_at, dead_at, last_error, leased_by, channel FROM outbox ORDER BY id`);
  return res.rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export { FakeClock };
