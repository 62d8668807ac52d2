/**
 * The fairness record (issue #10) on korea-2021-08's opening (9 Aug 2021, 20:00 Seoul), in its
 * queue-first variant (anonymous joins: this suite is about the line's order): the seed's
 * commitment is published before the opening and the seed and nonce only after the shuffle; the
 * shuffle used the committed seed (every pre-queue ticket's place, as the server answers it, is
 * recomputed from the JSON alone, as anyone would, over HTTP with the verifier); a normal run has
 * no inversions, a node that shuffles with another seed is caught; the ETA figures are those of
 * the recorded places.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_KEYS, type TestApp } from '../helpers/app.ts';
import { CAMPAIGN, queueFirst } from './helpers.ts';
import { shuffledPosition } from '../../src/waiting-room/permutation.ts';
import { InversionSweep } from '../../src/waiting-room/fairness.ts';
import { checkRecord, checkTicket, verifyFairness } from '../../src/waiting-room/fairness-verify.ts';
import type { FairnessRecordJson } from '../../src/waiting-room/fairness-record.ts';
import { WaitingRoom } from '../../src/waiting-room/service.ts';
import { parseKeys, TokenSigner, ticketOf, type Ticket } from '../../src/waiting-room/tokens.ts';
import type { QueueStore } from '../../src/waiting-room/store.ts';

const API = '/api/v1';
const OPENING = '2021-08-09T20:00:00+09:00';
const EARLY = '2021-08-09T19:30:00+09:00';
const PRE = 40;
const RATE = 10; // admissions per second: the opening admits 10, and positions stay observable

const payloadOf = <T>(token: string): T => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as T;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function newApp(): Promise<TestApp> {
  return createTestApp({ scenario: 'korea-2021-08', beforeBuild: queueFirst, clinics: 10, now: EARLY, config: { joinPerIpPerMin: 1_000_000 } });
}

async function record(t: TestApp): Promise<FairnessRecordJson> {
  t.app.yeyak.waitingRoom.fairness.invalidate(CAMPAIGN);
  const res = await t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/fairness` });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['cache-control']).toBe('public, max-age=5');
  return res.json() as FairnessRecordJson;
}

async function join(t: TestApp): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue` });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { ticket: string }).ticket;
}

async function status(t: TestApp, ticket: string): Promise<{ state: string; position: number | null; pass?: string }> {
  const res = await t.app.inject({ method: 'GET', url: `${API}/queue/status`, headers: { authorization: `Bearer ${ticket}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { state: string; position: number | null; pass?: string };
}

async function tick(t: TestApp): Promise<void> {
  await t.app.yeyak.waitingRoom.controller.tickAll();
  t.app.yeyak.waitingRoom.room.invalidate(CAMPAIGN);
}

describe('the fairness record of an opening', () => {
  let t: TestApp;
  const pre: string[] = [];
  const later: string[] = [];
  let committed: FairnessRecordJson;
  let revealed: FairnessRecordJson;

  beforeAll(async () => {
    t = await newApp();
    await t.app.yeyak.waitingRoom.store.configure(CAMPAIGN, { ratePerS: RATE });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('an unknown campaign → 404; before anything drew a seed, the record says so (no commitment, nothing revealed)', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: `${API}/campaigns/no-such-campaign/fairness` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'YEYAK_E_CAMPAIGN_NOT_FOUND' } });
    const r = await record(t);
    expect(r).toMatchObject({ campaignId: CAMPAIGN, opening: new Date(OPENING).toISOString(), preQueueOpensAt: '2021-08-09T10:00:00.000Z' });
    expect(r.seed).toEqual({ state: 'none', commitment: null, committedAt: null, input: `yeyak-shuffle-v1:${CAMPAIGN}:<seed>:<nonce>`, value: null, nonce: null, shuffledAt: null });
    expect(r.shuffle).toEqual({ enabled: true, algorithm: 'yeyak-feistel-v1', preQueueSize: null, sample: [] });
    expect(r.admissionOrder).toEqual({ recorded: 0, inversionsBeyondShuffle: 0, positionMismatches: 0, examples: [] });
    expect(r.eta.samples).toBe(0);
  });

  it('the first tick before the opening commits the seed: the commitment is public, the seed and nonce are not; the checkpoint holds no seed yet', async () => {
    await tick(t);
    committed = await record(t);
    expect(committed.seed).toMatchObject({ state: 'committed', committedAt: new Date(EARLY).toISOString(), value: null, nonce: null, shuffledAt: null });
    expect(committed.seed.commitment).toMatch(/^[0-9a-f]{64}$/);
    const row = (await t.db.query<{ seed: string; nonce: string }>('SELECT seed, nonce FROM queue_shuffle_commitment WHERE campaign_id = $1', [CAMPAIGN])).rows[0];
    expect(row?.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(committed.seed.commitment).toBe(sha256(`yeyak-shuffle-v1:${CAMPAIGN}:${Number(row?.seed)}:${row?.nonce}`));
    const cp = await t.db.query<{ shuffle_seed: string | null }>('SELECT shuffle_seed FROM queue_checkpoint WHERE campaign_id = $1', [CAMPAIGN]);
    expect(cp.rows[0]?.shuffle_seed ?? null).toBeNull();
    // The operator's live feed shows the same commitment.
    expect((await t.app.yeyak.waitingRoom.lines.line(CAMPAIGN)).shuffle.seedCommitment).toBe(committed.seed.commitment);
    expect(checkRecord(committed).some((c) => c.ok === false)).toBe(false);
  });

  it(`${PRE} pre-queue joins and ticks up to 19:59:59.999 change nothing: same commitment, still not revealed`, async () => {
    for (let i = 0; i < PRE; i++) {
      t.clock.set(Date.parse(EARLY) + i * 10_000);
      pre.push(await join(t));
    }
    for (const at of ['2021-08-09T19:59:00+09:00', Date.parse(OPENING) - 1]) {
      t.clock.set(at);
      await tick(t);
      const r = await record(t);
      expect(r.seed).toEqual(committed.seed);
      expect(r.shuffle.preQueueSize).toBeNull();
    }
  });

  it('at 20:00 the shuffle uses the committed seed: SHA-256 of the revealed input is the commitment published before', async () => {
    t.clock.set(OPENING);
    await tick(t);
    revealed = await record(t);
    const { value, nonce } = revealed.seed;
    expect(revealed.seed).toMatchObject({ state: 'revealed', commitment: committed.seed.commitment, committedAt: committed.seed.committedAt, shuffledAt: new Date(OPENING).toISOString() });
    expect(revealed.seed.input).toBe(`yeyak-shuffle-v1:${CAMPAIGN}:${value}:${nonce}`);
    expect(sha256(revealed.seed.input)).toBe(committed.seed.commitment);
    expect((await t.app.yeyak.waitingRoom.store.read(CAMPAIGN)).shuffleSeed).toBe(value);
    expect(revealed.shuffle.preQueueSize).toBe(PRE);
    expect(revealed.shuffle.sample).toHaveLength(10);
    const audited = await t.db.query<{ detail: { seed: number } }>("SELECT detail FROM audit_log WHERE action = 'queue.shuffled'");
    expect(audited.rows.map((r) => r.detail.seed)).toEqual([value]);
  });

  it("every pre-queue ticket's place, as the server answers it, is recomputed from the JSON alone", async () => {
    const { value } = revealed.seed;
    for (const ticket of pre) {
      const { s } = payloadOf<{ s: number }>(ticket);
      const answered = await status(t, ticket);
      expect(answered.position).toBe(shuffledPosition(s, revealed.shuffle.preQueueSize as number, value as number));
      expect(checkTicket(revealed, ticket, answered.position).ok).toBe(true);
    }
  });

  it('a member of the public runs the verifier against the server over HTTP: every check passes, their own ticket included', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const target = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    t.app.yeyak.waitingRoom.fairness.invalidate(CAMPAIGN);
    const { record: fetched, checks } = await verifyFairness({ target, campaignId: CAMPAIGN, ticket: pre[7] as string });
    expect(fetched.seed.commitment).toBe(committed.seed.commitment);
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['algorithm', true],
      ['commitment', true],
      ['committed before the opening', true],
      ['sample positions', true],
      ['permutation', true],
      ['inversions beyond the shuffle', true],
      ['your place', true],
    ]);
    // A record whose seed was changed after the commitment fails the check.
    const forged = { ...fetched, seed: { ...fetched.seed, value: (fetched.seed.value as number) + 1 } };
    expect(checkRecord(forged).find((c) => c.name === 'commitment')?.ok).toBe(false);
  });

  it('a normal run: everyone admitted in order, recorded once at their first claim — 0 inversions, 0 mismatches, ETA figures of every place', async () => {
    for (let i = 0; i < 10; i++) later.push(await join(t));
    for (let step = 0; step < 12; step++) {
      t.clock.advance(1_000);
      await tick(t);
      for (const ticket of [...pre, ...later]) await status(t, ticket);
    }
    const state = await t.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    expect(state.admittedUpTo).toBeGreaterThanOrEqual(PRE + later.length);
    const r = await record(t);
    expect(r.admissionOrder).toEqual({ recorded: PRE + later.length, inversionsBeyondShuffle: 0, positionMismatches: 0, examples: [] });
    const rows = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM queue_admission WHERE campaign_id = $1', [CAMPAIGN]);
    expect(Number(rows.rows[0]?.n)).toBe(PRE + later.length);
    expect(r.eta.samples).toBe(PRE + later.length);
    expect(r.eta.withinTwentyPercent).toEqual(expect.any(Number));
  });
});

describe('ETA figures from known samples', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await newApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('percentiles of actual − shown and the share within ±20 % are those of the rows', async () => {
    const { admissions, fairness } = t.app.yeyak.waitingRoom;
    const join = Date.parse(OPENING);
    // (shown, actual) seconds: errors −10, 0, +5, +10, +40 → within ±20 %: 100 vs 90 and 100, 50 vs 55, 60 vs 70 (+16.7 %): 4 of 5.
    const samples: [number, number][] = [[100, 90], [100, 100], [50, 55], [60, 70], [100, 140]];
    samples.forEach(([shown, actual], i) =>
      admissions.record({ campaignId: CAMPAIGN, position: i + 1, pre: false, seq: i + 1, joinedAtMs: join, shownEtaSeconds: shown, claimedAtMs: join + actual * 1000 }),
    );
    // A ticket that carried no ETA counts for the order, not for the ETA.
    admissions.record({ campaignId: CAMPAIGN, position: 6, pre: false, seq: 6, joinedAtMs: join, shownEtaSeconds: null, claimedAtMs: join + 1000 });
    const c = t.app.yeyak.campaigns.get(CAMPAIGN);
    const r = await fairness.build(c as NonNullable<typeof c>);
    expect(r.admissionOrder.recorded).toBe(6);
    expect(r.eta).toEqual({
      samples: 5,
      errorP10Seconds: -6,
      errorP50Seconds: 5,
      errorP90Seconds: 28,
      errorP99Seconds: 38.8,
      errorP50: 0.1,
      errorP90: 0.307,
      withinTwentyPercent: 0.8,
      waitP50Seconds: 90,
      waitP99Seconds: 138.4,
    });
  });
});

describe('an injected out-of-order admission: a node that shuffles with another seed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await newApp();
    await t.app.yeyak.waitingRoom.store.configure(CAMPAIGN, { ratePerS: RATE });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('its admissions are seen: inversions > 0, mismatches, examples; the verifier fails', async () => {
    const pre: string[] = [];
    for (let i = 0; i < PRE; i++) pre.push(await join(t));
    t.clock.set(OPENING);
    await tick(t);
    const { store, admissions } = t.app.yeyak.waitingRoom;
    const real = (await store.read(CAMPAIGN)).shuffleSeed as number;
    // The wrong seed: the first after the real one under which the places the opening admits
    // (1..10) go to tickets whose real places are out of order — so the bug is one the record must see.
    const admittedBy = (seed: number) => [...Array(PRE).keys()].map((i) => i + 1).filter((n) => shuffledPosition(n, PRE, seed) <= RATE);
    const outOfOrder = (seed: number) => {
      const sweep = new InversionSweep(PRE, real);
      admittedBy(seed)
        .map((n) => ({ position: shuffledPosition(n, PRE, seed), pre: true, seq: n }))
        .sort((a, b) => b.position - a.position)
        .forEach((p) => sweep.add(p));
      return sweep.inversions > 0;
    };
    let wrong = real + 1;
    while (!outOfOrder(wrong)) wrong++;
    const lying: QueueStore = Object.create(store, { read: { value: async (id: string) => ({ ...(await store.read(id)), shuffleSeed: wrong }) } });
    const keys = parseKeys(TEST_KEYS.queueKeys);
    const node = new WaitingRoom(lying, t.clock, t.app.yeyak.campaigns, {
      tickets: new TokenSigner(keys, 'ticket'),
      passes: new TokenSigner(keys, 'pass'),
      passTtlMs: t.config.passTtlMs,
      claimWindowMs: t.config.queueClaimWindowMs,
      stateRefreshMs: 0,
      onFirstClaim: (a) => admissions.record(a),
    });
    for (const ticket of pre) await node.status(ticket, { device: undefined, personId: undefined });
    const r = await record(t);
    expect(r.admissionOrder.recorded).toBe(RATE);
    expect(r.admissionOrder.inversionsBeyondShuffle).toBeGreaterThan(0);
    expect(r.admissionOrder.positionMismatches).toBeGreaterThan(0);
    expect(r.admissionOrder.examples.length).toBeGreaterThan(0);
    for (const e of r.admissionOrder.examples) expect(e.position).toBeLessThanOrEqual(RATE); // places the opening admitted
    expect(checkRecord(r).find((c) => c.name === 'inversions beyond the shuffle')?.ok).toBe(false);
    // The tickets it served hold places the published seed does not give them.
    const served = pre.map((token) => ticketOf(payloadOf(token)) as Ticket).filter((tk) => shuffledPosition(tk.seq, PRE, wrong) !== shuffledPosition(tk.seq, PRE, real));
    expect(served.length).toBeGreaterThan(0);
  });
});

describe('InversionSweep (places fed highest position first)', () => {
  const run = (places: { position: number; pre: boolean; seq: number }[], size = 0, seed: number | null = null) => {
    const sweep = new InversionSweep(size, seed);
    [...places].sort((a, b) => b.position - a.position).forEach((p) => sweep.add(p));
    return sweep;
  };

  it('in join order: 0; one place let in ahead of two who joined before it: 1 (each jumper counts once)', () => {
    expect(run([1, 2, 3, 4, 5].map((s) => ({ position: s, pre: false, seq: s }))).inversions).toBe(0);
    // Join number 5 admitted at position 2; 2 and 3 pushed behind it.
    const swapped = run([
      { position: 1, pre: false, seq: 1 },
      { position: 2, pre: false, seq: 5 },
      { position: 3, pre: false, seq: 2 },
      { position: 4, pre: false, seq: 3 },
      { position: 5, pre: false, seq: 4 },
    ]);
    expect(swapped.inversions).toBe(1);
    expect(swapped.positionMismatches).toBe(4);
    expect(swapped.examples).toEqual([{ position: 2, expectedPosition: 5 }]);
  });

  it('the shuffle itself is no inversion: pre-queue places at shuffledPosition, later joins behind P', () => {
    const size = 50;
    const seed = 123_456;
    const places = [...Array(size).keys()].map((i) => ({ position: shuffledPosition(i + 1, size, seed), pre: true, seq: i + 1 }));
    places.push({ position: size + 1, pre: false, seq: 1 }, { position: size + 2, pre: false, seq: 2 });
    expect(run(places, size, seed)).toMatchObject({ inversions: 0, positionMismatches: 0, recorded: size + 2 });
    // Read with another seed, the same places are out of order.
    expect(run(places, size, seed + 1).inversions).toBeGreaterThan(0);
  });

  it('refuses places out of descending order (the caller reads them by position)', () => {
    const sweep = new InversionSweep(0, null);
    sweep.add({ position: 2, pre: false, seq: 2 });
    expect(() => sweep.add({ position: 3, pre: false, seq: 3 })).toThrow(RangeError);
  });
});
