/**
 * The operator's live feed (issue #9): GET /api/v1/admin/live/{campaignId} answers one snapshot
 * gathered from the line, the waits, the identity lights, the booking counter and the
 * availability view; …/events streams it as server-sent events over a real socket, stops when
 * the client goes and never holds up app.close().
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, TEST_ADMIN_TOKEN, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { addDays } from '../../src/rules/time.ts';
import type { LiveSnapshot } from '../../src/operations/live.ts';
import { LiveStreams, type StreamSink } from '../../src/operations/live-stream.ts';

const API = '/api/v1';
const CAMPAIGN = 'demo';
const OPERATOR = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
let serial = 920_000;

const enableQueue = async (db: import('../../src/core/db.ts').Db) => {
  await db.query("UPDATE campaign SET queue_enabled = true, queue_order = 'queue-first', queue_shuffle_at_opening = true WHERE id = $1", [CAMPAIGN]);
};

async function snapshot(t: TestApp): Promise<LiveSnapshot> {
  const res = await t.app.inject({ method: 'GET', url: `${API}/admin/live/${CAMPAIGN}`, headers: OPERATOR });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as LiveSnapshot;
}

describe('GET /api/v1/admin/live/{campaignId}', () => {
  let t: TestApp;
  let firstShotDay: string;

  beforeAll(async () => {
    t = await createTestApp({ clinics: 6, beforeBuild: enableQueue });
    const campaigns = (await t.app.inject({ method: 'GET', url: `${API}/campaigns` })).json() as { id: string; firstShotDay: string }[];
    firstShotDay = campaigns.find((c) => c.id === CAMPAIGN)?.firstShotDay ?? '';
  });
  afterAll(async () => t?.close());

  /** Joins `n` people, lets 30 s of campaign time pass, admits them: answers their sessions, passes and the ETA each was shown. */
  async function joinWaitAdmit(n: number) {
    const people: { session: string; ticket: string; device: string; etaSeconds: number }[] = [];
    for (let i = 0; i < n; i++) {
      const session = await t.login(syntheticRrn('1961-06-06', serial++), `실황${serial}`);
      const join = await t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, headers: { authorization: `Bearer ${session}` } });
      expect(join.statusCode, join.body).toBe(201);
      people.push({ session, ...(join.json() as { ticket: string; device: string; etaSeconds: number }) });
    }
    expect((await snapshot(t)).queue).toMatchObject({ waiting: n, activePasses: 0 });
    t.clock.advance(30_000);
    await t.app.yeyak.waitingRoom.controller.tickAll();
    t.app.yeyak.waitingRoom.room.invalidate(CAMPAIGN);
    const passes: string[] = [];
    for (const p of people) {
      const status = await t.app.inject({ method: 'GET', url: `${API}/queue/status`, headers: { authorization: `Bearer ${p.ticket}` } });
      const body = status.json() as { state: string; pass?: string };
      expect(body.state, status.body).toBe('admitted');
      passes.push(body.pass ?? '');
    }
    expect((await snapshot(t)).queue).toMatchObject({ waiting: 0, activePasses: n });
    return people.map((p, i) => ({ ...p, pass: passes[i] as string }));
  }

  it('operators only; an unknown campaign → 404', async () => {
    expect((await t.app.inject({ method: 'GET', url: `${API}/admin/live/${CAMPAIGN}` })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: `${API}/admin/live/${CAMPAIGN}/events` })).statusCode).toBe(401);
    const unknown = await t.app.inject({ method: 'GET', url: `${API}/admin/live/no-such-campaign`, headers: OPERATOR });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'YEYAK_E_CAMPAIGN_NOT_FOUND' } });
  });

  it('a snapshot with real numbers: joins, admissions, the ETA shown vs the wait had, bookings and refusals, doses left per 시/도', async () => {
    const before = await snapshot(t);
    expect(before.queue).toMatchObject({ enabled: true, waiting: 0, activePasses: 0, paused: false, notice: null, ratePerS: 50, activeMax: 500, powBits: 0 });
    expect(before.queue.shuffle).toEqual({ enabled: true, seedCommitment: null, doneAt: null });
    expect(before.eta).toEqual({ shownSeconds: null, actualSeconds: null });

    const people = await joinWaitAdmit(3);
    const date = addDays(firstShotDay, 2);
    const book = (p: (typeof people)[number], key: string) =>
      t.app.inject({
        method: 'POST',
        url: `${API}/reservations`,
        headers: { authorization: `Bearer ${p.session}`, 'yeyak-pass': p.pass, 'yeyak-device': p.device, 'idempotency-key': key },
        payload: { campaignId: CAMPAIGN, clinicId: 'C000001', date },
      });
    for (const [i, p] of people.entries()) expect((await book(p, `live-${serial}-${i}`)).statusCode).toBe(201);
    // The same pass again: refused (and counted) before any booking.
    const refused = await book(people[0] as (typeof people)[number], `live-${serial}-again`);
    expect(refused.json()).toMatchObject({ error: { code: 'YEYAK_E_PASS_USED' } });
    await t.app.yeyak.availability.refresh();

    const after = await snapshot(t);
    expect(after.campaignId).toBe(CAMPAIGN);
    expect(after.at).toBe(t.clock.now().toISOString());
    expect(after.queue).toMatchObject({ waiting: 0, activePasses: 0 }); // spent on the bookings
    expect(after.queue.joinsPerS).toBeGreaterThan(0);
    expect(after.queue.admissionsPerS).toBeGreaterThan(0);
    // The opening had passed: the first tick drew the seed (nobody was in the pre-queue).
    // The commitment of the fairness record: SHA-256 of yeyak-shuffle-v1:<campaign>:<seed>:<nonce> (migrations/015).
    const drawn = (await t.db.query<{ seed: string; nonce: string }>('SELECT seed, nonce FROM queue_shuffle_commitment WHERE campaign_id = $1', [CAMPAIGN])).rows[0];
    const seed = (await t.db.query<{ shuffle_seed: string }>('SELECT shuffle_seed FROM queue_checkpoint WHERE campaign_id = $1', [CAMPAIGN])).rows[0]?.shuffle_seed;
    expect(Number(seed)).toBe(Number(drawn?.seed)); // the shuffle took the committed seed
    expect(after.queue.shuffle).toEqual({
      enabled: true,
      seedCommitment: createHash('sha256').update(`yeyak-shuffle-v1:${CAMPAIGN}:${Number(drawn?.seed)}:${drawn?.nonce}`).digest('hex'),
      doneAt: t.clock.now().toISOString(), // the clock has not moved since the tick
    });
    const shown = people.map((p) => p.etaSeconds).sort((a, b) => a - b)[1];
    expect(after.eta).toEqual({ shownSeconds: shown, actualSeconds: 30 });
    expect(after.bookings.perS).toBeGreaterThan(0);
    expect(Object.keys(after.bookings.errorsByCode)).toEqual(['YEYAK_E_PASS_USED']);
    expect(after.identity.map((m) => m.method)).toEqual(['phone', 'naver', 'kakao', 'pass', 'certificate']);
    expect(after.identity.find((m) => m.method === 'phone')?.light).toBe('green');

    expect(after.remainingByRegion.length).toBeGreaterThan(0);
    for (const r of after.remainingByRegion) expect(r).toEqual({ code: expect.stringMatching(/^\d{2}$/), nameKo: expect.any(String), nameEn: expect.any(String), remaining: expect.any(Number) });
    const sum = (s: LiveSnapshot) => s.remainingByRegion.reduce((n, r) => n + r.remaining, 0);
    expect(sum(before) - sum(after)).toBe(3);
    const c = t.app.yeyak.campaigns.get(CAMPAIGN);
    expect(sum(after)).toBe(t.app.yeyak.availability.campaignRemaining(CAMPAIGN, t.app.yeyak.booking.firstBookableDay(c as NonNullable<typeof c>)));
  });
});

