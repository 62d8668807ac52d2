/**
 * A batch is answered as of one moment, also when another node commits between its rounds
 * (migrations/011_book_batch_one_moment.sql). Batch A = [p0 refused for a reason of its own,
 * p0 on a good day] needs two rounds (same person); batch B = [p0 on another day] commits between
 * them. The later round sees B's booking (ALREADY_BOOKED), so the whole of A is "after B", and the
 * first request must be ALREADY_BOOKED too — what one-at-a-time gives in the order B, A. Before
 * 002 it kept its round-1 answer (SLOT_FULL, DOSE2_FULL or PROXY_CAP), which no serial order of
 * the batches gives (found by the property in batch-isolation.property.test.ts, seed -172113184).
 *
 * The interleaving is forced, never timed: a transaction holds the lock of the dose-2 slot only
 * A's second round needs, the test waits until PostgreSQL reports A blocked on it, books B, then
 * lets A go.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { bookBatch, type BookingRow } from '../../src/booking/sql.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';

const NOW = new Date('2026-11-26T03:00:00Z');
const D1 = '2026-12-01'; // A's good day
const D2 = '2026-12-02'; // B's day
const D3 = '2026-12-03'; // a dose-1 slot with no room left
const OUTSIDE = '2027-03-01'; // no slot
const dose2 = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 21 * 86_400_000).toISOString().slice(0, 10);

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe.skipIf(!process.env.DATABASE_URL)('book_batch answers a batch as of one moment (PostgreSQL)', () => {
  let database: TestDatabase | null = null;
  let db: Db;
  let person = 0;
  let proxy = 0;

  beforeAll(async () => {
    database = await createTestDatabase('yeyak_one_moment');
    db = await openDb({ databaseUrl: database.url, dataDir: 'memory:', poolMax: 4 });
    await migrate(db);
    await db.exec(`
      INSERT INTO region (code, parent_code, level, name_ko, name_en) VALUES ('11', NULL, 1, '서울', 'Seoul'), ('11010', '11', 2, '종로구', 'Jongno');
      INSERT INTO vaccine (id, name_ko, name_en, platform, doses, interval_days, interval_min_days, interval_max_days)
        VALUES ('va', 'A', 'A', 'mRNA', 2, 21, 21, 42);
      INSERT INTO clinic (id, name, sido_code, sigungu_code, address, phone) VALUES ('K1', 'K1', '11', '11010', 'a', '02-000-0000');
      INSERT INTO campaign (id, name_ko, name_en, proxy_allowed, doses, dose2_interval_days, change_freeze_days, cancel_until_days, first_shot_day, last_shot_day)
        VALUES ('alpha', 'a', 'a', true, 2, 21, 0, 0, '2026-12-01', '2026-12-10');
      INSERT INTO supply (campaign_id, clinic_id, vaccine_id, week_start, doses) VALUES ('alpha', 'K1', 'va', '2026-11-30', 100);
    `);
    for (const [day, dose] of [[D1, 1], [dose2(D1), 2], [D2, 1], [dose2(D2), 2], [D3, 1], [dose2(D3), 2]] as const) {
      await db.query(
        `INSERT INTO slot (campaign_id, clinic_id, day, dose, vaccine_id, supply_id, capacity, remaining)
         SELECT 'alpha', 'K1', $1, $2, 'va', id, 5, 5 FROM supply`,
        [day, dose],
      );
    }
    const r = await db.query<{ id: number }>(
      `INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone, created_at)
       VALUES ('hash-0', '1960-01-01', 'M', false, 'p0', '01000000000', $1), ('hash-1', '1960-01-01', 'F', false, 'q', '01000000001', $1)
       RETURNING id`,
      [NOW.toISOString()],
    );
    [person, proxy] = r.rows.map((row) => Number(row.id)) as [number, number];
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });
  /** No bookings; every slot has room but D3's dose 1. */
  const reset = () =>
    db.exec(`TRUNCATE dose_outcome, reservation_dose, reservation, idempotency_key, proxy_quota, audit_log, outbox;
             UPDATE slot SET remaining = capacity; UPDATE slot SET remaining = 0 WHERE day = '${D3}' AND dose = 1;`);
  beforeEach(reset);

  let n = 0;
  const row = (day1: string, day2: string | null, by: { proxy: number; cap: number } | null = null): BookingRow => ({
    personId: person,
    campaignId: 'alpha',
    clinicId: 'K1',
    day1,
    day2,
    bookingNumber: `B-${++n}`,
    idemKey: null,
    idemHash: null,
    caller: `person:${by ? by.proxy : person}`,
    actor: `person:${by ? by.proxy : person}`,
    bookedBy: by ? 'proxy' : 'self',
    ...(by ? { proxyPersonId: by.proxy, proxyCap: by.cap, audit: { proxy: { personId: by.proxy, relationship: 'child' } } } : {}),
  });

  /** Runs `a` and `b` with b committed while a waits for its second round; returns their codes. */
  async function bBetweenTheRoundsOfA(a: BookingRow[], b: BookingRow[]): Promise<string[]> {
    const locked = deferred();
    const release = deferred();
    let blockerPid = 0;
    // Holds dose2(D1), which only A's second request asks for: A's round 1 runs, round 2 waits.
    const blocker = db.transaction(async (tx) => {
      blockerPid = Number((await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
      await tx.query(`SELECT 1 FROM slot WHERE day = $1 AND dose = 2 FOR NO KEY UPDATE`, [dose2(D1)]);
      locked.resolve();
      await release.promise;
    });
    await locked.promise;
    let aSettled = false;
    const answerA = bookBatch(db, a, NOW).finally(() => (aSettled = true));
    // Wait (by asking PostgreSQL, not by time) until A is blocked on the blocker's lock.
    for (;;) {
      const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))`, [blockerPid]);
      if (Number(r.rows[0]?.n) > 0) break;
      if (aSettled) throw new Error('batch A finished without waiting for its second round');
    }
    const answerB = await bookBatch(db, b, NOW);
    release.resolve();
    await blocker;
    return [...(await answerA), ...answerB].map((o) => o.code);
  }

  async function serially(batches: BookingRow[][]): Promise<string[][]> {
    const out: string[][] = [];
    for (const batch of batches) out.push((await bookBatch(db, batch, NOW)).map((o) => o.code));
    return out;
  }

  it.each([
    ['no dose-1 slot on its day (the reported case)', () => row(OUTSIDE, dose2(OUTSIDE)), 'SLOT_FULL'],
    ['a dose-1 slot with no room', () => row(D3, dose2(D3)), 'SLOT_FULL'],
    ['a dose-2 day without a slot', () => row(D1, dose2(OUTSIDE)), 'DOSE2_FULL'],
    ['its proxy at the cap', () => row(D1, null, { proxy, cap: 0 }), 'PROXY_CAP'],
  ])('the first request refused for %s, B committed between A’s rounds → ALREADY_BOOKED, as in B then A', async (_, first, alone) => {
    const a = [first(), row(D1, dose2(D1))];
    const b = [row(D2, dose2(D2))];
    const got = await bBetweenTheRoundsOfA(a, b);
    expect(got).toEqual(['ALREADY_BOOKED', 'ALREADY_BOOKED', 'OK']);
    // The serial orders, one request at a time, on a fresh store: got is "B then A".
    await reset();
    const [bCodes, aCodes] = await serially([b, a]);
    expect([...(aCodes as string[]), ...(bCodes as string[])]).toEqual(got);
    // The refusal is the request's own when p0 is not booked: the interleaving is what changed it.
    await reset();
    expect((await serially([a, b])).flat()).toEqual([alone, 'OK', 'ALREADY_BOOKED']);
  });

  it('a person the batch books itself in a later round keeps its earlier refusal (arrival order)', async () => {
    // No other node: A's second round books p0, and its first request stays SLOT_FULL.
    expect((await bookBatch(db, [row(OUTSIDE, dose2(OUTSIDE)), row(D1, dose2(D1))], NOW)).map((o) => o.code)).toEqual(['SLOT_FULL', 'OK']);
  });
});
