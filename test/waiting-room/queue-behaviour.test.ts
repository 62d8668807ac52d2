/**
 * The waiting room as a citizen and an operator see it, on korea-2021-08 just after the 9 Aug
 * 20:00 opening, with a FakeClock and the admission controller stepped by hand (one tick = 250 ms,
 * the default tick). Tickets nobody holds are issued by the room directly (numbers only, no
 * HTTP): they are the people who joined and left (no-shows). "The crowd shows up" is simulated by claiming each newly
 * admitted position, as the status poll of an admitted ticket does. korea-2021-08 is verify-first:
 * every join here is a verified person's; the places-in-line tests of anonymous tickets run on the
 * campaign's queue-first variant (test/waiting-room/helpers.ts).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { admit, createTestApp, syntheticRrn, type TestApp, TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { loginOn, queueFirst } from './helpers.ts';
import { errorCatalogue, type ErrorCode } from '../../src/core/errors.ts';
import type { PassClaims } from '../../src/waiting-room/tokens.ts';
import { estimateWait, POLL_FAR_MS, POLL_NEAR_MS } from '../../src/waiting-room/estimate.ts';

const API = '/api/v1';
const CAMPAIGN = 'korea-2021-08';
const OPENED = '2021-08-09T20:00:05+09:00';
const TICK_MS = 250;
const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

interface Status {
  state: 'waiting' | 'admitted';
  ahead: number;
  position: number | null;
  etaSeconds: number;
  etaLowSeconds: number;
  etaHighSeconds: number;
  pollAfterMs: number;
  paused: boolean;
  opening: string | null;
  notice: { ko: string; en: string } | null;
  pass?: string;
  used?: boolean;
}
type Joined = Status & { ticket: string; device: string };

const payloadOf = <T>(token: string): T => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as T;

function expectError(res: LightMyRequestResponse, status: number, code: ErrorCode): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json()).toEqual({ error: expect.objectContaining({ code }) });
  expect(errorCatalogue[code].status).toBe(status);
}

/** One app per describe: the line, the controller's smoothing and the health monitor are per app. */
function queueApp() {
  const q = {
    t: undefined as unknown as TestApp,
    get parts() {
      return q.t.app.yeyak.waitingRoom;
    },
    read: () => q.parts.store.read(CAMPAIGN),
    /** queue-first: the variant of the campaign whose joins are anonymous (places in line). */
    queueFirst: false,
    people: 0,
    /** Joins as given; on the verify-first campaign without a session, as a newly verified person. */
    async join(headers: Record<string, string> = {}): Promise<Joined> {
      if (!q.queueFirst && !headers.authorization) {
        headers = { ...headers, authorization: `Bearer ${await loginOn(q.t, syntheticRrn('1990-08-19', 500_000 + ++q.people))}` };
      }
      const res = await q.t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, headers });
      expect(res.statusCode, res.body).toBe(201);
      return res.json() as Joined;
    },
    async status(ticket: string, headers: Record<string, string> = {}): Promise<Status> {
      const res = await q.t.app.inject({ method: 'GET', url: `${API}/queue/status`, headers: { authorization: `Bearer ${ticket}`, ...headers } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as Status;
    },
    /** n tickets that nobody holds: joined and left. */
    async abandoned(n: number): Promise<void> {
      for (let i = 0; i < n; i++) await q.parts.room.issue(CAMPAIGN, false);
    },
    async tick(): Promise<void> {
      await q.parts.controller.tickAll();
      q.parts.room.invalidate(CAMPAIGN);
    },
    /**
     * Runs the controller for `seconds` of campaign time, one tick per 250 ms; with `claim`, every
     * admitted position is claimed at once (everybody shows up). Returns how many were admitted.
     */
    async run(seconds: number, claim: boolean): Promise<number> {
      const start = (await q.read()).admittedUpTo;
      for (let i = 0; i < (seconds * 1000) / TICK_MS; i++) {
        const before = (await q.read()).admittedUpTo;
        q.t.clock.advance(TICK_MS);
        await q.tick();
        const after = (await q.read()).admittedUpTo;
        const now = q.t.clock.nowMs();
        const at = { expMs: now + q.t.config.passTtlMs, nowMs: now, claimWindowMs: q.t.config.queueClaimWindowMs };
        if (claim) for (let n = before + 1; n <= after; n++) await q.parts.store.claimPass(CAMPAIGN, n, at);
      }
      return (await q.read()).admittedUpTo - start;
    },
    admin(method: 'GET' | 'PATCH', body?: Record<string, unknown>, headers: Record<string, string> = ADMIN) {
      return q.t.app.inject({ method, url: `${API}/admin/queue/${CAMPAIGN}`, headers, ...(body ? { payload: body } : {}) });
    },
    async setup(settings?: Record<string, unknown>, order: 'verify-first' | 'queue-first' = 'verify-first'): Promise<void> {
      q.queueFirst = order === 'queue-first';
      q.t = await createTestApp({
        scenario: 'korea-2021-08',
        clinics: 30,
        now: OPENED,
        config: { joinPerIpPerMin: 1_000_000 },
        ...(q.queueFirst ? { beforeBuild: queueFirst } : {}),
      });
      if (settings) expect((await q.admin('PATCH', settings)).statusCode).toBe(200);
    },
  };
  afterAll(async () => {
    await q.t?.close();
  });
  return q;
}

