/**
 * Verification providers behind their resilience policies (timeout, bulkhead, circuit breaker)
 * and the traffic light each method shows. Providers here are controllable: every call is a
 * deferred promise the test settles, and time is a number the test moves — no sleeps.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deferred } from '../helpers/app.ts';
import { isYeyakError, errorCatalogue, type YeyakError } from '../../src/core/errors.ts';
import { systemClock } from '../../src/core/clock.ts';
import { ConfigError, loadConfig } from '../../src/core/config.ts';
import {
  computeLight,
  CallWindow,
  ERROR_RATE_RED,
  ERROR_RATE_YELLOW,
  LATENCY_RED_MS,
  LATENCY_YELLOW_MS,
  RATE_MIN_CALLS,
  SATURATION_RED,
  SATURATION_YELLOW,
  WINDOW_MS,
  type LightInputs,
} from '../../src/identity/providers/lights.ts';
import { ResilientProvider, BUSY_RETRY_AFTER_S } from '../../src/identity/providers/resilient.ts';
import { SandboxProvider } from '../../src/identity/providers/sandbox.ts';
import { sandboxCi } from '../../src/identity/registry.ts';
import { createProviderRegistry, IDENTITY_PRESSURE_OK, ProviderRegistry } from '../../src/identity/providers/registry.ts';
import { defaultProviderSettings, parseProviderSettings, settingsFor, type ProviderSettings } from '../../src/identity/providers/settings.ts';
import {
  identityMethods,
  ProviderFault,
  ProviderRefused,
  SANDBOX_CODE,
  type CheckOutcome,
  type CheckRequest,
  type IdentityMethod,
  type StartRequest,
  type VerificationProvider,
} from '../../src/identity/providers/types.ts';

/** A provider whose every call waits for the test: settle it with ok() / fail() / refuse(). */
class ControlledProvider implements VerificationProvider {
  readonly kind = 'sandbox' as const;
  readonly calls: { op: 'start' | 'check'; signal: AbortSignal; d: ReturnType<typeof deferred<CheckOutcome | void>> }[] = [];
  constructor(readonly method: IdentityMethod) {}
  start(_req: StartRequest, signal: AbortSignal): Promise<void> {
    const d = deferred<CheckOutcome | void>();
    this.calls.push({ op: 'start', signal, d });
    return d.promise as Promise<void>;
  }
  check(_req: CheckRequest, signal: AbortSignal): Promise<CheckOutcome> {
    const d = deferred<CheckOutcome | void>();
    this.calls.push({ op: 'check', signal, d });
    return d.promise as Promise<CheckOutcome>;
  }
  get pending() {
    return this.calls.length;
  }
  /** Settles the oldest unsettled call. */
  private next() {
    const c = this.calls.shift();
    if (!c) throw new Error('no call in flight');
    return c;
  }
  ok(outcome: CheckOutcome = VERIFIED) {
    const c = this.next();
    c.d.resolve(c.op === 'check' ? outcome : undefined);
  }
  fail() {
    this.next().d.reject(new ProviderFault('controlled failure'));
  }
  refuse() {
    this.next().d.reject(new ProviderRefused('controlled refusal'));
  }
}

const START: StartRequest = { transactionId: 'tx-1', method: 'kakao', name: '테스트', birthDate: '1990-05-05', sexDigit: '1', phone: '01012345678' };
const STATED = { name: START.name, phone: START.phone, birthDate: START.birthDate, sexDigit: START.sexDigit };
const VERIFIED: CheckOutcome = { status: 'verified', identity: { ci: 'ci-of-test', birthDate: '1990-05-05', sexDigit: '1', foreigner: false } };

/** Manual time for the light's window and latencies. */
function manualTime(start = 1_000_000) {
  let now = start;
  return { nowMs: () => now, advance: (ms: number) => (now += ms) };
}

function resilient(inner: VerificationProvider, patch: Partial<ProviderSettings>, time = manualTime()) {
  const settings = { ...defaultProviderSettings, timeoutMs: 60_000, ...patch };
  return { p: new ResilientProvider(inner, { settings, nowMs: time.nowMs }), time };
}

/** Starts a call and keeps its settlement, so an expected rejection is never "unhandled". */
function track<T>(promise: Promise<T>) {
  const settled = promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  let done = false;
  void settled.then(() => (done = true));
  return { settled, isDone: () => done };
}

