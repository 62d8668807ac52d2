/**
 * The HTTP adapter (src/identity/providers/http.ts) against a local fake verification service on
 * 127.0.0.1 (a random port) speaking the documented JSON contract: the happy path, a provider
 * that hangs (timeout), one that fails (5xx → breaker) and one that refuses (4xx, not a fault).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isYeyakError, type YeyakError } from '../../src/core/errors.ts';
import { HttpProvider, MAX_CI_LENGTH } from '../../src/identity/providers/http.ts';
import { sandboxCi } from '../../src/identity/registry.ts';
import { ResilientProvider } from '../../src/identity/providers/resilient.ts';
import { defaultProviderSettings, type ProviderSettings } from '../../src/identity/providers/settings.ts';
import { startFakeVerificationService, type FakeVerificationService } from '../helpers/fake-identity-service.ts';
import { ProviderFault, SANDBOX_CODE, type StartRequest } from '../../src/identity/providers/types.ts';

let fake: FakeVerificationService;

beforeAll(async () => {
  fake = await startFakeVerificationService();
});
afterAll(async () => {
  await fake?.close();
});
afterEach(() => {
  fake.behave({ kind: 'ok' });
  fake.release();
});

const req = (n: number): StartRequest => ({ transactionId: `tx-${n}-${Math.random().toString(36).slice(2)}`, method: 'pass', name: '홍길동', birthDate: '1990-05-05', sexDigit: '1', phone: '01012345678' });
/** The HTTP adapter never sends what was stated at check (the service keeps its own records). */
const STATED = { name: 'not-sent', phone: '01000000000', birthDate: '2000-01-01', sexDigit: '3' };
const check = (transactionId: string, code: string) => ({ transactionId, method: 'pass' as const, code, stated: STATED });

function provider(patch: Partial<ProviderSettings> = {}, token: string | null = 'gateway-token') {
  const settings = { ...defaultProviderSettings, timeoutMs: 10_000, ...patch };
  const inner = new HttpProvider('pass', { baseUrl: fake.url, token });
  return new ResilientProvider(inner, { settings });
}

