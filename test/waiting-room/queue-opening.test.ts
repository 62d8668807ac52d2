/**
 * The opening of korea-2021-08 (9 Aug 2021, 20:00 Seoul) on a FakeClock: joins before the window
 * opens form a pre-queue without numbers; at the opening instant one tick freezes it and shuffles
 * it — once, with a seed that is logged and audited — so that arriving at 19:59:59 beats no one;
 * later joins queue behind the whole pre-queue in arrival order.
 *
 * korea-2021-08 runs here in its queue-first variant (test/waiting-room/helpers.ts): joins are
 * anonymous, as this suite is about the line's mechanics, not the order of verification.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { createTestApp, deferred, type TestApp } from '../helpers/app.ts';
import { queueFirst } from './helpers.ts';
import { readCheckpoint } from '../../src/waiting-room/sql.ts';
import { PERMUTATION_SIZE_MAX, shuffledPosition } from '../../src/waiting-room/permutation.ts';
import { MemoryQueueStore } from '../../src/waiting-room/memory-store.ts';
import { ticketOf, type Ticket, type TicketClaims } from '../../src/waiting-room/tokens.ts';

const API = '/api/v1';
const CAMPAIGN = 'korea-2021-08';
const OPENING = '2021-08-09T20:00:00+09:00';
const OPENING_ISO = '2021-08-09T11:00:00.000Z';
const EARLY = '2021-08-09T19:50:00+09:00';

interface Status {
  state: 'waiting' | 'admitted';
  ahead: number;
  position: number | null;
  opening: string | null;
  etaSeconds: number;
  pollAfterMs: number;
  pass?: string;
}

const payloadOf = <T>(token: string): T => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as T;

function newApp(logLines?: string[]): Promise<TestApp> {
  return createTestApp({
    scenario: 'korea-2021-08',
    beforeBuild: queueFirst,
    clinics: 30,
    now: EARLY,
    config: { joinPerIpPerMin: 1_000_000 },
    ...(logLines ? { logger: { level: 'info', stream: { write: (line: string) => void logLines.push(line) } } } : {}),
  });
}

async function join(t: TestApp, headers: Record<string, string> = {}): Promise<{ ticket: string } & Status> {
  const res = await t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, headers });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { ticket: string } & Status;
}

async function status(t: TestApp, ticket: string): Promise<Status> {
  const res = await t.app.inject({ method: 'GET', url: `${API}/queue/status`, headers: { authorization: `Bearer ${ticket}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Status;
}

async function tick(t: TestApp): Promise<void> {
  await t.app.yeyak.waitingRoom.controller.tickAll();
  t.app.yeyak.waitingRoom.room.invalidate(CAMPAIGN);
}

async function shuffledRows(t: TestApp): Promise<{ actor: string; detail: { campaignId: string; seed: number; preCount: number } }[]> {
  const r = await t.db.query<{ actor: string; detail: { campaignId: string; seed: number; preCount: number } }>(
    "SELECT actor, detail FROM audit_log WHERE action = 'queue.shuffled' ORDER BY id",
  );
  return r.rows;
}

describe('pre-queue: joins before 20:00 are shuffled once at the opening instant', () => {
  const PRE = 300;
  const logLines: string[] = [];
  let t: TestApp;
  const preTickets: string[] = [];
  let seed = 0;
  let positions: number[] = [];

  beforeAll(async () => {
    t = await newApp(logLines);
    // A slow line, so the opening admits only the first few and positions stay observable.
    await t.app.yeyak.waitingRoom.store.configure(CAMPAIGN, { ratePerS: 10 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`${PRE} joins at 19:50–19:59 get no position yet: state waiting, position null, opening set`, async () => {
    for (let i = 0; i < PRE; i++) {
      t.clock.set(Date.parse(EARLY) + i * 2_000);
      const j = await join(t);
      expect(j).toMatchObject({ state: 'waiting', position: null, opening: OPENING_ISO });
      expect(payloadOf<TicketClaims>(j.ticket)).toMatchObject({ c: CAMPAIGN, s: i + 1, pre: true });
      // Nobody moves before 20:00: the estimate counts the time to the opening, and a pre-queue
      // minutes early is told to poll rarely, however short it is.
      const untilOpeningS = (Date.parse(OPENING) - t.clock.nowMs()) / 1000;
      expect(j.etaSeconds).toBeGreaterThanOrEqual(untilOpeningS);
      if (untilOpeningS >= 120) expect(j.pollAfterMs).toBe(30_000);
      preTickets.push(j.ticket);
    }
    const state = await t.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    expect(state).toMatchObject({ preCount: PRE, lastSeq: 0, admittedUpTo: 0, shuffleSeed: null, frozenPreCount: null });
  });

  it('ticks before the opening admit nobody and do not shuffle (last one at 19:59:59.999)', async () => {
    for (const at of ['2021-08-09T19:55:00+09:00', '2021-08-09T19:59:59+09:00', Date.parse(OPENING) - 1]) {
      t.clock.set(at);
      await tick(t);
      const state = await t.app.yeyak.waitingRoom.store.read(CAMPAIGN);
      expect(state).toMatchObject({ admittedUpTo: 0, shuffleSeed: null, frozenPreCount: null, preCount: PRE });
      expect(await shuffledRows(t)).toEqual([]);
      const s = await status(t, preTickets[0] as string);
      expect(s).toMatchObject({ state: 'waiting', position: null, opening: OPENING_ISO });
      expect(s).not.toHaveProperty('pass');
    }
    const cp = await t.db.query<{ shuffle_seed: string | null }>('SELECT shuffle_seed FROM queue_checkpoint WHERE campaign_id = $1', [CAMPAIGN]);
    expect(cp.rows[0]?.shuffle_seed ?? null).toBeNull();
  });

  it('at exactly 20:00:00 one tick freezes and shuffles: one audited queue.shuffled row, the seed logged and checkpointed', async () => {
    t.clock.set(OPENING);
    await tick(t);
    const state = await t.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    expect(state.frozenPreCount).toBe(PRE);
    expect(state.shuffleSeed).toEqual(expect.any(Number));
    seed = state.shuffleSeed as number;

    const rows = await shuffledRows(t);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.detail).toEqual({ campaignId: CAMPAIGN, seed, preCount: PRE });
    expect(rows[0]?.actor).toMatch(/^node:/);

    const logged = logLines.map((l) => JSON.parse(l) as { msg?: string; seed?: number; preCount?: number }).filter((l) => l.msg === 'pre-queue shuffled at opening');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ seed, preCount: PRE });

    const cp = await t.db.query<{ shuffle_seed: string; frozen_pre_count: string }>(
      'SELECT shuffle_seed, frozen_pre_count FROM queue_checkpoint WHERE campaign_id = $1',
      [CAMPAIGN],
    );
    expect(Number(cp.rows[0]?.shuffle_seed)).toBe(seed);
    expect(Number(cp.rows[0]?.frozen_pre_count)).toBe(PRE);
    // The opening admits (at most) one second's worth at the configured rate, from the shuffled front.
    expect(state.admittedUpTo).toBe(10);
  });

  it('the pre-queue positions are a permutation of 1..N, each reproducible from the seed with shuffledPosition(n, N, seed)', async () => {
    positions = [];
    for (const ticket of preTickets) {
      const s = await status(t, ticket);
      const { s: n } = payloadOf<TicketClaims>(ticket);
      expect(s.position).toBe(shuffledPosition(n, PRE, seed));
      expect(s.opening).toBeNull();
      expect(s.state).toBe((s.position as number) <= 10 ? 'admitted' : 'waiting');
      if (s.state === 'waiting') expect(s.ahead).toBe((s.position as number) - 10 - 1);
      positions.push(s.position as number);
    }
    expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: PRE }, (_, i) => i + 1));
    // Shuffled: joining first is no advantage (the identity order would be a broken shuffle).
    const inJoinOrder = positions.filter((p, i) => p === i + 1).length;
    expect(inJoinOrder).toBeLessThan(PRE / 10);
    expect(positions.slice(0, 10)).not.toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('further ticks (same instant, later, after a pause) never reshuffle: one audit row, same seed, same positions', async () => {
    await tick(t);
    for (let i = 0; i < 8; i++) {
      t.clock.advance(250);
      await tick(t);
    }
    await t.app.yeyak.waitingRoom.store.configure(CAMPAIGN, { paused: true });
    t.clock.advance(5_000);
    await tick(t);
    await t.app.yeyak.waitingRoom.store.configure(CAMPAIGN, { paused: false });
    t.clock.advance(250);
    await tick(t);

    expect(await shuffledRows(t)).toHaveLength(1);
    const state = await t.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    expect(state).toMatchObject({ shuffleSeed: seed, frozenPreCount: PRE });
    expect(state.admittedUpTo).toBeGreaterThan(10);
    for (const [i, ticket] of preTickets.entries()) expect((await status(t, ticket)).position).toBe(positions[i]);
    expect(logLines.filter((l) => l.includes('pre-queue shuffled at opening'))).toHaveLength(1);
  });

  it('a store that lost its counters after the opening is restored from the checkpoint with the same seed, count and positions', async () => {
    const cp = await readCheckpoint(t.db, CAMPAIGN);
    expect(cp).toMatchObject({ shuffleSeed: seed, frozenPreCount: PRE });
    const live = await t.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    const fresh = new MemoryQueueStore(() => ({ ratePerS: 10, activeMax: 20_000, paused: false, notice: null, powBits: 0 }), () => t.clock.nowMs());
    await fresh.restore(CAMPAIGN, cp as NonNullable<typeof cp>);
    const restored = await fresh.read(CAMPAIGN);
    expect(restored).toMatchObject({ shuffleSeed: seed, frozenPreCount: PRE });
    expect(restored.admittedUpTo).toBeGreaterThanOrEqual(live.admittedUpTo); // nobody is sent back
    const { room } = t.app.yeyak.waitingRoom;
    expect(preTickets.map((ticket) => room.position(ticketOf(payloadOf(ticket)) as Ticket, restored))).toEqual(positions);
  });

  it('joins after the opening get positions N+1, N+2, … in arrival order, behind the whole pre-queue', async () => {
    const later: number[] = [];
    for (let i = 0; i < 5; i++) {
      t.clock.advance(100);
      const j = await join(t);
      expect(payloadOf<TicketClaims>(j.ticket)).toMatchObject({ s: i + 1, pre: false });
      expect(j.opening).toBeNull();
      later.push(j.position as number);
    }
    expect(later).toEqual([PRE + 1, PRE + 2, PRE + 3, PRE + 4, PRE + 5]);
    const state = await t.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    expect(state).toMatchObject({ lastSeq: 5, preCount: PRE, frozenPreCount: PRE });
  });
});

describe('a pre-queue join racing the freeze', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await newApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a join decided at 19:59:59.9 that reaches the store after the 20:00 freeze is queued behind the frozen pre-queue, never beyond the frozen count', async () => {
    const { store } = t.app.yeyak.waitingRoom;
    t.clock.set('2021-08-09T19:59:00+09:00');
    const early = [await join(t), await join(t), await join(t)];

    // Hold the next join between "the clock says before the opening" and the store's counter.
    t.clock.set(Date.parse(OPENING) - 100);
    const reached = deferred();
    const release = deferred();
    const original = store.join.bind(store);
    const spy = vi.spyOn(store, 'join').mockImplementationOnce(async (campaignId, pre) => {
      expect(pre).toBe(true);
      reached.resolve();
      await release.promise;
      return original(campaignId, pre);
    });
    const racing = t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue` });
    await reached.promise;

    t.clock.set(OPENING);
    await tick(t);
    const frozen = await store.read(CAMPAIGN);
    expect(frozen.frozenPreCount).toBe(3);
    release.resolve();
    const res = await racing;
    spy.mockRestore();

    expect(res.statusCode, res.body).toBe(201);
    const racer = res.json() as { ticket: string } & Status;
    expect(payloadOf<TicketClaims>(racer.ticket)).toMatchObject({ s: 1, pre: false });
    expect(racer.position).toBe(4);
    expect((await status(t, racer.ticket)).position).toBe(4);

    // A node whose clock lags (still 19:59:59 there) after the freeze: main line too.
    t.clock.set(Date.parse(OPENING) - 1_000);
    const lagging = await join(t);
    expect(payloadOf<TicketClaims>(lagging.ticket)).toMatchObject({ s: 2, pre: false });
    t.clock.set(OPENING);
    expect((await status(t, lagging.ticket)).position).toBe(5);

    const seed = (await store.read(CAMPAIGN)).shuffleSeed as number;
    const pre = await Promise.all(early.map(async (j) => (await status(t, j.ticket)).position));
    expect([...pre].sort()).toEqual([1, 2, 3]);
    expect(pre).toEqual(early.map((j) => shuffledPosition(payloadOf<TicketClaims>(j.ticket).s, 3, seed)));
    expect(await store.read(CAMPAIGN)).toMatchObject({ preCount: 3, frozenPreCount: 3, lastSeq: 2 });
  });

  it('the store itself: a pre-queue join after the freeze is issued on the main line', async () => {
    const { store } = t.app.yeyak.waitingRoom;
    const before = await store.read(CAMPAIGN);
    expect(before.shuffleSeed).not.toBeNull();
    expect(await store.join(CAMPAIGN, true)).toEqual({ seq: before.lastSeq + 1, pre: false });
    // A second freeze (another node's tick, a retry) keeps the first seed and count.
    expect(await store.freezePreQueue(CAMPAIGN, 12345)).toEqual({ seed: before.shuffleSeed, preCount: before.frozenPreCount, frozenNow: false });
  });
});

describe('shuffledPosition', () => {
  it('is a bijection on 1..size for random size 1..5000 and seed (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (size, seed) => {
        const seen = new Uint8Array(size + 1);
        for (let n = 1; n <= size; n++) {
          const p = shuffledPosition(n, size, seed);
          if (!Number.isInteger(p) || p < 1 || p > size || seen[p]) return false;
          seen[p] = 1;
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const order = (seed: number) => Array.from({ length: 1000 }, (_, i) => shuffledPosition(i + 1, 1000, seed));
    expect(order(42)).toEqual(order(42));
    expect(order(42)).not.toEqual(order(43));
    expect(shuffledPosition(1, 1, 99)).toBe(1);
  });

  it('works at the edges of its range and refuses what is out of range', () => {
    for (const size of [2, 3, 4, 5, 1023, 1024, 1025, 65_536, 65_537]) {
      const p = shuffledPosition(size, size, 7);
      expect(p).toBeGreaterThanOrEqual(1);
      expect(p).toBeLessThanOrEqual(size);
    }
    const big = shuffledPosition(PERMUTATION_SIZE_MAX, PERMUTATION_SIZE_MAX, 123);
    expect(big).toBeGreaterThanOrEqual(1);
    expect(big).toBeLessThanOrEqual(PERMUTATION_SIZE_MAX);
    expect(() => shuffledPosition(0, 10, 1)).toThrow(RangeError);
    expect(() => shuffledPosition(11, 10, 1)).toThrow(RangeError);
    expect(() => shuffledPosition(1, 0, 1)).toThrow(RangeError);
    expect(() => shuffledPosition(1.5, 10, 1)).toThrow(RangeError);
    expect(() => shuffledPosition(1, PERMUTATION_SIZE_MAX + 1, 1)).toThrow(RangeError);
  });
});

// Red-team finding (issue #7): before the shuffle `ahead` counted the citizen themself.
describe('pre-queue: ahead before the shuffle', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await newApp();
  });
  afterAll(async () => t.close());

  it('alone in the pre-queue → ahead 0; with two others → ahead 2 (everyone else may end up ahead)', async () => {
    const first = await join(t);
    t.app.yeyak.waitingRoom.room.invalidate(CAMPAIGN);
    expect((await status(t, first.ticket)).ahead).toBe(0);
    await join(t);
    await join(t);
    t.app.yeyak.waitingRoom.room.invalidate(CAMPAIGN);
    const s = await status(t, first.ticket);
    expect(s).toMatchObject({ state: 'waiting', position: null, ahead: 2 });
  });
});
