/**
 * Redis crashes (SIGKILL, no persistence) in the middle of the opening-night line and comes back
 * empty. What must hold, and does here:
 *   - every ticket keeps its place; whoever was admitted stays admitted (nobody sent back);
 *   - new joins are placed after every old ticket — no number is handed out twice — also when two
 *     nodes restore at once and one of them restores late with an older checkpoint, and when a
 *     node's checkpoint read predates a second crash;
 *   - admittedUpTo never decreases; admission goes on in join order.
 * Operator settings come back: the admin API wrote them to the campaign row before the store.
 * What is lost with Redis memory (the store does not checkpoint it; Redis persistence would keep
 * it): active-pass accounting and the spent positions. A used pass is therefore accepted by the
 * gate again until it expires — but PostgreSQL's one reservation per person still refuses a
 * second booking, so nobody books twice.
 *
 * Runs a private redis-server (killed and restarted here); one app node ("A") plus a bare store
 * with its own admission controller ("B") on the same database play the two nodes. PGlite unless
 * DATABASE_URL is set.
 *
 * korea-2021-08 runs here in its queue-first variant (test/waiting-room/helpers.ts): joins are
 * anonymous, as this suite is about the line's mechanics, not the order of verification.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CampaignRegistry } from '../../src/campaigns/registry.ts';
import { loadCampaign } from '../../src/campaigns/store.ts';
import type { FakeClock } from '../../src/core/clock.ts';
import type { Db } from '../../src/core/db.ts';
import { AdmissionController } from '../../src/waiting-room/controller.ts';
import { readCheckpoint } from '../../src/waiting-room/sql.ts';
import { createRedisQueueStore } from '../../src/waiting-room/factory.ts';
import { checkpointLedger, Issuer } from '../../src/waiting-room/issuer.ts';
import type { QueueFloor, RedisQueueStore } from '../../src/waiting-room/redis-store.ts';
import { createTestApp, deferred, syntheticRrn, type TestApp, TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { queueFirst } from './helpers.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { redisTestUrl, startRedisServer, type PrivateRedis } from '../helpers/redis.ts';

const API = '/api/v1';
const CAMPAIGN = 'korea-2021-08';
const NOW = '2021-08-09T20:00:05+09:00'; // the 9 Aug window (birth days ending in 9) is open
const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

interface StatusBody {
  state: 'waiting' | 'admitted';
  position: number | null;
  ahead: number;
  pass?: string;
}
interface JoinBody extends StatusBody {
  ticket: string;
  device: string;
}

/** Holds a node's restore between reading the checkpoint and applying it. */
interface Hold {
  reached: ReturnType<typeof deferred<QueueFloor | null>>;
  release: ReturnType<typeof deferred<void>>;
}