async function rejection(promise: Promise<unknown>): Promise<YeyakError> {
  const r = await track(promise).settled;
  if (r.ok) throw new Error('expected a rejection');
  if (!isYeyakError(r.error)) throw r.error;
  return r.error;
}

/** Lets queued microtasks run (promise chains inside the providers), without timers. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('computeLight: named thresholds', () => {
  const base: LightInputs = { configured: true, breaker: 'closed', latencyMs: 0, saturation: 0, errorRate: 0, rejectedShare: 0 };
  it.each([
    ['idle', {}, 'green'],
    ['latency just under yellow', { latencyMs: LATENCY_YELLOW_MS - 1 }, 'green'],
    ['latency at yellow', { latencyMs: LATENCY_YELLOW_MS }, 'yellow'],
    ['latency at red', { latencyMs: LATENCY_RED_MS }, 'red'],
    ['saturation at yellow', { saturation: SATURATION_YELLOW }, 'yellow'],
    ['saturation at red', { saturation: SATURATION_RED }, 'red'],
    ['errors at yellow', { errorRate: ERROR_RATE_YELLOW }, 'yellow'],
    ['errors at red', { errorRate: ERROR_RATE_RED }, 'red'],
    ['some turned away', { rejectedShare: 0.01 }, 'yellow'],
    ['many turned away', { rejectedShare: 0.2 }, 'red'],
    ['breaker half-open', { breaker: 'half-open' }, 'red'],
    ['breaker open', { breaker: 'open' }, 'grey'],
    ['breaker open beats everything else', { breaker: 'open', latencyMs: 0 }, 'grey'],
    ['isolated by an operator', { breaker: 'isolated' }, 'grey'],
    ['not configured', { configured: false }, 'grey'],
  ] as const)('%s → %s', (_name, patch, light) => {
    const r = computeLight({ ...base, ...patch });
    expect(r.light).toBe(light);
    if (light === 'green') expect(r.reasons).toEqual([]);
    else expect(r.reasons.length).toBeGreaterThan(0);
  });

  it('the worst signal wins and every reason is named', () => {
    const r = computeLight({ ...base, latencyMs: LATENCY_YELLOW_MS + 1, saturation: SATURATION_RED });
    expect(r.light).toBe('red');
    expect(r.reasons.join('; ')).toMatch(/latency 1001 ms.*% of capacity in use/);
  });
});

describe('CallWindow', () => {
  it('averages completed calls, sees the oldest call still in flight, and forgets after WINDOW_MS', () => {
    const t = manualTime();
    const w = new CallWindow(t.nowMs);
    const a = w.begin();
    t.advance(100);
    const b = w.begin();
    t.advance(400);
    expect(w.snapshot().oldestInFlightMs).toBe(500);
    expect(w.end(a, false)).toBe(500);
    expect(w.snapshot()).toMatchObject({ calls: 1, meanLatencyMs: 500, oldestInFlightMs: 400 });
    w.end(b, true);
    expect(w.snapshot()).toMatchObject({ calls: 2, faults: 1, meanLatencyMs: 450, oldestInFlightMs: 0, errorRate: 0 }); // < RATE_MIN_CALLS
    for (let i = 0; i < RATE_MIN_CALLS; i++) w.end(w.begin(), false);
    expect(w.snapshot().errorRate).toBeCloseTo(1 / (RATE_MIN_CALLS + 2));
    t.advance(WINDOW_MS + 1);
    expect(w.snapshot()).toMatchObject({ calls: 0, faults: 0, meanLatencyMs: 0, errorRate: 0 });
  });
});

describe('one method through green → yellow → red → grey', () => {
  it('latency, then saturation, then errors, then the breaker', async () => {
    const inner = new ControlledProvider('kakao');
    const { p, time } = resilient(inner, { maxInFlight: 10, breakerFailures: 3 });
    expect(p.status()).toMatchObject({ light: 'green', breaker: 'closed', inFlight: 0, maxInFlight: 10, provider: 'sandbox', available: true });

    // Latency: two calls that take 1.5 s. The light turns while they are still in flight.
    const slow = [track(p.start(START)), track(p.start(START))];
    time.advance(1_500);
    expect(p.status()).toMatchObject({ light: 'yellow', latencyMs: 1_500, inFlight: 2 });
    inner.ok();
    inner.ok();
    await Promise.all(slow.map((c) => c.settled));
    expect(p.status()).toMatchObject({ light: 'yellow', latencyMs: 1_500, inFlight: 0 });
    expect(p.status().reasons.join()).toMatch(/latency 1500 ms/);
    time.advance(WINDOW_MS + 1); // forgotten
    expect(p.status().light).toBe('green');

    // Saturation: 6 of 10 in flight → yellow; 9 of 10 → red.
    const held = Array.from({ length: 6 }, () => track(p.start(START)));
    expect(p.status()).toMatchObject({ light: 'yellow', saturation: 0.6 });
    held.push(...Array.from({ length: 3 }, () => track(p.start(START))));
    expect(p.status()).toMatchObject({ light: 'red', saturation: 0.9, inFlight: 9 });
    while (inner.pending) inner.ok();
    await Promise.all(held.map((c) => c.settled));
    expect(p.status().light).toBe('green');
    time.advance(WINDOW_MS + 1);

    // Errors: 3 faults in 10 calls, never 3 in a row (the breaker stays closed) → red.
    for (let i = 0; i < 10; i++) {
      const c = track(p.start(START));
      if (i % 3 === 2) inner.fail();
      else inner.ok();
      await c.settled;
    }
    expect(p.status()).toMatchObject({ light: 'red', errorRate: 0.3, breaker: 'closed' });
    time.advance(WINDOW_MS + 1);
    expect(p.status().light).toBe('green');

    // Breaker: 3 consecutive faults open it → grey, with the seconds until it tries again.
    for (let i = 0; i < 3; i++) {
      const c = p.start(START);
      inner.fail();
      expect((await rejection(c)).details).toMatchObject({ reason: 'provider-error' });
    }
    expect(p.status()).toMatchObject({ light: 'grey', breaker: 'open', retryAfterS: defaultProviderSettings.halfOpenAfterMs / 1000 });
  });
});

describe('bulkhead', () => {
  it('refuses the call beyond maxInFlight at once with 429 YEYAK_E_IDENTITY_UNAVAILABLE; refusals never open the breaker', async () => {
    const inner = new ControlledProvider('pass');
    const { p } = resilient(inner, { maxInFlight: 3, breakerFailures: 2 });
    const inFlight = [track(p.start(START)), track(p.start(START)), track(p.start(START))];
    expect(inner.pending).toBe(3);
    for (let i = 0; i < 20; i++) {
      const e = await rejection(p.start(START));
      expect(e.code).toBe('YEYAK_E_IDENTITY_UNAVAILABLE');
      expect(e.status).toBe(429);
      expect(errorCatalogue.YEYAK_E_IDENTITY_UNAVAILABLE.status).toBe(429);
      expect(e.details).toEqual({ method: 'pass', reason: 'busy', retryAfterS: BUSY_RETRY_AFTER_S });
    }
    expect(inner.pending).toBe(3); // the refused calls never reached the provider
    expect(p.status()).toMatchObject({ light: 'red', breaker: 'closed', inFlight: 3, saturation: 1 });
    expect(p.status().reasons.join()).toMatch(/turned away/);

    inner.ok();
    await inFlight[0]?.settled;
    const next = track(p.check({ transactionId: 'tx-1', method: 'pass', code: SANDBOX_CODE, stated: STATED }));
    expect(inner.pending).toBe(3); // a slot freed: the next call goes through
    while (inner.pending) inner.ok();
    expect(await next.settled).toEqual({ ok: true, value: VERIFIED });
    await Promise.all(inFlight.map((c) => c.settled));
    expect(p.breakerState()).toBe('closed');
  });
});

describe('circuit breaker', () => {
  it('opens after breakerFailures consecutive faults, refuses without calling the provider, half-opens after halfOpenAfterMs, closes on a good test call', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2021-08-09T11:00:00Z'));
    const inner = new ControlledProvider('naver');
    const { p } = resilient(inner, { breakerFailures: 3, halfOpenAfterMs: 10_000 });

    for (let i = 0; i < 3; i++) {
      const c = p.start(START);
      inner.fail();
      await rejection(c);
    }
    expect(p.breakerState()).toBe('open');
    const refused = await rejection(p.start(START));
    expect(refused.details).toEqual({ method: 'naver', reason: 'breaker-open', retryAfterS: 10 });
    expect(inner.pending).toBe(0); // never called

    vi.setSystemTime(systemClock.nowMs() + 9_000);
    expect(p.status()).toMatchObject({ light: 'grey', breaker: 'open', retryAfterS: 1 });
    expect((await rejection(p.start(START))).details?.reason).toBe('breaker-open');

    vi.setSystemTime(systemClock.nowMs() + 1_000);
    expect(p.status()).toMatchObject({ light: 'red', breaker: 'half-open' }); // ready for a test call
    const test = track(p.start(START));
    expect(inner.pending).toBe(1); // the test call reaches the provider
    expect(p.breakerState()).toBe('half-open');
    inner.ok();
    expect((await test.settled).ok).toBe(true);
    expect(p.breakerState()).toBe('closed');
  });

  it('a failed test call opens it again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2021-08-09T11:00:00Z'));
    const inner = new ControlledProvider('naver');
    const { p } = resilient(inner, { breakerFailures: 2, halfOpenAfterMs: 5_000 });
    for (let i = 0; i < 2; i++) {
      const c = p.start(START);
      inner.fail();
      await rejection(c);
    }
    vi.setSystemTime(systemClock.nowMs() + 5_000);
    const test = p.start(START);
    inner.fail();
    expect((await rejection(test)).details?.reason).toBe('provider-error');
    expect(p.status()).toMatchObject({ breaker: 'open', light: 'grey' });
    expect((await rejection(p.start(START))).details?.reason).toBe('breaker-open');
  });

  it('a refusal by the provider (the citizen’s details) is YEYAK_E_IDENTITY_FAILED and never opens it', async () => {
    const inner = new ControlledProvider('phone');
    const { p } = resilient(inner, { breakerFailures: 2 });
    for (let i = 0; i < 10; i++) {
      const c = p.start(START);
      inner.refuse();
      const e = await rejection(c);
      expect(e.code).toBe('YEYAK_E_IDENTITY_FAILED');
      expect(e.status).toBeLessThan(500);
    }
    expect(p.status()).toMatchObject({ breaker: 'closed', errorRate: 0, light: 'green' });
  });

  it('an operator can hold it open (isolate → grey) and release it', async () => {
    const inner = new ControlledProvider('certificate');
    const { p } = resilient(inner, {});
    p.isolate();
    expect(p.status()).toMatchObject({ light: 'grey', breaker: 'isolated' });
    expect((await rejection(p.start(START))).details?.reason).toBe('breaker-open');
    p.release();
    const c = track(p.start(START));
    inner.ok();
    expect((await c.settled).ok).toBe(true);
  });
});

describe('timeout', () => {
  it('answers at timeoutMs even if the provider never does, aborts its signal, and counts a fault', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const inner = new ControlledProvider('kakao');
    const { p, time } = resilient(inner, { timeoutMs: 3_000, breakerFailures: 2 });
    const c = track(p.start(START));
    const signal = inner.calls[0]?.signal;
    expect(signal?.aborted).toBe(false);
    time.advance(2_999);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(c.isDone()).toBe(false);
    time.advance(1);
    await vi.advanceTimersByTimeAsync(1);
    const r = await c.settled;
    if (r.ok) throw new Error('expected a timeout');
    expect((r.error as YeyakError).details).toMatchObject({ reason: 'timeout', method: 'kakao' });
    expect(signal?.aborted).toBe(true);
    expect(p.window.snapshot()).toMatchObject({ calls: 1, faults: 1, meanLatencyMs: 3_000 });
    // A second timeout opens the breaker (timeouts are faults).
    const c2 = track(p.start(START));
    await vi.advanceTimersByTimeAsync(3_000);
    await c2.settled;
    expect(p.breakerState()).toBe('open');
  });
});

describe('isolation between methods', () => {
  it('one provider stuck at its capacity does not slow the others: their calls finish while its calls hang', async () => {
    const time = manualTime();
    const settings = { ...defaultProviderSettings, maxInFlight: 50, timeoutMs: 60_000 };
    const stuck = new ControlledProvider('kakao');
    const providers = identityMethods.map((m) =>
      m === 'kakao' ? new ResilientProvider(stuck, { settings, nowMs: time.nowMs }) : new ResilientProvider(new SandboxProvider(m, settings), { settings, nowMs: time.nowMs }),
    );
    const registry = new ProviderRegistry(providers);
    const kakao = registry.get('kakao');
    if (!kakao) throw new Error('kakao missing');

    const hanging = Array.from({ length: 50 }, () => track(kakao.start({ ...START, method: 'kakao' })));
    time.advance(LATENCY_RED_MS);
    expect(kakao.status()).toMatchObject({ light: 'red', inFlight: 50, saturation: 1 });
    expect((await rejection(kakao.start(START))).details?.reason).toBe('busy');

    // 1,000 verifications on each other method (20 clients × 50) complete while kakao's 50 calls still hang.
    for (const m of identityMethods.filter((x) => x !== 'kakao')) {
      const p = registry.get(m);
      if (!p) throw new Error(`${m} missing`);
      const results: CheckOutcome[] = [];
      await Promise.all(
        Array.from({ length: 20 }, async (_, client) => {
          for (let i = 0; i < 50; i++) {
            const req = { ...START, method: m, transactionId: `${m}-${client}-${i}` };
            await p.start(req);
            results.push(await p.check({ transactionId: req.transactionId, method: m, code: SANDBOX_CODE, stated: STATED }));
          }
        }),
      );
      expect(results).toHaveLength(1_000);
      expect(results.every((r) => r.status === 'verified')).toBe(true);
      expect(p.status()).toMatchObject({ light: 'green', inFlight: 0, breaker: 'closed' });
    }
    expect(hanging.every((c) => !c.isDone())).toBe(true);
    expect(registry.statuses().map((s) => [s.method, s.light])).toEqual([
      ['phone', 'green'],
      ['naver', 'green'],
      ['kakao', 'red'],
      ['pass', 'green'],
      ['certificate', 'green'],
    ]);
    while (stuck.pending) stuck.ok();
    await Promise.all(hanging.map((c) => c.settled));
  });
});

describe('sandbox provider', () => {
  it('accepts 000000 only, serves at most `capacity` at once (the rest wait their turn), fails at failureRate', async () => {
    const waits: ReturnType<typeof deferred<void>>[] = [];
    const randoms = [0.01, 0.99];
    const sandbox = new SandboxProvider(
      'phone',
      { latencyMs: 100, jitterMs: 0, capacity: 2, failureRate: 0 },
      {
        wait: () => {
          const d = deferred();
          waits.push(d);
          return d.promise;
        },
        random: () => randoms.shift() ?? 0.5,
      },
    );
    const signal = new AbortController().signal;
    const calls = [0, 1, 2].map(() => track(sandbox.check({ transactionId: 't', method: 'phone', code: SANDBOX_CODE, stated: STATED }, signal)));
    await flush();
    expect(sandbox.serving).toBe(2);
    expect(waits).toHaveLength(2); // the third waits for a worker
    waits[0]?.resolve();
    // It vouches for what was stated: the CI of the name and phone, the birth date and sex digit.
    expect(await calls[0]?.settled).toEqual({ ok: true, value: { status: 'verified', identity: { ci: sandboxCi('010-1234-5678'), birthDate: '1990-05-05', sexDigit: '1', foreigner: false } } });
    await flush();
    expect(waits).toHaveLength(3);
    waits[1]?.resolve();
    waits[2]?.resolve();
    await Promise.all(calls.map((c) => c.settled));
    expect(sandbox.serving).toBe(0);

    sandbox.tune({ latencyMs: 0 });
    expect(await sandbox.check({ transactionId: 't', method: 'phone', code: '123456', stated: STATED }, signal)).toEqual({ status: 'rejected' });

    sandbox.tune({ failureRate: 0.05 });
    await expect(sandbox.start(START, signal)).rejects.toBeInstanceOf(ProviderFault); // random 0.01 < 0.05
    await expect(sandbox.start(START, signal)).resolves.toBeUndefined(); // random 0.99
  });

  it('a call waiting for a worker leaves the line when its signal aborts (the timeout)', async () => {
    const sandbox = new SandboxProvider('pass', { latencyMs: 10, jitterMs: 0, capacity: 1, failureRate: 0 }, { wait: () => new Promise(() => undefined) });
    const first = new AbortController();
    const second = new AbortController();
    track(sandbox.start(START, first.signal));
    const waiting = track(sandbox.start(START, second.signal));
    second.abort(new Error('timed out'));
    expect((await waiting.settled).ok).toBe(false);
    expect(sandbox.serving).toBe(1);
  });
});

describe('identity health for the admission controller', () => {
  function registryOf(n: number, maxInFlight: number) {
    const time = manualTime();
    const inners = identityMethods.slice(0, n).map((m) => new ControlledProvider(m));
    const settings = { ...defaultProviderSettings, maxInFlight, timeoutMs: 60_000 };
    return { inners, registry: new ProviderRegistry(inners.map((i) => new ResilientProvider(i, { settings, nowMs: time.nowMs }))) };
  }

  it('full speed while below IDENTITY_PRESSURE_OK of the capacity in use; slows as it fills; crawls when full or all grey', async () => {
    const { inners, registry } = registryOf(2, 10);
    expect(registry.health()).toEqual({ factor: 1, reasons: [] });
    const calls: ReturnType<typeof track>[] = [];
    const fill = (method: IdentityMethod, n: number) => {
      for (let i = 0; i < n; i++) calls.push(track(registry.get(method)?.start(START) ?? Promise.reject(new Error('none'))));
    };
    fill('phone', 10); // 10 of 20
    expect(registry.health().factor).toBe(1);
    expect(10 / 20).toBeLessThan(IDENTITY_PRESSURE_OK);
    fill('naver', 6); // 16 of 20 = 0.8
    const mid = registry.health();
    expect(mid.factor).toBeGreaterThan(0.1);
    expect(mid.factor).toBeLessThan(0.6);
    expect(mid.reasons.join()).toMatch(/identity verification 80 % in use/);
    fill('naver', 4); // full
    expect(registry.health().factor).toBeCloseTo(0.1);
    for (const i of inners) while (i.pending) i.ok();
    await Promise.all(calls.map((c) => c.settled));
    expect(registry.health().factor).toBe(1);

    for (const m of ['phone', 'naver'] as const) registry.get(m)?.isolate();
    expect(registry.health()).toEqual({ factor: 0.1, reasons: ['no verification method available'] });
  });

  it('turning people away (bulkhead full) counts as saturation', async () => {
    const { inners, registry } = registryOf(2, 2);
    const calls = [0, 1].map(() => track(registry.get('phone')?.start(START) ?? Promise.reject(new Error('none'))));
    for (let i = 0; i < 5; i++) await rejection(registry.get('phone')?.start(START) ?? Promise.reject(new Error('none')));
    const h = registry.health();
    expect(h.factor).toBeCloseTo(0.1);
    expect(h.reasons.join()).toMatch(/turned away/);
    for (const i of inners) while (i.pending) i.ok();
    await Promise.all(calls.map((c) => c.settled));
  });

  it('a node without identity providers does not slow admission', () => {
    const registry = createProviderRegistry({ identity: 'off', identityProviders: {}, identityHttpUrl: null, identityHttpToken: null });
    expect(registry.statuses().every((s) => s.light === 'grey' && !s.available)).toBe(true);
    expect(registry.health()).toEqual({ factor: 1, reasons: [] });
  });
});

describe('settings (YEYAK_IDENTITY_PROVIDERS)', () => {
  it('merges defaults, "*" and the method’s own entry', () => {
    const spec = parseProviderSettings('{"*": {"timeoutMs": 3000, "maxInFlight": 100}, "kakao": {"latencyMs": 800, "capacity": 50, "maxInFlight": 20}}');
    expect(settingsFor(spec, 'kakao')).toMatchObject({ timeoutMs: 3000, maxInFlight: 20, latencyMs: 800, capacity: 50, failureRate: 0 });
    expect(settingsFor(spec, 'naver')).toMatchObject({ timeoutMs: 3000, maxInFlight: 100, latencyMs: 0 });
    expect(settingsFor(parseProviderSettings(null), 'phone')).toEqual(defaultProviderSettings);
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['an array', '[]', /JSON object/],
    ['an unknown method', '{"toss": {}}', /unknown method "toss"/],
    ['an unknown setting', '{"kakao": {"latency": 5}}', /unknown setting "latency"/],
    ['a failure rate above 1', '{"kakao": {"failureRate": 1.5}}', /failureRate/],
    ['a fractional bulkhead', '{"*": {"maxInFlight": 2.5}}', /maxInFlight must be an integer/],
    ['a non-http url', '{"pass": {"url": "ftp://x"}}', /url must be an http/],
  ])('refuses %s at boot', (_name, json, message) => {
    expect(() => loadConfig({ identityProviders: json }, {})).toThrow(ConfigError);
    expect(() => loadConfig({ identityProviders: json }, {})).toThrow(message);
  });

  it('reads YEYAK_IDENTITY_PROVIDERS and YEYAK_IDENTITY_HTTP_URL from the environment', () => {
    const c = loadConfig({}, { YEYAK_IDENTITY_PROVIDERS: '{"pass": {"latencyMs": 250}}', YEYAK_IDENTITY_HTTP_URL: 'http://127.0.0.1:9/verify' });
    expect(c.identityProviders.pass).toEqual({ latencyMs: 250 });
    expect(c.identityHttpUrl).toBe('http://127.0.0.1:9/verify');
    expect(() => loadConfig({}, { YEYAK_IDENTITY_HTTP_URL: 'not a url' })).toThrow(ConfigError);
  });
});