/** Reads a server-sent-events body until `count` events have come; answers them. */
async function readEvents(body: ReadableStream<Uint8Array>, count: number): Promise<{ event: string; data: string }[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: string }[] = [];
  let buffered = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (event && data !== undefined) events.push({ event, data });
    }
  }
  reader.releaseLock();
  return events;
}

describe('GET /api/v1/admin/live/{campaignId}/events (a real socket)', () => {
  it('sends a snapshot event a second with the sign-in cookie; stops when the client goes; app.close() ends the streams', async () => {
    const t = await createTestApp({ clinics: 4, beforeBuild: enableQueue });
    try {
      const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const signIn = await t.app.inject({ method: 'POST', url: `${API}/staff/session`, payload: { token: TEST_ADMIN_TOKEN } });
      const cookie = `yeyak_staff=${signIn.cookies.find((c) => c.name === 'yeyak_staff')?.value ?? ''}`;
      const sockets: import('node:net').Socket[] = [];
      t.app.server.on('connection', (socket: import('node:net').Socket) => sockets.push(socket));

      const aborted = new AbortController();
      const res = await fetch(`${base}${API}/admin/live/${CAMPAIGN}/events`, { headers: { cookie }, signal: aborted.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const events = await readEvents(res.body as ReadableStream<Uint8Array>, 2);
      expect(events.map((e) => e.event)).toEqual(['snapshot', 'snapshot']);
      for (const e of events) expect(JSON.parse(e.data)).toMatchObject({ campaignId: CAMPAIGN, queue: { enabled: true }, identity: expect.any(Array), remainingByRegion: expect.any(Array) });
      expect(sockets.map((s) => s.writableEnded)).toEqual([false]);
      // The client goes: the server stops the stream and ends its connection.
      expect(t.app.yeyak.live.streams.count).toBe(1);
      aborted.abort();
      await vi.waitFor(() => expect(t.app.yeyak.live.streams.count).toBe(0), { timeout: 5_000 });
      const stream = sockets[0] as import('node:net').Socket;
      expect(stream.writableEnded || stream.destroyed).toBe(true);

      // A stream still open when the app closes: the server ends it, and close() returns.
      const open = await fetch(`${base}${API}/admin/live/${CAMPAIGN}/events`, { headers: { cookie } });
      const reader = (open.body as ReadableStream<Uint8Array>).getReader();
      expect((await reader.read()).done).toBe(false);
      await t.app.close();
      let done = false;
      while (!done) done = (await reader.read()).done;
      expect(done).toBe(true);
    } finally {
      await t.close();
    }
  });
});

describe('LiveStreams (fake timers)', () => {
  const snap = { campaignId: CAMPAIGN } as LiveSnapshot;
  const sink = () => {
    const s = { chunks: [] as string[], ended: 0, buffered: 0, write: (c: string) => void s.chunks.push(c), end: () => void s.ended++ };
    return s satisfies StreamSink;
  };

  it('a snapshot at once and one per interval; ends after streamMsMax; at most streamsMax open; stopAll ends the rest', async () => {
    vi.useFakeTimers();
    try {
      const feed = { snapshot: vi.fn(async () => snap) };
      const streams = new LiveStreams(feed.snapshot, { intervalMs: 1_000, streamMsMax: 3_000, streamsMax: 2, warn: () => undefined });
      const a = sink();
      streams.start(CAMPAIGN, a, snap);
      expect(a.chunks.join('')).toMatch(/^retry: 1000\n\nevent: snapshot\ndata: \{"campaignId":"demo"\}\n\n$/);
      await vi.advanceTimersByTimeAsync(3_000);
      expect(a.chunks.join('').match(/event: snapshot/g)).toHaveLength(4);
      expect(a.ended).toBe(0);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(a.ended).toBe(1);
      expect(streams.count).toBe(0);

      const b = sink();
      const c = sink();
      const stopB = streams.start(CAMPAIGN, b, snap);
      streams.start(CAMPAIGN, c, snap);
      expect(streams.full).toBe(true);
      stopB();
      stopB();
      expect(b.ended).toBe(1);
      expect(streams.full).toBe(false);
      streams.stopAll();
      expect(c.ended).toBe(1);
      const calls = feed.snapshot.mock.calls.length;
      await vi.advanceTimersByTimeAsync(5_000);
      expect(feed.snapshot.mock.calls.length).toBe(calls);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a slow client (its buffer full) skips ticks instead of piling up', async () => {
    vi.useFakeTimers();
    try {
      const feed = { snapshot: vi.fn(async () => snap) };
      const streams = new LiveStreams(feed.snapshot, { intervalMs: 1_000, streamMsMax: 60_000, streamsMax: 2, warn: () => undefined });
      const slow = { ...sink(), buffered: 10_000_000 };
      streams.start(CAMPAIGN, slow, snap);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(feed.snapshot).not.toHaveBeenCalled();
      streams.stopAll();
    } finally {
      vi.useRealTimers();
    }
  });
});
