/**
 * The two brakes on joining: an optional proof-of-work (difficulty set live by the operator) that
 * costs a phone a moment and a bot farm real money per place, and a per-address join limit.
 * korea-2021-08 just after its opening, FakeClock.
 *
 * korea-2021-08 runs here in its queue-first variant (test/waiting-room/helpers.ts): joins are
 * anonymous, as this suite is about the line's mechanics, not the order of verification.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp, TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { queueFirst } from './helpers.ts';
import { errorCatalogue, type ErrorCode } from '../../src/core/errors.ts';
import { issueChallenge, POW_CHALLENGE_TTL_MS, solve } from '../../src/waiting-room/pow.ts';
import { leadingZeroBits, powHash } from '../../src/core/pow-hash.ts';
import { TokenSigner } from '../../src/waiting-room/tokens.ts';

const API = '/api/v1';
const CAMPAIGN = 'korea-2021-08';
const OPENED = '2021-08-09T20:00:05+09:00';
const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

interface Challenge { challenge: string; difficultyBits: number; expiresAt: string }

function expectError(res: LightMyRequestResponse, status: number, code: ErrorCode): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json()).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(errorCatalogue[code].status).toBe(status);
}

/** A nonce whose hash has fewer than `bits` leading zero bits: a wrong answer. */
function wrongNonce(challenge: string, bits: number): string {
  for (let i = 0; ; i++) if (leadingZeroBits(powHash(challenge, `w${i}`)) < bits) return `w${i}`;
}

/** A nonce with exactly `bits` leading zero bits (enough for `bits`, not for more). */
function exactNonce(challenge: string, bits: number): string {
  for (let i = 0; ; i++) if (leadingZeroBits(powHash(challenge, `e${i}`)) === bits) return `e${i}`;
}