async function failure(promise: Promise<unknown>): Promise<YeyakError> {
  try {
    await promise;
  } catch (e) {
    if (isYeyakError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('HTTP adapter: happy path', () => {
  it('start sends the contract body (no RRN: birth date and 7th digit only) with idempotency key and bearer token; check judges the code and returns the identity', async () => {
    const p = provider();
    const r = req(1);
    const before = fake.requests.length;
    await p.start(r);
    const sent = fake.requests[before];
    expect(sent?.path).toBe('/verifications');
    expect(sent?.body).toEqual({ transactionId: r.transactionId, method: 'pass', name: '홍길동', birthDate: '1990-05-05', sexDigit: '1', phone: '01012345678' });
    expect(sent?.headers['idempotency-key']).toBe(r.transactionId);
    expect(sent?.headers.authorization).toBe('Bearer gateway-token');
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(JSON.stringify(sent?.body)).not.toMatch(/rrn/i);

    expect(await p.check(check(r.transactionId, '123456'))).toEqual({ status: 'rejected' });
    // Verified: the identity the service vouches for (its records of the start), not what yeyak held.
    expect(await p.check(check(r.transactionId, SANDBOX_CODE))).toEqual({
      status: 'verified',
      identity: { ci: sandboxCi('01012345678'), birthDate: '1990-05-05', sexDigit: '1', foreigner: false },
    });
    expect(fake.requests.at(-1)).toMatchObject({ path: `/verifications/${r.transactionId}/check` });
    expect(fake.requests.at(-1)?.body).toEqual({ code: SANDBOX_CODE }); // nothing else is sent
    expect(await p.check(check('never-started', SANDBOX_CODE))).toEqual({ status: 'expired' }); // 404
    fake.behave({ kind: 'pending' });
    expect(await p.check(check(r.transactionId, SANDBOX_CODE))).toEqual({ status: 'pending' });
    expect(p.status()).toMatchObject({ light: 'green', provider: 'http', breaker: 'closed', inFlight: 0 });
  });

  it('sends no authorization header without a token', async () => {
    const p = provider({}, null);
    await p.start(req(2));
    expect(fake.requests.at(-1)?.headers.authorization).toBeUndefined();
  });
});

describe('HTTP adapter: timeout', () => {
  /** Lets pending I/O callbacks and promise reactions run (setImmediate is not faked). */
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  // On the injected timer (vitest's fake setTimeout, which the policy's timeout uses), not the
  // wall clock: the call is still waiting 1 ms before timeoutMs and is abandoned exactly at it.
  it('a service that never answers is abandoned at timeoutMs: 429 UNAVAILABLE (timeout), the connection is dropped, it counts toward the breaker', async () => {
    const timeoutMs = 150;
    fake.behave({ kind: 'hang' });
    fake.hold();
    const p = provider({ timeoutMs, breakerFailures: 2 });
    const abortedBefore = fake.aborted();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let settled = false;
      const first = failure(p.start(req(3))).finally(() => {
        settled = true;
      });
      await fake.whenHeld(1); // the request reached the service, which holds it
      vi.advanceTimersByTime(timeoutMs - 1);
      await settle();
      expect(settled).toBe(false);
      vi.advanceTimersByTime(1);
      const e = await first;
      expect(e.code).toBe('YEYAK_E_IDENTITY_UNAVAILABLE');
      expect(e.status).toBe(429);
      expect(e.details).toMatchObject({ method: 'pass', reason: 'timeout' });

      const second = failure(p.start(req(4)));
      await fake.whenHeld(2);
      vi.advanceTimersByTime(timeoutMs);
      expect((await second).details?.reason).toBe('timeout');
    } finally {
      vi.useRealTimers();
    }
    await vi.waitFor(() => expect(fake.aborted()).toBe(abortedBefore + 2)); // the requests were cancelled, not left open
    expect(p.status()).toMatchObject({ breaker: 'open', light: 'grey' });
  });
});

describe('HTTP adapter: faults and refusals', () => {
  it.each([500, 502, 503, 504, 429, 408])('%i is a fault; breakerFailures of them open the breaker, after which the service is not called', async (status) => {
    fake.behave({ kind: 'status', status });
    const p = provider({ breakerFailures: 3 });
    for (let i = 0; i < 3; i++) {
      const e = await failure(p.start(req(10 + i)));
      expect(e.code).toBe('YEYAK_E_IDENTITY_UNAVAILABLE');
      expect(e.details?.reason).toBe('provider-error');
    }
    expect(p.breakerState()).toBe('open');
    const calls = fake.requests.length;
    const e = await failure(p.start(req(20)));
    expect(e.details).toMatchObject({ reason: 'breaker-open', retryAfterS: defaultProviderSettings.halfOpenAfterMs / 1000 });
    expect(fake.requests.length).toBe(calls);
    expect(p.status().light).toBe('grey');
  });

  it('an answer that is not JSON, or not the contract, is a fault', async () => {
    const p = provider({ breakerFailures: 100 });
    fake.behave({ kind: 'malformed' });
    expect((await failure(p.start(req(30)))).details?.reason).toBe('provider-error');
    const inner = new HttpProvider('pass', { baseUrl: fake.url });
    await expect(inner.start(req(31), new AbortController().signal)).rejects.toBeInstanceOf(ProviderFault);
    // A check answering a status outside the contract.
    const weird = new HttpProvider('pass', {
      baseUrl: fake.url,
      fetch: async () => new Response(JSON.stringify({ status: 'maybe' }), { status: 200, headers: { 'content-type': 'application/json' } }),
    });
    await expect(weird.check(check('x', SANDBOX_CODE), new AbortController().signal)).rejects.toThrow(/does not match the contract/);
  });

  const verifiedWith = (identity: unknown) =>
    new HttpProvider('pass', {
      baseUrl: fake.url,
      fetch: async () => new Response(JSON.stringify({ status: 'verified', identity }), { status: 200, headers: { 'content-type': 'application/json' } }),
    });
  const good = { ci: 'Q0kgb2YgYSBwZXJzb24=', birthDate: '1990-05-05', sexDigit: '1', foreigner: false };
  it.each([
    ['no identity', undefined],
    ['an empty CI', { ...good, ci: '' }],
    ['a CI too long', { ...good, ci: 'x'.repeat(MAX_CI_LENGTH + 1) }],
    ['a CI with a control character', { ...good, ci: 'ab\u0000c' }],
    ['not a real day', { ...good, birthDate: '1990-02-30' }],
    ['a sex digit that is not one digit', { ...good, sexDigit: '12' }],
    ['foreigner that contradicts the digit', { ...good, sexDigit: '5', foreigner: false }],
  ])('a verified answer with %s is a fault (the contract), never a person', async (_label, identity) => {
    await expect(verifiedWith(identity).check(check('x', SANDBOX_CODE), new AbortController().signal)).rejects.toBeInstanceOf(ProviderFault);
  });

  it('a verified answer within the contract is the identity (a foreign resident: digits 5–8)', async () => {
    const foreigner = { ci: 'Zm9yZWlnbmVy', birthDate: '1985-01-02', sexDigit: '6', foreigner: true };
    expect(await verifiedWith(foreigner).check(check('x', SANDBOX_CODE), new AbortController().signal)).toEqual({ status: 'verified', identity: foreigner });
    expect(await verifiedWith({ ...good, ci: 'y'.repeat(MAX_CI_LENGTH) }).check(check('x', SANDBOX_CODE), new AbortController().signal)).toMatchObject({ status: 'verified' });
  });

  it('a service that is down (connection refused) is a fault whose message names no personal data', async () => {
    const gone = await startFakeVerificationService();
    const url = gone.url;
    await gone.close();
    const inner = new HttpProvider('pass', { baseUrl: url });
    const err = await inner.start(req(40), new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderFault);
    expect(String((err as Error).message)).toMatch(/network error/);
    expect(String((err as Error).message)).not.toMatch(/홍길동|01012345678|1990-05-05/);
  });

  it.each([400, 403, 409, 422])('%i is a refusal of this citizen: 401 YEYAK_E_IDENTITY_FAILED, never opens the breaker', async (status) => {
    fake.behave({ kind: 'status', status });
    const p = provider({ breakerFailures: 2 });
    for (let i = 0; i < 5; i++) {
      const e = await failure(p.start(req(50 + i)));
      expect(e.code).toBe('YEYAK_E_IDENTITY_FAILED');
      expect(e.status).toBe(401);
    }
    expect(p.status()).toMatchObject({ breaker: 'closed', light: 'green', errorRate: 0 });
  });
});
