/**
 * Verification methods through the HTTP API: GET /identity/methods with the five lights, the
 * metrics, the 429 + Retry-After answers of a congested or broken method, a real-shaped HTTP
 * provider plugged in by configuration, and identity saturation slowing the waiting room.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, phoneOf, syntheticRrn, type TestApp, TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { errorCatalogue, type ErrorCode } from '../../src/core/errors.ts';
import { startFakeVerificationService, type FakeVerificationService } from '../helpers/fake-identity-service.ts';
import type { MethodStatus } from '../../src/identity/providers/resilient.ts';
import { identityMethods, type IdentityMethod } from '../../src/identity/providers/types.ts';

const API = '/api/v1';
let serial = 1;
const nextRrn = () => syntheticRrn('1990-05-05', 700_000 + serial++);

function expectError(res: LightMyRequestResponse, status: number, code: ErrorCode): Record<string, unknown> | undefined {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json() as { error: { code: string; message: string; details?: Record<string, unknown> } };
  expect(body.error.code).toBe(code);
  expect(errorCatalogue[code].status).toBe(status);
  return body.error.details;
}

const startChallenge = (t: TestApp, method: IdentityMethod, rrn = nextRrn()) =>
  t.app.inject({ method: 'POST', url: `${API}/identity/challenges`, payload: { method, name: '테스트', rrn, phone: phoneOf(rrn) } });
const verify = (t: TestApp, id: string, code = '000000') => t.app.inject({ method: 'POST', url: `${API}/identity/challenges/${id}/verify`, payload: { code } });
const methods = async (t: TestApp) => {
  const res = await t.app.inject({ method: 'GET', url: `${API}/identity/methods` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as MethodStatus[];
};

describe('sandbox providers (the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('GET /identity/methods lists the five methods in order, all green, with labels; shared caches may keep it 2 s', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${API}/identity/methods` });
    expect(res.headers['cache-control']).toBe('public, max-age=2');
    const list = res.json() as MethodStatus[];
    expect(list.map((m) => m.method)).toEqual([...identityMethods]);
    for (const m of list) {
      expect(m).toMatchObject({ light: 'green', available: true, provider: 'sandbox', breaker: 'closed', inFlight: 0, reasons: [] });
      expect(m.labelKo.length).toBeGreaterThan(0);
      expect(m.maxInFlight).toBeGreaterThan(0);
    }
    expect(list.find((m) => m.method === 'kakao')?.style).toBe('app');
    expect(list.find((m) => m.method === 'phone')?.style).toBe('otp');
    expect(list.find((m) => m.method === 'certificate')?.style).toBe('certificate');
  });

  it('every method verifies with 000000 in the sandbox', async () => {
    for (const method of identityMethods) {
      const start = await startChallenge(t, method);
      expect(start.statusCode, start.body).toBe(201);
      const done = await verify(t, (start.json() as { challengeId: string }).challengeId);
      expect(done.statusCode, done.body).toBe(200);
    }
  });

  it('a method held down turns grey in the API and the metrics; starting with it → 429 IDENTITY_UNAVAILABLE with Retry-After; the others still work', async () => {
    const kakao = t.app.yeyak.identityProviders.get('kakao');
    if (!kakao) throw new Error('kakao missing');
    kakao.isolate();
    try {
      const list = await methods(t);
      expect(list.map((m) => [m.method, m.light])).toEqual([
        ['phone', 'green'],
        ['naver', 'green'],
        ['kakao', 'grey'],
        ['pass', 'green'],
        ['certificate', 'green'],
      ]);
      const refused = await startChallenge(t, 'kakao');
      const details = expectError(refused, 429, 'YEYAK_E_IDENTITY_UNAVAILABLE');
      expect(details).toMatchObject({ method: 'kakao', reason: 'breaker-open' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await startChallenge(t, 'naver')).statusCode).toBe(201);

      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/^yeyak_identity_light\{method="kakao"\} 3$/m);
      expect(metrics).toMatch(/^yeyak_identity_light\{method="naver"\} 0$/m);
      expect(metrics).toMatch(/^yeyak_identity_breaker_state\{method="kakao"\} 3$/m);
      expect(metrics).toMatch(/^yeyak_identity_in_flight\{method="phone"\} 0$/m);
      expect(metrics).toMatch(/^yeyak_identity_calls_total\{method="kakao",op="start",outcome="open"\} [1-9]/m);
      expect(metrics).toMatch(/^yeyak_identity_provider_seconds_count\{method="naver",op="start",outcome="ok"\} [1-9]/m);
      expect(metrics).toMatch(/^yeyak_identity_provider_seconds_count\{method="naver",op="check",outcome="ok"\} [1-9]/m);
    } finally {
      kakao.release();
    }
    expect((await methods(t)).find((m) => m.method === 'kakao')?.light).toBe('green');
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: `${API}/openapi.json` })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(doc.paths['/api/v1/identity/methods']?.get).toBeDefined();
    expect(JSON.stringify(doc)).toContain('YEYAK_E_IDENTITY_UNAVAILABLE');
  });
});

describe('an HTTP verification service plugged in by configuration', () => {
  let t: TestApp;
  let fake: FakeVerificationService;
  beforeAll(async () => {
    fake = await startFakeVerificationService();
    // PASS goes to the service (2 calls in flight at most); the other methods stay in the sandbox.
    t = await createTestApp({ config: { identityProviders: JSON.stringify({ pass: { url: fake.url, maxInFlight: 2, breakerFailures: 3, timeoutMs: 60_000 } }) } });
  });
  afterAll(async () => {
    fake?.release();
    await t?.close();
    await fake?.close();
  });

  it('the full flow: start reaches the service (name, birth date, phone — no RRN), verify asks it; a session comes back', async () => {
    const rrn = nextRrn();
    const before = fake.requests.length;
    const start = await t.app.inject({ method: 'POST', url: `${API}/identity/challenges`, payload: { method: 'pass', name: '김민수', rrn, phone: '010-1234-5678' } });
    expect(start.statusCode, start.body).toBe(201);
    const { challengeId } = start.json() as { challengeId: string };
    // The provider's transaction is the challenge's nonce (22 characters), not the sealed token.
    const sent = fake.requests[before]?.body as { transactionId: string };
    expect(sent).toEqual({ transactionId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), method: 'pass', name: '김민수', birthDate: '1990-05-05', sexDigit: '1', phone: '01012345678' });
    expect(challengeId).not.toContain(sent.transactionId);
    expect(JSON.stringify(fake.requests.slice(before))).not.toContain(rrn.slice(7));
    expectError(await verify(t, challengeId, '123456'), 401, 'YEYAK_E_CODE_WRONG');
    const done = await verify(t, challengeId);
    expect(done.statusCode, done.body).toBe(200);
    expect((await methods(t)).find((m) => m.method === 'pass')).toMatchObject({ provider: 'http', light: 'green' });
  });

  it.each([
    ['another birth date', { birthDate: '1990-05-06' }],
    ['another sex digit', { sexDigit: '2' }],
    ['a foreign resident', { sexDigit: '5', foreigner: true }],
  ])('the service vouches for %s than the typed RRN → 403 IDENTITY_MISMATCH, no person, no session', async (_label, identity) => {
    const people = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM person');
    const start = await startChallenge(t, 'pass');
    expect(start.statusCode, start.body).toBe(201);
    fake.behave({ kind: 'identity', identity });
    const res = await verify(t, (start.json() as { challengeId: string }).challengeId);
    fake.behave({ kind: 'ok' });
    expectError(res, 403, 'YEYAK_E_IDENTITY_MISMATCH');
    expect(res.cookies).toHaveLength(0);
    expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM person')).rows[0]?.n).toBe(people.rows[0]?.n);
  });

  it('an approval still pending → 409 IDENTITY_PENDING without spending an attempt; a failing service → 429 with Retry-After, attempt given back', async () => {
    const start = await startChallenge(t, 'pass');
    const { challengeId } = start.json() as { challengeId: string };
    fake.behave({ kind: 'pending' });
    for (let i = 0; i < 6; i++) expectError(await verify(t, challengeId), 409, 'YEYAK_E_IDENTITY_PENDING'); // more than the 5 attempts
    fake.behave({ kind: 'status', status: 503 });
    const failed = await verify(t, challengeId);
    expect(expectError(failed, 429, 'YEYAK_E_IDENTITY_UNAVAILABLE')).toMatchObject({ method: 'pass', reason: 'provider-error' });
    expect(failed.headers['retry-after']).toBe('2');
    fake.behave({ kind: 'ok' });
    // Only judged attempts count: 4 wrong codes and the right one are the 5 allowed.
    for (let i = 0; i < 4; i++) expectError(await verify(t, challengeId, '123456'), 401, 'YEYAK_E_CODE_WRONG');
    const done = await verify(t, challengeId);
    expect(done.statusCode, done.body).toBe(200);
  });

  it('a full bulkhead: the third concurrent start → 429 busy at once, the light is red, other methods are not held up', async () => {
    fake.hold();
    const first = startChallenge(t, 'pass');
    const second = startChallenge(t, 'pass');
    await fake.whenHeld(2);
    const pass = (await methods(t)).find((m) => m.method === 'pass');
    expect(pass).toMatchObject({ light: 'red', inFlight: 2, maxInFlight: 2, saturation: 1 });

    const third = await startChallenge(t, 'pass');
    expect(expectError(third, 429, 'YEYAK_E_IDENTITY_UNAVAILABLE')).toMatchObject({ reason: 'busy', retryAfterS: 2 });
    expect(third.headers['retry-after']).toBe('2');
    for (const other of ['phone', 'naver', 'kakao', 'certificate'] as const) {
      const res = await startChallenge(t, other);
      expect(res.statusCode, `${other}: ${res.body}`).toBe(201);
    }
    expect(fake.held()).toBe(2); // still waiting all along

    fake.release();
    expect((await first).statusCode).toBe(201);
    expect((await second).statusCode).toBe(201);
  });

  it('a broken service opens its breaker: grey, and the service is no longer called', async () => {
    fake.behave({ kind: 'status', status: 500 });
    for (let i = 0; i < 3; i++) expectError(await startChallenge(t, 'pass'), 429, 'YEYAK_E_IDENTITY_UNAVAILABLE');
    const calls = fake.requests.length;
    const refused = await startChallenge(t, 'pass');
    expect(expectError(refused, 429, 'YEYAK_E_IDENTITY_UNAVAILABLE')).toMatchObject({ reason: 'breaker-open' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(2);
    expect(fake.requests.length).toBe(calls);
    expect((await methods(t)).find((m) => m.method === 'pass')).toMatchObject({ light: 'grey', breaker: 'open' });
    fake.behave({ kind: 'ok' });
  });
});

describe('identity saturation slows the waiting room', () => {
  const CAMPAIGN = 'korea-2021-08';
  const TICK_MS = 250;
  let t: TestApp;
  let fake: FakeVerificationService;
  beforeAll(async () => {
    fake = await startFakeVerificationService();
    // Every method behind the service, 2 in flight each: 10 in all.
    t = await createTestApp({
      scenario: 'korea-2021-08',
      clinics: 30,
      now: '2021-08-09T20:00:05+09:00',
      config: { joinPerIpPerMin: 1_000_000, identityProviders: JSON.stringify({ '*': { url: fake.url, maxInFlight: 2, timeoutMs: 60_000 } }) },
    });
    const patch = await t.app.inject({ method: 'PATCH', url: `${API}/admin/queue/${CAMPAIGN}`, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, payload: { ratePerS: 100 } });
    expect(patch.statusCode, patch.body).toBe(200);
  });
  afterAll(async () => {
    fake?.release();
    await t?.close();
    await fake?.close();
  });

  /** Admitted over `seconds` of campaign time, the controller stepped by hand; everyone shows up. */
  async function run(seconds: number): Promise<number> {
    const { store, controller, room } = t.app.yeyak.waitingRoom;
    const start = (await store.read(CAMPAIGN)).admittedUpTo;
    for (let i = 0; i < (seconds * 1000) / TICK_MS; i++) {
      const before = (await store.read(CAMPAIGN)).admittedUpTo;
      t.clock.advance(TICK_MS);
      await controller.tickAll();
      room.invalidate(CAMPAIGN);
      const after = (await store.read(CAMPAIGN)).admittedUpTo;
      for (let n = before + 1; n <= after; n++) await store.claimPass(CAMPAIGN, n, { expMs: t.clock.nowMs() + t.config.passTtlMs, nowMs: t.clock.nowMs(), claimWindowMs: t.config.queueClaimWindowMs });
    }
    return (await store.read(CAMPAIGN)).admittedUpTo - start;
  }

  it('with every provider full, admission drops to a crawl (never zero); it recovers when they drain', async () => {
    for (let i = 0; i < 3_000; i++) await t.app.yeyak.waitingRoom.room.issue(CAMPAIGN, false);
    await run(1); // spend the second banked at the start
    const healthy = await run(5);
    expect(healthy).toBeGreaterThanOrEqual(450);

    fake.hold();
    const pending = identityMethods.flatMap((m) => [startChallenge(t, m), startChallenge(t, m)]);
    await fake.whenHeld(10);
    const health = t.app.yeyak.identityProviders.health();
    expect(health.factor).toBeCloseTo(0.1);
    expect(health.reasons.join()).toMatch(/identity verification 100 % in use/);
    expect((await methods(t)).every((m) => m.light === 'red')).toBe(true);

    await run(1); // the bank shrinks to the slowed rate
    const slowed = await run(5);
    expect(slowed).toBeGreaterThan(0);
    expect(slowed).toBeLessThan(healthy / 3);

    fake.release();
    for (const res of await Promise.all(pending)) expect(res.statusCode).toBe(201);
    expect(t.app.yeyak.identityProviders.health().factor).toBe(1);
    await run(1);
    expect(await run(5)).toBeGreaterThanOrEqual(450);
  });
});