describe('proof-of-work at join', () => {
  let t: TestApp;
  const join = (body?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, headers, ...(body === undefined ? {} : { payload: body as object }) });
  const challenge = async (): Promise<Challenge> => {
    const res = await t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/queue/challenge` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Challenge;
  };
  const setBits = async (powBits: number) => {
    const res = await t.app.inject({ method: 'PATCH', url: `${API}/admin/queue/${CAMPAIGN}`, headers: ADMIN, payload: { powBits } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ powBits });
  };

  beforeAll(async () => {
    t = await createTestApp({ scenario: 'korea-2021-08', beforeBuild: queueFirst, clinics: 30, now: OPENED, config: { joinPerIpPerMin: 1_000_000 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('off by default: a join without a solution → 201', async () => {
    expect((await challenge()).difficultyBits).toBe(0);
    expect((await join()).statusCode).toBe(201);
  });

  it('set live to 8 bits through the admin API: a join without a solution → 428 YEYAK_E_POW_REQUIRED', async () => {
    await setBits(8);
    expectError(await join(), 428, 'YEYAK_E_POW_REQUIRED');
    expectError(await join({}), 428, 'YEYAK_E_POW_REQUIRED');
    const c = await challenge();
    expect(c.difficultyBits).toBe(8);
    expect(Date.parse(c.expiresAt)).toBe(t.clock.nowMs() + POW_CHALLENGE_TTL_MS);
  });

  it('a wrong nonce → 400 YEYAK_E_POW_INVALID', async () => {
    const { challenge: c } = await challenge();
    expectError(await join({ pow: { challenge: c, nonce: wrongNonce(c, 8) } }), 400, 'YEYAK_E_POW_INVALID');
  });

  it('a solution from solve(challenge, bits) → 201 with a ticket', async () => {
    const { challenge: c, difficultyBits } = await challenge();
    const res = await join({ pow: { challenge: c, nonce: solve(c, difficultyBits) } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ ticket: expect.any(String), state: 'waiting' });
  });

  it('PoW reuse: one solved challenge buys one join — presented again (another nonce too, or five at once) → 409 YEYAK_E_POW_REUSED', async () => {
    const { challenge: c } = await challenge();
    const nonce = solve(c, 8);
    expect((await join({ pow: { challenge: c, nonce } })).statusCode).toBe(201);
    expectError(await join({ pow: { challenge: c, nonce } }), 409, 'YEYAK_E_POW_REUSED');
    expectError(await join({ pow: { challenge: c, nonce: exactNonce(c, 9) } }), 409, 'YEYAK_E_POW_REUSED');
    // Shared with a bot farm: five joins at once with one solution get one place.
    const { challenge: shared } = await challenge();
    const sharedNonce = solve(shared, 8);
    const before = (await t.app.yeyak.waitingRoom.store.read(CAMPAIGN)).lastSeq;
    const all = await Promise.all(Array.from({ length: 5 }, () => join({ pow: { challenge: shared, nonce: sharedNonce } })));
    expect(all.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const r of all.filter((x) => x.statusCode === 409)) expectError(r, 409, 'YEYAK_E_POW_REUSED');
    expect((await t.app.yeyak.waitingRoom.store.read(CAMPAIGN)).lastSeq).toBe(before + 1);
  });

  it('a challenge that expired, is for another campaign, or was forged → 400 YEYAK_E_POW_INVALID', async () => {
    const { challenge: c } = await challenge();
    const nonce = solve(c, 8);
    t.clock.advance(POW_CHALLENGE_TTL_MS);
    expectError(await join({ pow: { challenge: c, nonce } }), 400, 'YEYAK_E_POW_INVALID');

    const { powSigner } = t.app.yeyak.waitingRoom;
    const other = issueChallenge(powSigner, 'demo', 8, t.clock.nowMs()).challenge;
    expectError(await join({ pow: { challenge: other, nonce: solve(other, 8) } }), 400, 'YEYAK_E_POW_INVALID');

    const forger = new TokenSigner([{ kid: 'dev', secret: 'an-attacker-guessed-secret-0123' }], 'pow');
    const forged = issueChallenge(forger, CAMPAIGN, 0, t.clock.nowMs()).challenge;
    expectError(await join({ pow: { challenge: forged, nonce: wrongNonce(forged, 8) } }), 400, 'YEYAK_E_POW_INVALID');
  });

  it('a challenge fetched while the difficulty was 0 does not waive the difficulty set since → 400 YEYAK_E_POW_INVALID', async () => {
    await setBits(0);
    const { challenge: easy, difficultyBits } = await challenge();
    expect(difficultyBits).toBe(0);
    await setBits(8);
    expectError(await join({ pow: { challenge: easy, nonce: wrongNonce(easy, 8) } }), 400, 'YEYAK_E_POW_INVALID');
    expect((await join({ pow: { challenge: easy, nonce: solve(easy, 8) } })).statusCode).toBe(201);
  });

  it('the difficulty is live both ways: raised, an answer good only for the old difficulty is refused; lowered, a lighter answer is accepted', async () => {
    await setBits(8);
    const { challenge: c } = await challenge();
    const eightBits = exactNonce(c, 8);
    await setBits(12);
    expectError(await join({ pow: { challenge: c, nonce: eightBits } }), 400, 'YEYAK_E_POW_INVALID');
    const hard = await challenge();
    expect(hard.difficultyBits).toBe(12);
    expect((await join({ pow: { challenge: hard.challenge, nonce: solve(hard.challenge, 12) } })).statusCode).toBe(201);

    await setBits(4);
    const fourBits = exactNonce(c, 4);
    expect((await join({ pow: { challenge: c, nonce: fourBits } })).statusCode).toBe(201);
    await setBits(8);
  });

  it('a refresh with the ticket one already holds keeps the place without solving again; a made-up ticket does not skip the work (428)', async () => {
    const { challenge: c } = await challenge();
    const first = await join({ pow: { challenge: c, nonce: solve(c, 8) } });
    expect(first.statusCode).toBe(201);
    const { ticket, position } = first.json() as { ticket: string; position: number };

    const refresh = await join(undefined, { 'yeyak-ticket': ticket });
    expect(refresh.statusCode, refresh.body).toBe(201);
    expect(refresh.json()).toMatchObject({ ticket, position });
    const byCookie = await join(undefined, { cookie: `yeyak_ticket=${ticket}` });
    expect(byCookie.json()).toMatchObject({ ticket, position });

    const [kid, body] = ticket.split('.') as [string, string];
    for (const fake of ['x', 'made-up-ticket', `${kid}.${body}.AAAA`]) {
      expectError(await join(undefined, { 'yeyak-ticket': fake }), 428, 'YEYAK_E_POW_REQUIRED');
      expectError(await join(undefined, { cookie: `yeyak_ticket=${fake}` }), 428, 'YEYAK_E_POW_REQUIRED');
    }
  });

  it('the admin API bounds the difficulty: powBits 25 or -1 → 400 YEYAK_E_VALIDATION', async () => {
    for (const powBits of [25, -1, 1.5]) {
      const res = await t.app.inject({ method: 'PATCH', url: `${API}/admin/queue/${CAMPAIGN}`, headers: ADMIN, payload: { powBits } });
      expectError(res, 400, 'YEYAK_E_VALIDATION');
    }
  });
});

describe('per-address join limit', () => {
  let t: TestApp;
  const join = (remoteAddress: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, remoteAddress, headers });

  beforeAll(async () => {
    t = await createTestApp({ scenario: 'korea-2021-08', beforeBuild: queueFirst, clinics: 30, now: OPENED, config: { joinPerIpPerMin: 5 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('joinPerIpPerMin 5: the 6th join from one address within a minute → 429 YEYAK_E_RATE_LIMITED; other addresses are not affected', async () => {
    expect(t.config.joinPerIpPerMin).toBe(5);
    for (let i = 0; i < 5; i++) expect((await join('203.0.113.7')).statusCode).toBe(201);
    const sixth = await join('203.0.113.7');
    expectError(sixth, 429, 'YEYAK_E_RATE_LIMITED');
    expect(sixth.headers['retry-after']).toBeDefined();
    expect((await join('203.0.113.8')).statusCode).toBe(201);
    // A forged X-Forwarded-For from an untrusted peer changes nothing.
    expectError(await join('203.0.113.7', { 'x-forwarded-for': '198.51.100.1' }), 429, 'YEYAK_E_RATE_LIMITED');
    // Status polls are not joins: the limited address can still ask where it stands.
    const ticket = ((await join('203.0.113.9')).json() as { ticket: string }).ticket;
    const status = await t.app.inject({ method: 'GET', url: `${API}/queue/status`, remoteAddress: '203.0.113.7', headers: { authorization: `Bearer ${ticket}` } });
    expect(status.statusCode).toBe(200);
  });
});