describe('places in line (the queue-first variant: anonymous tickets keep their place)', () => {
  const q = queueApp();
  beforeAll(() => q.setup(undefined, 'queue-first'));

  it('sequential joins get FIFO positions 1, 2, 3, … with 0, 1, 2, … ahead', async () => {
    const joined: Joined[] = [];
    for (let i = 0; i < 6; i++) joined.push(await q.join());
    expect(joined.map((j) => j.position)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(joined.map((j) => j.ahead)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(joined.every((j) => j.state === 'waiting' && j.opening === null && j.ticket && j.device)).toBe(true);
    expect(new Set(joined.map((j) => j.device)).size).toBe(6);
    for (const [i, j] of joined.entries()) expect((await q.status(j.ticket)).position).toBe(i + 1);
  });

  it('a refresh, a new tab or a reconnect keeps the place: the same ticket by Yeyak-Ticket header or by cookie', async () => {
    const res = await q.t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue` });
    expect(res.statusCode).toBe(201);
    const first = res.json() as Joined;
    const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
    expect(cookies).toEqual({ yeyak_device: first.device, yeyak_ticket: first.ticket });
    await q.join(); // someone else joins in between

    const byHeader = await q.join({ 'yeyak-ticket': first.ticket });
    const byCookie = await q.join({ cookie: `yeyak_ticket=${first.ticket}; yeyak_device=${first.device}` });
    for (const again of [byHeader, byCookie]) {
      expect(again.ticket).toBe(first.ticket);
      expect(again.device).toBe(first.device);
      expect(again.position).toBe(first.position);
    }
    expect((await q.read()).lastSeq).toBe((first.position as number) + 1);
  });

  it('a session-bound ticket keeps its place for its person only; a forged ticket gets a new place, never someone else\'s', async () => {
    const token = await q.t.login(syntheticRrn('1990-08-19', 1));
    const other = await q.t.login(syntheticRrn('1990-08-29', 2));
    const mine = await q.join({ authorization: `Bearer ${token}` });
    expect((await q.join({ authorization: `Bearer ${token}`, 'yeyak-ticket': mine.ticket })).position).toBe(mine.position);
    const stolen = await q.join({ authorization: `Bearer ${other}`, 'yeyak-ticket': mine.ticket });
    expect(stolen.ticket).not.toBe(mine.ticket);
    expect(stolen.position).toBe((mine.position as number) + 1);

    const [kid, body, sig] = mine.ticket.split('.') as [string, string, string];
    const forgedBody = Buffer.from(JSON.stringify({ ...payloadOf<object>(mine.ticket), s: 1 })).toString('base64url');
    const forged = `${kid}.${forgedBody}.${sig}`;
    expect((await q.join({ 'yeyak-ticket': forged })).position).toBe((mine.position as number) + 2);
    expect(body).not.toBe(forgedBody);
    expectError(await q.t.app.inject({ method: 'GET', url: `${API}/queue/status`, headers: { authorization: `Bearer ${forged}` } }), 401, 'YEYAK_E_TICKET_INVALID');
    expectError(await q.t.app.inject({ method: 'GET', url: `${API}/queue/status` }), 401, 'YEYAK_E_TICKET_INVALID');
  });

  // One place per device is the ticket the device holds (cookie or Yeyak-Ticket): nothing per
  // device is stored, so a device that throws its ticket away gets a new place at the back — never
  // ahead. One place per person, stored, is the verify-first order (verify-first.test.ts).
});

describe('polling', () => {
  const q = queueApp();
  beforeAll(() => q.setup({ ratePerS: 10 }));

  it('an early status poll changes nothing: ahead only moves when the controller advances', async () => {
    await q.abandoned(100);
    const x = await q.join();
    const y = await q.join();
    expect(x.position).toBe(101);
    const stateBefore = await q.read();
    for (let i = 0; i < 50; i++) {
      if (i % 10 === 0) q.parts.room.invalidate(CAMPAIGN);
      q.t.clock.advance(10); // far earlier than pollAfterMs
      const s = await q.status(x.ticket);
      expect(s).toMatchObject({ state: 'waiting', position: 101, ahead: 100 });
      expect(s).not.toHaveProperty('pass');
    }
    expect(await q.read()).toEqual(stateBefore);
    expect(await q.parts.store.activeCount(CAMPAIGN, q.t.clock.nowMs())).toBe(0);

    // The controller moves everyone forward by the same amount: 1 s at 10/s (plus the second banked at start).
    await q.run(1, false);
    const admitted = (await q.read()).admittedUpTo;
    expect(admitted).toBeGreaterThan(0);
    expect((await q.status(x.ticket)).ahead).toBe(100 - admitted);
    expect((await q.status(y.ticket)).ahead).toBe(101 - admitted);
  });

  it('polling earlier than told gains nothing: an eager poller and an idle ticket behind it are admitted in position order', async () => {
    const eager = await q.join();
    const idle = await q.join();
    let eagerAdmittedAt: number | null = null;
    while (eagerAdmittedAt === null) {
      for (let i = 0; i < 5; i++) await q.status(eager.ticket); // five polls per tick
      await q.run(0.25, false);
      const s = await q.status(eager.ticket);
      if (s.state === 'admitted') eagerAdmittedAt = (await q.read()).admittedUpTo;
      else expect((await q.read()).admittedUpTo).toBeLessThan(eager.position as number);
    }
    expect(eagerAdmittedAt).toBeGreaterThanOrEqual(eager.position as number);
    // The idle ticket, polled once now, is admitted exactly when the counter passed it — not later.
    const idleNow = await q.status(idle.ticket);
    expect(idleNow.state).toBe(eagerAdmittedAt >= (idle.position as number) ? 'admitted' : 'waiting');
  });

});

describe('pollAfterMs and the wait estimate', () => {
  const q = queueApp();
  beforeAll(() => q.setup({ ratePerS: 10 }));

  it('pollAfterMs is 1–2 s near the front and grows with distance, up to 30 s far back (3,000 in line)', async () => {
    const at = new Map<number, Joined>();
    const wanted = new Set([1, 2, 5, 11, 21, 201, 1001, 3001]);
    for (let position = 1; position <= 3001; position++) {
      if (wanted.has(position)) at.set(position, await q.join());
      else await q.abandoned(1);
    }
    const poll = (position: number) => (at.get(position) as Joined).pollAfterMs;
    for (const position of [1, 2, 5, 11, 21]) {
      expect(at.get(position)?.ahead).toBe(position - 1);
      expect(poll(position)).toBeGreaterThanOrEqual(1_000);
      expect(poll(position)).toBeLessThanOrEqual(2_000);
    }
    expect(poll(201)).toBeGreaterThanOrEqual(5_000); // 200 ahead at 10/s: 20 s, a quarter of it
    expect(poll(201)).toBeLessThanOrEqual(6_000);
    expect(poll(1001)).toBeGreaterThanOrEqual(25_000);
    expect(poll(1001)).toBeLessThanOrEqual(30_000);
    expect(poll(3001)).toBe(30_000);
    const ordered = [1, 201, 1001, 3001].map(poll);
    expect([...ordered].sort((a, b) => a - b)).toEqual(ordered);
    // A status poll says the same (the estimate is a pure function of the counters).
    expect((await q.status((at.get(3001) as Joined).ticket)).pollAfterMs).toBe(30_000);
    expect((await q.status((at.get(1) as Joined).ticket)).pollAfterMs).toBe(poll(1));
  });

  it('etaSeconds follows the observed (smoothed) admission rate, with low ≤ eta ≤ high, and the real wait falls in the range', async () => {
    await q.run(60, true); // a minute at 10/s with everyone showing up
    const view = (await q.admin('GET')).json() as { observedRatePerS: number; ratePerS: number; noShowRate: number };
    expect(view.ratePerS).toBe(10);
    expect(view.observedRatePerS).toBeGreaterThan(9);
    expect(view.observedRatePerS).toBeLessThan(11);
    expect(view.noShowRate).toBeLessThan(0.05);

    // Nobody stands behind 3001 yet; 200 more join, then one whose wait is measured.
    await q.abandoned(200);
    const x = await q.join();
    const { admittedUpTo, observedRatePerS } = await q.read();
    const ahead = (x.position as number) - admittedUpTo - 1;
    expect(x.ahead).toBe(ahead);
    expect(x.etaSeconds).toBe(Math.ceil(ahead / observedRatePerS));
    expect(x.etaLowSeconds).toBeLessThanOrEqual(x.etaSeconds);
    expect(x.etaSeconds).toBeLessThanOrEqual(x.etaHighSeconds);
    expect(x.etaLowSeconds).toBeGreaterThan(0.7 * x.etaSeconds);
    expect(x.etaHighSeconds).toBeLessThan(1.5 * x.etaSeconds);

    const joinedAt = q.t.clock.nowMs();
    let s = await q.status(x.ticket);
    for (let guard = 0; s.state !== 'admitted'; guard++) {
      expect(guard).toBeLessThan(10_000);
      // Every estimate on the way is consistent with the rate observed at that moment.
      const st = await q.read();
      expect(s.etaSeconds).toBe(Math.ceil(s.ahead / (st.observedRatePerS > 0 ? st.observedRatePerS : st.ratePerS)));
      expect(s.etaLowSeconds <= s.etaSeconds && s.etaSeconds <= s.etaHighSeconds).toBe(true);
      await q.run(0.25, true);
      s = await q.status(x.ticket);
    }
    const waitedS = (q.t.clock.nowMs() - joinedAt) / 1000;
    expect(waitedS).toBeGreaterThanOrEqual(x.etaLowSeconds);
    expect(waitedS).toBeLessThanOrEqual(x.etaHighSeconds);
    expect(Math.abs(waitedS - x.etaSeconds)).toBeLessThanOrEqual(0.15 * x.etaSeconds + 1);
    expect(s).toMatchObject({ etaSeconds: 0, pollAfterMs: 0, pass: expect.any(String) });
  });
});

describe('estimateWait (pure)', () => {
  it('low ≤ eta ≤ high; pollAfterMs within 1–30 s, 1–2 s within two seconds of the front (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20_000_000 }),
        fc.double({ min: 0, max: 100_000, noNaN: true }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.double({ min: 0, max: 86_400, noNaN: true }),
        (ahead, rate, seed, startsInS) => {
          const e = estimateWait(ahead, rate, seed, startsInS);
          expect(e.etaLowSeconds).toBeLessThanOrEqual(e.etaSeconds);
          expect(e.etaSeconds).toBeLessThanOrEqual(e.etaHighSeconds);
          expect(e.etaSeconds).toBeGreaterThanOrEqual(Math.floor(startsInS));
          expect(e.pollAfterMs).toBeGreaterThanOrEqual(POLL_NEAR_MS);
          expect(e.pollAfterMs).toBeLessThanOrEqual(POLL_FAR_MS);
          if (startsInS + ahead / Math.max(rate, 0.01) <= 2) expect(e.pollAfterMs).toBeLessThanOrEqual(2 * POLL_NEAR_MS);
        },
      ),
    );
  });

  it('polls grow with distance and with the time to the opening', () => {
    const poll = (ahead: number, startsInS = 0) => estimateWait(ahead, 100, 7, startsInS).pollAfterMs;
    expect(poll(0)).toBeLessThanOrEqual(2_000);
    expect(poll(200)).toBeLessThanOrEqual(2_000);
    expect(poll(2_000)).toBeGreaterThan(poll(200));
    expect(poll(20_000)).toBeGreaterThan(poll(2_000));
    expect(poll(1_000_000)).toBe(POLL_FAR_MS);
    // Ten minutes before the opening, the front of a pre-queue is not "near".
    expect(poll(0, 600)).toBe(POLL_FAR_MS);
    expect(estimateWait(0, 100, 7, 600).etaSeconds).toBe(600);
  });
});

describe('abandoned tickets and no-shows', () => {
  describe('with a small cap on active passes', () => {
    const q = queueApp();
    beforeAll(() => q.setup({ ratePerS: 10, activeMax: 5 }));

    it('tickets admitted but never claimed hold no active slot: the line keeps moving past 200 of them', async () => {
      await q.abandoned(200);
      const x = await q.join();
      expect(x.position).toBe(201);
      await q.run(25, false);
      const state = await q.read();
      expect(state.admittedUpTo).toBeGreaterThanOrEqual(201);
      expect(await q.parts.store.activeCount(CAMPAIGN, q.t.clock.nowMs())).toBe(0);
      const s = await q.status(x.ticket);
      expect(s.state).toBe('admitted');
      expect(s.pass).toEqual(expect.any(String));
      // Only the claimed pass counts.
      const view = (await q.admin('GET')).json() as { activePasses: number; admittedUpTo: number };
      expect(view.activePasses).toBe(1);
      expect(view.admittedUpTo).toBeGreaterThanOrEqual(201);
    });

    it('claimed passes do hold the cap; a claimed pass abandoned too frees its slot when it expires', async () => {
      // Four more people show up and claim: 5 active = the cap.
      const people: Joined[] = [];
      for (let i = 0; i < 4; i++) people.push(await q.join());
      await q.run(1, false);
      for (const p of people) expect((await q.status(p.ticket)).state).toBe('admitted');
      expect(await q.parts.store.activeCount(CAMPAIGN, q.t.clock.nowMs())).toBe(5);

      await q.abandoned(50);
      const stuckAt = (await q.read()).admittedUpTo;
      expect(await q.run(30, false)).toBe(0);
      expect((await q.read()).admittedUpTo).toBe(stuckAt);

      // Nobody books; ten minutes later the passes have expired and the line moves again.
      q.t.clock.advance(q.t.config.passTtlMs);
      expect(await q.run(2, false)).toBeGreaterThan(0);
      expect(await q.parts.store.activeCount(CAMPAIGN, q.t.clock.nowMs())).toBe(0);
    });
  });

  describe('no-show compensation', () => {
    const q = queueApp();
    beforeAll(() => q.setup({ ratePerS: 10 }));

    it('the no-show rate is measured, and admission compensates: more than ratePerS admitted per second while many never show up', async () => {
      await q.abandoned(6_000);
      const shown = await q.run(30, true);
      expect(shown).toBeGreaterThanOrEqual(300);
      expect(shown).toBeLessThanOrEqual(311); // 10/s plus the one second banked at the start
      const steady = await q.run(10, true);
      expect(steady).toBeGreaterThanOrEqual(99);
      expect(steady).toBeLessThanOrEqual(101);
      expect((await q.read()).noShowRate).toBeLessThan(0.01);

      // Now nobody shows up.
      await q.run(60, false);
      const state = await q.read();
      expect(state.noShowRate).toBeGreaterThan(0.6);
      expect(state.admittedTotal - state.claimedTotal).toBeGreaterThan(600);
      const compensated = await q.run(10, false);
      expect(compensated / 10).toBeGreaterThan(1.5 * 10);
      expect(compensated / 10).toBeLessThanOrEqual(5 * 10 + 1); // never more than 5× the target
      const view = (await q.admin('GET')).json() as { noShowRate: number; observedRatePerS: number };
      expect(view.noShowRate).toBeGreaterThan(0.6);
      expect(view.observedRatePerS).toBeGreaterThan(15);
    });
  });
});

describe('a completed booking', () => {
  const q = queueApp();
  beforeAll(() => q.setup());

  it('revokes its pass and frees the active slot at once', async () => {
    const clinics = await q.t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/clinics?region=11` });
    const clinic = (clinics.json() as { id: string; remaining: number }[]).find((c) => c.remaining > 0);
    const dates = await q.t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/clinics/${clinic?.id}/dates` });
    const date = (dates.json() as { date: string; remaining: number }[]).find((d) => d.remaining > 0)?.date;

    const others: string[] = [];
    for (let i = 0; i < 3; i++) others.push(await q.t.login(syntheticRrn('1985-01-09', 100 + i)));
    for (const token of others) expect(await admit(q.t, token, CAMPAIGN)).not.toBeNull();
    const token = await q.t.login(syntheticRrn('1985-01-19', 200));
    q.t.clock.advance(1000);
    const mine = await q.join({ authorization: `Bearer ${token}` });
    await q.tick();
    const admitted = await q.status(mine.ticket);
    expect(admitted.state).toBe('admitted');
    const headers = { 'yeyak-pass': admitted.pass as string, 'yeyak-device': mine.device };
    const pass = payloadOf<PassClaims>(headers['yeyak-pass']);
    const now = () => q.t.clock.nowMs();
    expect(await q.parts.store.activeCount(CAMPAIGN, now())).toBe(4);
    expect(await q.parts.store.isSpent(CAMPAIGN, pass.n)).toBe(false);

    const booked = await q.t.app.inject({
      method: 'POST',
      url: `${API}/reservations`,
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'revoke-test-1', ...headers },
      payload: { campaignId: CAMPAIGN, clinicId: clinic?.id, date },
    });
    expect(booked.statusCode, booked.body).toBe(201);
    expect(await q.parts.store.activeCount(CAMPAIGN, now())).toBe(3);
    expect(await q.parts.store.isSpent(CAMPAIGN, pass.n)).toBe(true);
    expect(((await q.admin('GET')).json() as { activePasses: number }).activePasses).toBe(3);
    // Polling the ticket again does not take the slot back, and mints no pass: the place is spent.
    const again = await q.status(mine.ticket);
    expect(again).toMatchObject({ state: 'admitted', position: pass.n, used: true });
    expect(again).not.toHaveProperty('pass');
    expect(await q.parts.store.activeCount(CAMPAIGN, now())).toBe(3);
  });
});

describe('operator controls (admin API)', () => {
  const q = queueApp();
  beforeAll(() => q.setup({ ratePerS: 10 }));

  it('GET shows the counters and settings; without the staff credential → 401', async () => {
    expectError(await q.admin('GET', undefined, {}), 401, 'YEYAK_E_ADMIN_UNAUTHENTICATED');
    expectError(await q.admin('PATCH', { paused: true }, { authorization: 'Bearer wrong' }), 401, 'YEYAK_E_ADMIN_UNAUTHENTICATED');
    await q.abandoned(30);
    await q.join();
    await q.run(1, true);
    const view = (await q.admin('GET')).json() as Record<string, unknown>;
    expect(view).toMatchObject({
      ratePerS: 10,
      activeMax: 20_000,
      paused: false,
      notice: null,
      powBits: 0,
      lastSeq: 31,
      preCount: 0,
      frozenPreCount: 0,
      waiting: 31 - (view.admittedUpTo as number),
      activePasses: view.admittedUpTo,
      noShowRate: 0,
    });
    expect(view.admittedUpTo).toBeGreaterThanOrEqual(10);
    expect(typeof view.shuffleSeed).toBe('number');
    expectError(await q.t.app.inject({ method: 'GET', url: `${API}/admin/queue/nope`, headers: ADMIN }), 404, 'YEYAK_E_CAMPAIGN_NOT_FOUND');
    expectError(await q.admin('PATCH', {}), 400, 'YEYAK_E_VALIDATION');
    expectError(await q.admin('PATCH', { ratePerS: 0 }), 400, 'YEYAK_E_VALIDATION');
    expectError(await q.admin('PATCH', { activeMax: -1 }), 400, 'YEYAK_E_VALIDATION');
    expectError(await q.admin('PATCH', { paused: 'yes' }), 400, 'YEYAK_E_VALIDATION');
    expectError(await q.admin('PATCH', { bogus: 1 }), 400, 'YEYAK_E_VALIDATION');
  });

  it('pause: nobody is admitted while ticks run; the public notice shows in status; resume admits again without a burst', async () => {
    await q.abandoned(500);
    const x = await q.join();
    const notice = { ko: '잠시 대기열을 멈췄습니다. 순서는 유지됩니다.', en: 'Admission is paused; your place is kept.' };
    const paused = await q.admin('PATCH', { paused: true, notice });
    expect(paused.statusCode, paused.body).toBe(200);
    expect(paused.json()).toMatchObject({ paused: true, notice });
    const frozenAt = (await q.read()).admittedUpTo;
    expect(await q.run(20, true)).toBe(0);
    const s = await q.status(x.ticket);
    expect(s).toMatchObject({ state: 'waiting', paused: true, notice, ahead: (x.position as number) - frozenAt - 1 });
    expect((await q.join()).notice).toEqual(notice); // new joins see it too

    const resumed = await q.admin('PATCH', { paused: false, notice: null });
    expect(resumed.json()).toMatchObject({ paused: false, notice: null });
    // Twenty seconds of pause release no burst: the first second after resuming admits ~10.
    const firstSecond = await q.run(1, true);
    expect(firstSecond).toBeGreaterThan(0);
    expect(firstSecond).toBeLessThanOrEqual(11);
    expect(await q.status(x.ticket)).toMatchObject({ paused: false, notice: null });
  });

  it('a rate change is respected: 4/s then 40/s', async () => {
    await q.abandoned(2_000);
    expect((await q.admin('PATCH', { ratePerS: 4 })).json()).toMatchObject({ ratePerS: 4 });
    await q.run(1, true); // the bank drains to the new rate
    const slow = await q.run(10, true);
    expect(slow).toBeGreaterThanOrEqual(38);
    expect(slow).toBeLessThanOrEqual(42);
    expect((await q.admin('PATCH', { ratePerS: 40 })).json()).toMatchObject({ ratePerS: 40 });
    const fast = await q.run(10, true);
    expect(fast).toBeGreaterThanOrEqual(395);
    expect(fast).toBeLessThanOrEqual(405);
  });

  it('a cap change is respected: with the cap below the passes in use nobody is admitted; raising it lets the line move', async () => {
    const active = await q.parts.store.activeCount(CAMPAIGN, q.t.clock.nowMs());
    expect(active).toBeGreaterThan(100);
    expect((await q.admin('PATCH', { activeMax: 100, ratePerS: 10 })).json()).toMatchObject({ activeMax: 100, activePasses: active });
    expect(await q.run(5, true)).toBe(0);
    await q.admin('PATCH', { activeMax: active + 7 });
    expect(await q.run(5, true)).toBe(7); // exactly up to the cap
    expect(await q.parts.store.activeCount(CAMPAIGN, q.t.clock.nowMs())).toBe(active + 7);
    await q.admin('PATCH', { activeMax: 20_000 });
    expect(await q.run(2, true)).toBeGreaterThanOrEqual(19);
  });
});

describe('health feedback', () => {
  const q = queueApp();
  beforeAll(() => q.setup({ ratePerS: 100 }));

  it('slow booking batches slow admission: fewer admitted per tick than when healthy', async () => {
    await q.abandoned(5_000);
    await q.run(1, true); // spend the second banked at the start
    const healthy = await q.run(5, true);
    expect(healthy).toBeGreaterThanOrEqual(495);
    expect(healthy).toBeLessThanOrEqual(505);

    for (let i = 0; i < 5; i++) q.t.app.yeyak.health.recordBatch(3000, false);
    const sample = q.t.app.yeyak.health.sample();
    expect(sample.factor).toBeLessThan(0.5);
    expect(sample.reasons.join(' ')).toMatch(/booking latency/);
    await q.run(1, true); // the bank shrinks to the slowed rate
    const slowed = await q.run(5, true);
    expect(slowed).toBeGreaterThan(0); // slowed, never stopped
    expect(slowed).toBeLessThan(healthy / 3);
    expect(slowed / 20).toBeLessThan(healthy / 20 / 3); // per tick (20 ticks in 5 s)
  });
});

describe('health feedback: failed booking batches', () => {
  const q = queueApp();
  beforeAll(() => q.setup({ ratePerS: 100 }));

  it('booking batches that fail in the database (through the booking API) slow admission: the health monitor hears of them', async () => {
    const token = await loginOn(q.t, syntheticRrn('1990-08-09', 900_001));
    const mine = await q.join({ authorization: `Bearer ${token}` }); // first in line
    await q.abandoned(5_000);
    await q.run(1, true);
    const healthy = await q.run(5, true);
    expect(healthy).toBeGreaterThanOrEqual(495);
    const admitted = await q.status(mine.ticket);
    const headers = { 'yeyak-pass': admitted.pass as string, 'yeyak-device': mine.device };
    const query = q.t.db.query.bind(q.t.db);
    const spy = vi.spyOn(q.t.db, 'query').mockImplementation(((text: string, params?: unknown[]) =>
      /book_batch/.test(text) ? Promise.reject(new Error('terminating connection due to administrator command')) : query(text, params as never)) as typeof q.t.db.query);
    const clinics = await q.t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/clinics?region=11` });
    const clinic = (clinics.json() as { id: string; remaining: number }[]).find((c) => c.remaining > 0);
    const dates = await q.t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/clinics/${clinic?.id}/dates` });
    const date = (dates.json() as { date: string; remaining: number }[]).find((d) => d.remaining > 0)?.date;
    const failed = await q.t.app.inject({
      method: 'POST',
      url: `${API}/reservations`,
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'health-batch-1', ...headers },
      payload: { campaignId: CAMPAIGN, clinicId: clinic?.id, date },
    });
    spy.mockRestore();
    expect(failed.statusCode).toBeGreaterThanOrEqual(500);

    const sample = q.t.app.yeyak.health.sample();
    expect(sample.reasons.join(' ')).toMatch(/booking errors/);
    expect(sample.factor).toBeLessThanOrEqual(0.5);
    await q.run(1, true); // the bank shrinks to the slowed rate
    const slowed = await q.run(2, true);
    expect(slowed).toBeGreaterThan(0);
    expect(slowed).toBeLessThan((healthy / 5) * 2 * 0.6);
  });
});
