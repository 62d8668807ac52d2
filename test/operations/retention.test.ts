/**
 * Retention of personal data (issue #7): identity_challenge rows (name, phone; written before
 * challenges became sealed tokens, issue #10) go once expired plus a grace period, delivered
 * outbox rows after their retention, in bounded batches, on the injected clock. The job is called
 * directly; the server's timer only calls it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { BATCHES_PER_RUN_MAX, RETENTION_LOCK_KEY, RetentionJob, type RetentionSettings } from '../../src/operations/retention.ts';
import { openPostgres, type Db } from '../../src/core/db.ts';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
const settings: RetentionSettings = { challengeRetentionGraceMs: HOUR_MS, outboxRetentionMs: 7 * DAY_MS, vaccinationRecordRetentionMs: 400 * DAY_MS, retentionIntervalMs: 60_000, retentionBatchRows: 50 };

/** `n` challenge rows expiring at `expiresAt`, ids prefixed by `tag`. */
async function insertChallenges(db: Db, tag: string, n: number, expiresAt: Date): Promise<void> {
  await db.query(
    `INSERT INTO identity_challenge (id, method, rrn_hash, birth_date, sex, foreign_resident, name, phone, code_hash, expires_at)
     SELECT $1 || g, 'phone', 'hash' || g, '1990-05-05', '1', false, '홍길동', '010-1234-5678', 'code', $3
       FROM generate_series(1, $2::int) g`,
    [tag, n, expiresAt.toISOString()],
  );
}

async function count(db: Db, sql: string, params: unknown[] = []): Promise<number> {
  const r = await db.query<{ n: number }>(sql, params);
  return r.rows[0]?.n ?? -1;
}

const challengesLike = (db: Db, tag: string) => count(db, `SELECT count(*)::int AS n FROM identity_challenge WHERE id LIKE $1 || '%'`, [tag]);

async function insertOutbox(db: Db, topic: string, createdAt: Date, sentAt: Date | null): Promise<void> {
  await db.query(`INSERT INTO outbox (created_at, topic, payload, sent_at) VALUES ($1, $2, '{"phone":"010-1234-5678"}', $3)`, [
    createdAt.toISOString(),
    topic,
    sentAt?.toISOString() ?? null,
  ]);
}