describe.skipIf(!redisTestUrl)('waiting room on Redis: a Redis crash mid-queue', () => {
  let server: PrivateRedis;
  let pg: TestDatabase | null = null;
  let t: TestApp;
  let campaigns: CampaignRegistry;
  let storeA: RedisQueueStore;
  let storeB: RedisQueueStore;
  /** Node B's joins: numbers reserved in the checkpoint before they are issued, as a node does. */
  let issuerB: Issuer;
  let controllerB: AdmissionController;
  const checkpointReads = { a: 0, b: 0 };
  let holdA: Hold | null = null;
  /** The last hold set: released after each test, so a failed test cannot hang the next. */
  let lastHold: Hold | null = null;
  /** admittedUpTo as seen after every step: must never decrease. */
  const upToSeen: number[] = [];

  // Commands wait for the restarted server (no retry limit), so a crash is seen as a pause.
  // (Connection errors while the server is down are expected: not logged.)
  const client = () => new Redis(server.url, { maxRetriesPerRequest: null }).on('error', () => {});

  const join = async (headers: Record<string, string> = {}): Promise<JoinBody> => {
    const res = await t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, headers });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as JoinBody;
  };
  const status = async (ticket: string): Promise<StatusBody> => {
    t.app.yeyak.waitingRoom.room.invalidate(CAMPAIGN);
    const res = await t.app.inject({ method: 'GET', url: `${API}/queue/status`, headers: { authorization: `Bearer ${ticket}` } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as StatusBody;
  };
  const observe = async () => {
    const s = await storeB.read(CAMPAIGN);
    upToSeen.push(s.admittedUpTo);
    return s;
  };
  const tickA = async () => {
    t.clock.advance(1_000);
    await t.app.yeyak.waitingRoom.controller.tickAll();
    return observe();
  };

  beforeAll(async () => {
    server = await startRedisServer();
    if (process.env.DATABASE_URL) pg = await createTestDatabase('yeyak_redis_restart');
    t = await createTestApp({
      scenario: 'korea-2021-08',
      beforeBuild: queueFirst,
      clinics: 30,
      now: NOW,
      databaseUrl: pg?.url ?? null,
      config: { joinPerIpPerMin: 100_000 },
      queueStore: async (db: Db, clock: FakeClock) => {
        campaigns = new CampaignRegistry();
        await campaigns.load(db);
        storeA = createRedisQueueStore(client(), {
          db,
          campaigns,
          loadCampaign: (id) => loadCampaign(db, id),
          clock,
          restoreFrom: async (id) => {
            checkpointReads.a++;
            const cp = await readCheckpoint(db, id);
            const hold = holdA;
            if (hold) {
              holdA = null;
              hold.reached.resolve(cp);
              await hold.release.promise;
            }
            return cp;
          },
        });
        return storeA;
      },
    });
    storeB = createRedisQueueStore(client(), {
      db: t.db,
      campaigns,
      loadCampaign: (id) => loadCampaign(t.db, id),
      clock: t.clock,
      restoreFrom: async (id) => {
        checkpointReads.b++;
        return readCheckpoint(t.db, id);
      },
    });
    issuerB = new Issuer(storeB, checkpointLedger(t.db, () => t.clock.nowMs()));
    controllerB = new AdmissionController(storeB, t.db, t.clock, () => campaigns.list(), {
      nodeId: 'node-b',
      tickMs: 250,
      checkpointAheadS: 2,
      claimWindowMs: t.config.queueClaimWindowMs,
      health: () => ({ factor: 1, reasons: [] }),
      log: () => {},
    });
  });

  afterEach(() => lastHold?.release.resolve());

  afterAll(async () => {
    await t?.close();
    await storeA?.close();
    await storeB?.close();
    await server?.stop();
    await pg?.drop();
  });

  const old: JoinBody[] = [];
  let person: { session: string; device: string; pass: string; position: number; bookingNumber: string };
  let booking: { clinicId: string; date: string };
  const before = new Map<string, StatusBody>();

  it('before the crash: one line of 24, the first 8 admitted with passes, one of them booked', async () => {
    const slow = await t.app.inject({ method: 'PATCH', url: `${API}/admin/queue/${CAMPAIGN}`, headers: ADMIN, payload: { ratePerS: 4 } });
    expect(slow.statusCode, slow.body).toBe(200);
    // Born on the 19th: the 9 Aug window is theirs.
    const session = await t.login(syntheticRrn('1990-08-19', 41));
    const first = await join({ authorization: `Bearer ${session}` });
    old.push(first);
    for (let i = 1; i < 24; i++) old.push(await join());
    expect(old.map((o) => o.position)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));

    await tickA();
    const s2 = await tickA();
    expect(s2.admittedUpTo).toBe(8);
    for (const o of old) before.set(o.ticket, await status(o.ticket));
    expect(old.filter((o) => before.get(o.ticket)?.state === 'admitted').map((o) => o.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const pass = before.get(first.ticket)?.pass as string;
    const clinics = await t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/clinics` });
    const clinic = (clinics.json() as { id: string; remaining: number }[]).find((c) => c.remaining > 0);
    const dates = await t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/clinics/${clinic?.id}/dates` });
    const date = (dates.json() as { date: string; remaining: number }[]).find((d) => d.remaining > 0);
    booking = { clinicId: clinic?.id as string, date: date?.date as string };
    const headers = { authorization: `Bearer ${session}`, 'yeyak-pass': pass, 'yeyak-device': first.device };
    const booked = await t.app.inject({ method: 'POST', url: `${API}/reservations`, headers: { ...headers, 'idempotency-key': 'restart-book-1' }, payload: { campaignId: CAMPAIGN, ...booking } });
    expect(booked.statusCode, booked.body).toBe(201);
    person = { session, device: first.device, pass, position: 1, bookingNumber: (booked.json() as { bookingNumber: string }).bookingNumber };
    // The pass is spent: refused from now on (while Redis keeps the spent position).
    const again = await t.app.inject({ method: 'POST', url: `${API}/reservations`, headers: { ...headers, 'idempotency-key': 'restart-book-2' }, payload: { campaignId: CAMPAIGN, ...booking } });
    expect(again.statusCode).toBe(403);
    expect(again.json()).toMatchObject({ error: { code: 'YEYAK_E_PASS_USED' } });
    expect(await storeA.isSpent(CAMPAIGN, person.position)).toBe(true);
  });

  it('after a crash: places kept, admissions kept, new joins after everyone, late restores race-free', async () => {
    const upToBefore = (await observe()).admittedUpTo;
    const checkpoint = await readCheckpoint(t.db, CAMPAIGN);
    expect(checkpoint, 'the leader has checkpointed').not.toBeNull();
    const readsBefore = { ...checkpointReads };

    await server.kill();
    const hold: Hold = { reached: deferred<QueueFloor | null>(), release: deferred<void>() };
    holdA = hold;
    lastHold = hold;
    // While Redis is down, node A keeps serving: joins, status polls and its controller tick all
    // wait for Redis (and then for A's restore, which this test holds).
    const aJoins = Promise.all([join(), join(), join()]);
    const aPolls = Promise.all(old.map((o) => status(o.ticket)));
    const aTick = t.app.yeyak.waitingRoom.controller.tickAll();
    await server.start(); // empty: no counters, no init marker

    // A has planted the restore nonce and read the checkpoint; it is held before applying it.
    const floorA = await hold.reached.promise;
    expect(floorA).toEqual(checkpoint);
    // Meanwhile node B restores by itself and issues numbers.
    const bSeqs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await issuerB.issue(CAMPAIGN, false);
      expect(r.pre).toBe(false);
      bSeqs.push(r.seq);
    }
    // B's numbers come after the checkpoint's: after every number issued before the crash.
    expect(bSeqs).toEqual([1, 2, 3].map((k) => (checkpoint?.lastSeq as number) + k));
    // Now A applies its (same-incarnation, now stale) floor: max, so it lowers nothing.
    hold.release.resolve();
    const [newA, polls] = await Promise.all([aJoins, aPolls, aTick]);

    expect(checkpointReads.a - readsBefore.a, 'A read the checkpoint once for all its waiting requests').toBe(1);
    expect(checkpointReads.b - readsBefore.b).toBe(1);

    // Every old ticket: same place; admitted before → admitted now, with a pass.
    for (const [i, o] of old.entries()) {
      const was = before.get(o.ticket) as StatusBody;
      for (const now of [polls[i] as StatusBody, await status(o.ticket)]) {
        expect(now.position).toBe(was.position);
        if (was.state === 'admitted') expect(now).toMatchObject({ state: 'admitted', pass: expect.any(String) });
      }
    }
    // New joins: after all old tickets and after B's, each number once.
    const fresh = [...bSeqs, ...newA.map((j) => j.position as number)];
    expect(new Set(fresh).size).toBe(fresh.length);
    expect(Math.min(...fresh)).toBeGreaterThan(24);
    expect(Math.min(...newA.map((j) => j.position as number))).toBeGreaterThan(Math.max(...bSeqs));
    for (const j of newA) expect(j.state).toBe('waiting');

    const after = await observe();
    expect(after.admittedUpTo).toBeGreaterThanOrEqual(upToBefore);
    expect(after.admittedUpTo).toBeGreaterThanOrEqual(checkpoint?.admittedUpTo as number);
    expect(after.lastSeq).toBe((checkpoint?.lastSeq as number) + 6);
    // The operator's rate came back from the campaign row; the spent position is gone (documented)…
    expect(after.ratePerS).toBe(4);
    expect(await storeA.isSpent(CAMPAIGN, person.position)).toBe(false);
    // …but the person cannot book twice: PostgreSQL's one-reservation rule refuses a new booking,
    const headers = { authorization: `Bearer ${person.session}`, 'yeyak-pass': person.pass, 'yeyak-device': person.device };
    const second = await t.app.inject({ method: 'POST', url: `${API}/reservations`, headers: { ...headers, 'idempotency-key': 'restart-book-3' }, payload: { campaignId: CAMPAIGN, ...booking } });
    expect(second.statusCode, second.body).toBe(409);
    expect(second.json()).toMatchObject({ error: { code: 'YEYAK_E_ALREADY_BOOKED' } });
    // and a retry of the first booking answers as before.
    const retry = await t.app.inject({ method: 'POST', url: `${API}/reservations`, headers: { ...headers, 'idempotency-key': 'restart-book-1' }, payload: { campaignId: CAMPAIGN, ...booking } });
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.json()).toMatchObject({ bookingNumber: person.bookingNumber });

    // Admission goes on, in join order: every old ticket before any new one. The numbers reserved
    // but never issued before the crash (up to the checkpoint) are admitted over like no-shows:
    // the operator lets the line run at the campaign's rate again.
    const fast = await t.app.inject({ method: 'PATCH', url: `${API}/admin/queue/${CAMPAIGN}`, headers: ADMIN, payload: { ratePerS: 600 } });
    expect(fast.statusCode, fast.body).toBe(200);
    const everyone = [...old, ...newA].sort((x, y) => (x.position as number) - (y.position as number));
    for (let round = 0; round < 5; round++) {
      await tickA();
      const flags = [];
      for (const o of everyone) flags.push((await status(o.ticket)).state === 'admitted');
      const n = flags.filter(Boolean).length;
      expect(flags).toEqual(everyone.map((_, i) => i < n));
      if (n === everyone.length) break;
    }
    expect((await status(newA[2]?.ticket as string)).state).toBe('admitted');
    expect(upToSeen).toEqual([...upToSeen].sort((x, y) => x - y));
  });

  it('a restore whose checkpoint read predates a second crash is refused and read again', async () => {
    await server.restart();
    const hold: Hold = { reached: deferred<QueueFloor | null>(), release: deferred<void>() };
    holdA = hold;
    lastHold = hold;
    const readsBefore = checkpointReads.a;
    const lateJoin = t.app.yeyak.waitingRoom.room.issue(CAMPAIGN, false);
    const staleFloor = (await hold.reached.promise) as QueueFloor;

    // B restores and keeps the line moving: 600 joins, then its controller (the lease was lost
    // with Redis, so B leads) checkpoints past them.
    const bSeqs = await Promise.all(Array.from({ length: 600 }, () => issuerB.issue(CAMPAIGN, false).then((r) => r.seq)));
    expect(Math.min(...bSeqs)).toBe(staleFloor.lastSeq + 1);
    t.clock.advance(1_000);
    await controllerB.tickAll();
    upToSeen.push((await storeB.read(CAMPAIGN)).admittedUpTo);
    const fresher = (await readCheckpoint(t.db, CAMPAIGN)) as QueueFloor;
    expect(fresher.lastSeq).toBeGreaterThanOrEqual(Math.max(...bSeqs));

    // Redis crashes again; A's held restore carries the floor read before B's numbers.
    await server.restart();
    hold.release.resolve();
    const late = await lateJoin;
    // Initialising with the stale floor would have handed out staleFloor.lastSeq + 1 again.
    expect(late.seq).toBeGreaterThan(Math.max(...bSeqs));
    expect(late.seq).toBe(fresher.lastSeq + 1);
    expect(checkpointReads.a - readsBefore, 'A read the checkpoint again').toBe(2);
    const s = await observe();
    expect(s.admittedUpTo).toBeGreaterThanOrEqual(fresher.admittedUpTo);
    expect(upToSeen).toEqual([...upToSeen].sort((x, y) => x - y));
  });
});
