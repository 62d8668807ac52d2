/**
 * Issue #11: outbox delivery exactly once per message id across two workers and a crash between
 * send and mark; backoff and dead letter; retry from dead. On PGlite and on PostgreSQL (the
 * concurrent claims only really race on PostgreSQL: PGlite has one session).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deferred } from '../helpers/app.ts';
import { idempotencyKeyOf, type SendResult } from '../../src/notifications/provider.ts';
import { retryDead } from '../../src/notifications/sql.ts';
import { batchSizeFor } from '../../src/notifications/worker.ts';
import { addNotices, addPerson, FakeClock, FakeProvider, FakeRemote, openStore, rows, START, worker, type Store } from './fixture.ts';

const kinds = process.env.DATABASE_URL ? (['pglite', 'postgres'] as const) : (['pglite'] as const);

for (const kind of kinds) {
  describe(`outbox worker on ${kind}`, () => {
    let store: Store;
    let clock: FakeClock;
    beforeEach(async () => {
      store = await openStore(kind);
      clock = new FakeClock(START);
    });
    afterEach(async () => {
      await store.close();
    });

    it('two workers on one store: every notice delivered, each id exactly once, nothing left pending', async () => {
      const { db } = store;
      const person = await addPerson(db);
      const ids = await addNotices(db, clock, person, 120);
      const remote = new FakeRemote();
      const a = worker(db, clock, new FakeProvider(remote), { workerId: 'a' });
      const b = worker(db, clock, new FakeProvider(remote), { workerId: 'b' });
      const passes = { a: 0, b: 0 };
      for (let round = 0; round < 20; round++) {
        const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
        passes.a += ra.sent;
        passes.b += rb.sent;
        if (ra.claimed + rb.claimed === 0) break;
      }
      const after = await rows(db);
      expect(after.every((r) => r.state === 'sent' && r.attempts === 1 && r.channel === 'fake' && r.leased_by === null)).toBe(true);
      for (const id of ids) expect(remote.callsOf(idempotencyKeyOf(id)), `id ${id}`).toBe(1);
      expect(remote.calls).toHaveLength(120);
      expect(passes.a + passes.b).toBe(120);
      // Each worker took a share (no claim was dropped: SKIP LOCKED skipped, did not wait).
      expect(passes.a).toBeGreaterThan(0);
      expect(passes.b).toBeGreaterThan(0);
    });

    it('a crash between send and mark: the lease lapses, B resends with the same key, one delivery; A waking late writes nothing', async () => {
      const { db } = store;
      const person = await addPerson(db);
      const [id] = await addNotices(db, clock, person, 1);
      const key = idempotencyKeyOf(id ?? 0);
      const remote = new FakeRemote();
      const aSent = deferred();
      const aWakes = deferred<SendResult>();
      // A's provider hands the message over, then A "dies" before its mark (its pass never returns until we say).
      const a = worker(db, clock, new FakeProvider(remote, () => (aSent.resolve(), aWakes.promise)), { workerId: 'a', leaseMs: 30_000 });
      const b = worker(db, clock, new FakeProvider(remote), { workerId: 'b', leaseMs: 30_000 });
      const aPass = a.runOnce();
      await aSent.promise;
      expect(remote.callsOf(key)).toBe(1);
      // Before the lease lapses B finds nothing to do.
      expect((await b.runOnce()).claimed).toBe(0);
      clock.advance(30_001);
      const bPass = await b.runOnce();
      expect(bPass).toMatchObject({ claimed: 1, sent: 1 });
      expect(remote.callsOf(key)).toBe(2); // resent with the same key…
      expect(remote.delivered.size).toBe(1); // …and delivered once
      // A comes back and tries to mark: its lease is gone, the row is B's outcome.
      aWakes.resolve({ ok: false, retryable: true, error: 'TIMEOUT' });
      expect(await aPass).toMatchObject({ claimed: 1, sent: 0, failed: 0, lost: 1 });
      const [row] = await rows(db);
      expect(row).toMatchObject({ state: 'sent', attempts: 1, last_error: null, leased_by: null });
    });

    it('a crash mid-batch with another worker busy: every id delivered once, only the row in flight sent twice (same key)', async () => {
      const { db } = store;
      const ids = await addNotices(db, clock, await addPerson(db), 60);
      const remote = new FakeRemote();
      const hung = deferred<SendResult>();
      const handedOver = deferred();
      let aSends = 0;
      // A sends 10 of its batch of 20, then hangs inside the 11th send (handed over, never marked).
      const a = worker(db, clock, new FakeProvider(remote, async () => (++aSends === 11 ? (handedOver.resolve(), hung.promise) : undefined)), { workerId: 'a', batchMax: 20 });
      const b = worker(db, clock, new FakeProvider(remote), { workerId: 'b', batchMax: 20 });
      const aPass = a.runOnce();
      await handedOver.promise;
      // B drains what A did not claim; A's rows stay A's until the lease lapses.
      while ((await b.runOnce()).claimed > 0);
      expect((await rows(db)).filter((r) => r.state === 'pending')).toHaveLength(10);
      clock.advance(60_001);
      expect(await b.runOnce()).toMatchObject({ claimed: 10, sent: 10 });
      hung.resolve({ ok: true, channel: 'fake' });
      expect(await aPass).toMatchObject({ claimed: 20, sent: 10, lost: 1 });
      expect((await rows(db)).every((r) => r.state === 'sent' && r.attempts === 1)).toBe(true);
      expect(remote.delivered.size).toBe(60);
      const resent = ids.filter((id) => remote.callsOf(idempotencyKeyOf(id)) > 1);
      expect(resent).toEqual([ids[10]]);
      expect(remote.callsOf(idempotencyKeyOf(ids[10] ?? 0))).toBe(2);
    });

    it('retryable failures back off with jitter within bounds, then the N-th try is dead; an operator retry sends it', async () => {
      const { db } = store;
      const person = await addPerson(db);
      const [id] = await addNotices(db, clock, person, 1);
      const remote = new FakeRemote();
      let fail = true;
      const provider = new FakeProvider(remote, async () => (fail ? { ok: false, retryable: true, error: 'FAKE_HTTP_503' } : undefined));
      const w = worker(db, clock, provider, { attemptsMax: 3, random: () => 0.999 });
      const steps: number[] = [];
      for (let attempt = 1; attempt <= 2; attempt++) {
        expect(await w.runOnce()).toMatchObject({ claimed: 1, failed: 1 });
        const [row] = await rows(db);
        expect(row).toMatchObject({ state: 'pending', attempts: attempt, last_error: 'FAKE_HTTP_503' });
        const delay = (row?.next_attempt_at?.getTime() ?? 0) - clock.nowMs();
        const step = 5_000 * 2 ** (attempt - 1);
        expect(delay).toBeGreaterThanOrEqual(step / 2);
        expect(delay).toBeLessThanOrEqual(step);
        steps.push(delay);
        // Not due yet: nothing claimed.
        clock.advance(delay - 1);
        expect((await w.runOnce()).claimed).toBe(0);
        clock.advance(1);
      }
      expect(steps[1]).toBeGreaterThan(steps[0] ?? Infinity);
      expect(await w.runOnce()).toMatchObject({ claimed: 1, dead: 1 });
      const [dead] = await rows(db);
      expect(dead).toMatchObject({ state: 'dead', attempts: 3, next_attempt_at: null, last_error: 'FAKE_HTTP_503' });
      expect(dead?.dead_at).not.toBeNull();
      clock.advance(24 * 3_600_000);
      expect((await w.runOnce()).claimed).toBe(0); // dead stays dead
      // Retry from dead: pending again with fresh tries, sent with the same key.
      expect(await retryDead(db, id ?? 0)).toEqual({ retried: true });
      expect(await retryDead(db, id ?? 0)).toEqual({ retried: false, state: 'pending' });
      expect(await retryDead(db, 999_999)).toEqual({ retried: false, state: null });
      fail = false;
      expect(await w.runOnce()).toMatchObject({ claimed: 1, sent: 1 });
      expect(remote.delivered.has(idempotencyKeyOf(id ?? 0))).toBe(true);
      expect((await rows(db))[0]).toMatchObject({ state: 'sent', attempts: 1, dead_at: null });
    });

    it('a permanent refusal is dead at once; a name EUC-KR cannot encode is dead with NOTICE_UNENCODABLE and never sent', async () => {
      const { db } = store;
      const emoji = await addPerson(db, '민준😀', '010-2222-3333');
      const plain = await addPerson(db, '서연', '010-4444-5555');
      const [emojiNotice] = await addNotices(db, clock, emoji, 1);
      const remote = new FakeRemote();
      const w = worker(db, clock, new FakeProvider(remote, async () => ({ ok: false, retryable: false, error: 'FAKE_HTTP_400' })));
      await addNotices(db, clock, plain, 1);
      expect(await w.runOnce()).toMatchObject({ claimed: 2, dead: 2 });
      const after = await rows(db);
      expect(after.map((r) => [r.state, r.attempts, r.last_error?.split(':')[0]])).toEqual([
        ['dead', 1, 'NOTICE_UNENCODABLE'],
        ['dead', 1, 'FAKE_HTTP_400'],
      ]);
      expect(remote.callsOf(idempotencyKeyOf(emojiNotice ?? 0))).toBe(0);
      // last_error names no person and no phone.
      for (const r of after) expect(r.last_error).not.toMatch(/민준|010/);
    });

    it('a batch that outlives its lease stops sending: the rows left go back unsent (another worker may hold them by now)', async () => {
      const { db } = store;
      await addNotices(db, clock, await addPerson(db), 3);
      const remote = new FakeRemote();
      // Each send takes 6 s of the 10 s lease.
      const w = worker(db, clock, new FakeProvider(remote, async () => void clock.advance(6_000)), { leaseMs: 10_000 });
      expect(await w.runOnce()).toMatchObject({ claimed: 3, sent: 2 });
      expect((await rows(db)).map((r) => [r.state, r.leased_by])).toEqual([['sent', null], ['sent', null], ['pending', null]]);
      expect(remote.calls).toHaveLength(2);
      expect(batchSizeFor(50, 60_000)).toBe(50);
      expect(batchSizeFor(1, 10_000)).toBe(5);
      expect(batchSizeFor(1, 1_000)).toBe(1);
    });

    it('a pass that fails (the rate store away) releases its claimed rows at once', async () => {
      const { db } = store;
      await addNotices(db, clock, await addPerson(db), 2);
      const broken = { take: async () => Promise.reject(new Error('redis down')) };
      const w = worker(db, clock, new FakeProvider(new FakeRemote()), { limiter: broken });
      await expect(w.runOnce()).rejects.toThrow('redis down');
      expect((await rows(db)).map((r) => [r.state, r.leased_by, r.attempts])).toEqual([['pending', null, 0], ['pending', null, 0]]);
    });

    it('stop() waits for the send in flight and marks it; rows claimed but not started go back at once', async () => {
      const { db } = store;
      const person = await addPerson(db);
      await addNotices(db, clock, person, 3);
      const remote = new FakeRemote();
      const inFlight = deferred();
      const release = deferred();
      const w = worker(db, clock, new FakeProvider(remote, async () => (inFlight.resolve(), release.promise)));
      const pass = w.runOnce();
      await inFlight.promise;
      let stopped = false;
      const stop = w.stop().then(() => (stopped = true));
      await Promise.resolve();
      expect(stopped).toBe(false);
      release.resolve();
      await stop;
      expect(await pass).toMatchObject({ claimed: 3, sent: 1 });
      const after = await rows(db);
      expect(after.map((r) => r.state)).toEqual(['sent', 'pending', 'pending']);
      expect(after.every((r) => r.leased_by === null)).toBe(true);
    });
  });
}