describe('retention on PGlite, on the fake clock', () => {
  let t: TestApp;
  let job: RetentionJob;
  beforeAll(async () => {
    t = await createTestApp({ clinics: 5 });
    job = new RetentionJob(t.db, t.clock, settings);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a verification writes no challenge row (the challenge is a sealed token the citizen holds)', async () => {
    await t.db.query('DELETE FROM identity_challenge');
    await t.login(syntheticRrn('1990-05-05', 1), '김보존');
    expect(await count(t.db, 'SELECT count(*)::int AS n FROM identity_challenge')).toBe(0);
  });

  it('a challenge row from before the tokens (name, phone) is kept until expiry + grace, then deleted', async () => {
    await t.db.query('DELETE FROM identity_challenge');
    const expiresAt = new Date(t.clock.nowMs() + 5 * 60_000);
    await insertChallenges(t.db, 'kept-', 1, expiresAt);
    t.clock.set(new Date(expiresAt.getTime() + HOUR_MS - 1_000));
    expect(await job.runOnce()).toMatchObject({ challengesDeleted: 0, skipped: false });
    t.clock.advance(2_000);
    expect(await job.runOnce()).toMatchObject({ challengesDeleted: 1, complete: true });
    expect(await challengesLike(t.db, 'kept-')).toBe(0);
  });

  it('deletes in batches of retentionBatchRows, and at most BATCHES_PER_RUN_MAX batches per run', async () => {
    await t.db.query('DELETE FROM identity_challenge');
    const now = t.clock.now();
    const small = new RetentionJob(t.db, t.clock, { ...settings, retentionBatchRows: 2 });
    const due = BATCHES_PER_RUN_MAX * 2 + 3;
    await insertChallenges(t.db, 'old-', due, new Date(now.getTime() - 2 * HOUR_MS));
    await insertChallenges(t.db, 'live-', 5, new Date(now.getTime() + 60_000));
    await insertChallenges(t.db, 'grace-', 4, new Date(now.getTime() - HOUR_MS / 2));
    const first = await small.runOnce();
    expect(first).toMatchObject({ challengesDeleted: BATCHES_PER_RUN_MAX * 2, complete: false });
    expect(await challengesLike(t.db, 'old-')).toBe(3);
    expect(await small.runOnce()).toMatchObject({ challengesDeleted: 3, complete: true });
    expect(await challengesLike(t.db, 'old-')).toBe(0);
    expect(await challengesLike(t.db, 'live-')).toBe(5);
    expect(await challengesLike(t.db, 'grace-')).toBe(4);
  });

  it('the outbox loses delivered rows after their retention; undelivered rows stay however old', async () => {
    await t.db.query('DELETE FROM outbox');
    const now = t.clock.now().getTime();
    await insertOutbox(t.db, 'delivered-long-ago', new Date(now - 30 * DAY_MS), new Date(now - 8 * DAY_MS));
    await insertOutbox(t.db, 'delivered-recently', new Date(now - 30 * DAY_MS), new Date(now - 6 * DAY_MS));
    await insertOutbox(t.db, 'never-delivered', new Date(now - 400 * DAY_MS), null);
    expect(await job.runOnce()).toMatchObject({ outboxDeleted: 1 });
    const topics = (await t.db.query<{ topic: string }>('SELECT topic FROM outbox ORDER BY topic')).rows.map((r) => r.topic);
    expect(topics).toEqual(['delivered-recently', 'never-delivered']);
    t.clock.advance(DAY_MS + 1);
    expect(await job.runOnce()).toMatchObject({ outboxDeleted: 1 });
    expect((await t.db.query<{ topic: string }>('SELECT topic FROM outbox')).rows.map((r) => r.topic)).toEqual(['never-delivered']);
  });

  it('uploaded vaccination records go once their retention after upload has passed, not before', async () => {
    await t.db.query('DELETE FROM vaccination_record');
    const now = t.clock.now().getTime();
    const upload = (hash: string, uploadedAt: number) =>
      t.db.query(
        `INSERT INTO vaccination_record (rrn_hash, dose, day, vaccine_id, source, uploaded_at, uploaded_by)
         VALUES ($1, 1, '2021-06-10', (SELECT min(id) FROM vaccine), 'KDCA', $2, 'staff:admin-token')`,
        [hash, new Date(uploadedAt).toISOString()],
      );
    await upload('hash-old', now - 401 * DAY_MS);
    await upload('hash-recent', now - 399 * DAY_MS);
    expect(await job.runOnce()).toMatchObject({ vaccinationRecordsDeleted: 1 });
    const left = async () => (await t.db.query<{ rrn_hash: string }>('SELECT rrn_hash FROM vaccination_record')).rows.map((r) => r.rrn_hash);
    expect(await left()).toEqual(['hash-recent']);
    t.clock.advance(2 * DAY_MS);
    expect(await job.runOnce()).toMatchObject({ vaccinationRecordsDeleted: 1 });
    expect(await left()).toEqual([]);
  });

  it('expired idempotency keys are deleted; live ones stay', async () => {
    await t.db.query('DELETE FROM idempotency_key');
    const now = t.clock.now().getTime();
    const person = await t.db.query<{ id: number }>(
      "INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone) VALUES ('retention-idem', '1990-01-01', 'M', false, '보존', '01000000001') RETURNING id",
    );
    const key = (k: string, expiresMs: number) =>
      t.db.query(
        "INSERT INTO idempotency_key (person_id, caller, key, request_hash, response, created_at, expires_at) VALUES ($1, $2, $3, 'h', '{}'::jsonb, $4, $5)",
        [person.rows[0]?.id, `person:${person.rows[0]?.id}`, k, new Date(now - DAY_MS).toISOString(), new Date(expiresMs).toISOString()],
      );
    await key('expired-key-1', now - 1);
    await key('live-key-0001', now + 60_000);
    expect(await job.runOnce()).toMatchObject({ idempotencyKeysDeleted: 1 });
    expect((await t.db.query<{ key: string }>('SELECT key FROM idempotency_key')).rows.map((r) => r.key)).toEqual(['live-key-0001']);
    t.clock.advance(60_000);
    expect(await job.runOnce()).toMatchObject({ idempotencyKeysDeleted: 1 });
  });

  it('the batch statements use the retention indexes (identity_challenge_expires, outbox_sent)', async () => {
    const r = await t.db.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE indexname IN ('identity_challenge_expires', 'outbox_sent') ORDER BY indexname",
    );
    expect(r.rows.map((x) => x.indexname)).toEqual(['identity_challenge_expires', 'outbox_sent']);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('retention on PostgreSQL: one node at a time', () => {
  let t: TestApp;
  let database: TestDatabase;
  let other: Db;
  beforeAll(async () => {
    database = await createTestDatabase('yeyak_retention');
    t = await createTestApp({ clinics: 5, databaseUrl: database.url });
    other = await openPostgres(database.url, { poolMax: 2 });
  }, 120_000);
  afterAll(async () => {
    await other?.close();
    await t?.close();
    await database?.drop();
  });

  it('while another node holds the retention lock this run deletes nothing; then it does', async () => {
    const now = t.clock.now();
    await insertChallenges(t.db, 'pg-old-', 120, new Date(now.getTime() - 2 * HOUR_MS));
    const job = new RetentionJob(t.db, t.clock, settings);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const holder = other.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [RETENTION_LOCK_KEY]);
      locked();
      await held;
    });
    await lockTaken;
    expect(await job.runOnce()).toEqual({ challengesDeleted: 0, outboxDeleted: 0, idempotencyKeysDeleted: 0, vaccinationRecordsDeleted: 0, skipped: true, complete: false });
    expect(await challengesLike(t.db, 'pg-old-')).toBe(120);
    release();
    await holder;
    expect(await job.runOnce()).toMatchObject({ challengesDeleted: 120, skipped: false, complete: true });
    expect(await challengesLike(t.db, 'pg-old-')).toBe(0);
  });

  it('two nodes running at once delete every due row exactly once between them', async () => {
    const now = t.clock.now();
    await insertChallenges(t.db, 'pg-race-', 500, new Date(now.getTime() - 2 * HOUR_MS));
    const a = new RetentionJob(t.db, t.clock, settings);
    const b = new RetentionJob(other, t.clock, settings);
    const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
    const after = await challengesLike(t.db, 'pg-race-');
    // A node that found the lock taken stops; whatever is left waits for the next run.
    expect(ra.challengesDeleted + rb.challengesDeleted + after).toBe(500);
    await a.runOnce();
    await b.runOnce();
    expect(await challengesLike(t.db, 'pg-race-')).toBe(0);
  });
});
