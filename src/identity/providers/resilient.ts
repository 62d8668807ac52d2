import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleWhen,
  timeout,
  wrap,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IDisposable,
} from 'cockatiel';
import { setMaxListeners } from 'node:events';
import { systemClock } from '../../core/clock.ts';
import { YeyakError } from '../../core/errors.ts';
import { CallWindow, computeLight, type BreakerView, type Light } from './lights.ts';
import type { ProviderSettings } from './settings.ts';
import { methodInfo, ProviderRefused, type CheckOutcome, type CheckRequest, type IdentityMethod, type MethodStyle, type StartRequest, type VerificationProvider } from './types.ts';

/** Retry-After for a method whose bulkhead is full or whose call failed, s. */
export const BUSY_RETRY_AFTER_S = 2;

export type CallOutcome = 'ok' | 'refused' | 'fault' | 'timeout' | 'busy' | 'open';

export interface CallEvent {
  method: IdentityMethod;
  op: 'start' | 'check';
  outcome: CallOutcome;
  /** Time inside the provider, ms; absent when the call never reached it (busy, open). */
  ms?: number;
}

export interface ResilientOptions {
  settings: ProviderSettings;
  /** Monotonic ms for latencies and the light's window; default the system clock's monotonic time. */
  nowMs?: () => number;
  /** Wall-clock ms for the breaker's open period (cockatiel reads Date.now()); default the system clock. */
  wallMs?: () => number;
  onCall?: (e: CallEvent) => void;
  /** Breaker changes are 'warn'; single failed calls 'info'. Never given personal data. */
  log?: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
}

/** A method as the API and the metrics show it. */
export interface MethodStatus {
  method: IdentityMethod;
  style: MethodStyle;
  labelKo: string;
  labelEn: string;
  /** false: no provider is configured for this method on this node. */
  available: boolean;
  provider: 'sandbox' | 'http' | null;
  light: Light;
  reasons: string[];
  /** max(mean latency over the window, age of the oldest call in flight), ms. */
  latencyMs: number;
  /** Calls in flight ÷ maxInFlight. */
  saturation: number;
  /** Faults ÷ completed calls over the window. */
  errorRate: number;
  inFlight: number;
  maxInFlight: number;
  breaker: BreakerView;
  /** While the breaker is open: seconds until it lets a test call through. */
  retryAfterS?: number;
}

/** The grey answer for a method without a provider. */
export function unavailableStatus(method: IdentityMethod): MethodStatus {
  const info = methodInfo[method];
  const { light, reasons } = computeLight({ configured: false, breaker: 'closed', latencyMs: 0, saturation: 0, errorRate: 0, rejectedShare: 0 });
  return { method, ...info, available: false, provider: null, light, reasons, latencyMs: 0, saturation: 0, errorRate: 0, inFlight: 0, maxInFlight: 0, breaker: 'closed' };
}

/**
 * One provider behind a bulkhead (at most maxInFlight calls; one more is refused at once, never
 * queued), a circuit breaker (opens after breakerFailures consecutive faults, lets one test call
 * through after halfOpenAfterMs) and a timeout (aggressive: the caller is answered at timeoutMs
 * even if the provider never returns; the abort signal tells the provider to stop). Order:
 * bulkhead → breaker → timeout → provider, so refusals by a full bulkhead never count as provider
 * faults, and a call refused by an open breaker holds no slot.
 *
 * Failures become catalogue errors: busy, open, timeout, fault → YEYAK_E_IDENTITY_UNAVAILABLE
 * (429 with retryAfterS); a refusal by the provider → YEYAK_E_IDENTITY_FAILED.
 */
export class ResilientProvider {
  readonly method: IdentityMethod;
  readonly kind: 'sandbox' | 'http';
  readonly window: CallWindow;
  readonly settings: Readonly<ProviderSettings>;
  private readonly bulkhead: BulkheadPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly policy: ReturnType<typeof wrap>;
  private readonly nowMs: () => number;
  private readonly wallMs: () => number;
  private openedAtWallMs: number | null = null;
  private isolation: IDisposable | null = null;
  /**
   * The parent signal of every call that brings none: never aborted. Each call in flight hangs
   * one listener on it (cockatiel's timeout derives from it), up to maxInFlight — not a leak.
   */
  private readonly idle = new AbortController().signal;

  constructor(
    readonly inner: VerificationProvider,
    private readonly opts: ResilientOptions,
  ) {
    this.method = inner.method;
    this.kind = inner.kind;
    this.settings = Object.freeze({ ...opts.settings });
    this.nowMs = opts.nowMs ?? (() => systemClock.monotonicMs());
    this.wallMs = opts.wallMs ?? (() => systemClock.nowMs());
    this.window = new CallWindow(this.nowMs);
    this.bulkhead = bulkhead(this.settings.maxInFlight, 0);
    // Everything but a sane refusal is a fault: errors, timeouts, answers off the contract.
    this.breaker = circuitBreaker(
      handleWhen((e) => !(e instanceof ProviderRefused)),
      { halfOpenAfter: this.settings.halfOpenAfterMs, breaker: new ConsecutiveBreaker(this.settings.breakerFailures) },
    );
    this.breaker.onBreak(() => {
      this.openedAtWallMs = this.wallMs();
      opts.log?.('warn', 'identity provider circuit opened', { method: this.method, halfOpenAfterMs: this.settings.halfOpenAfterMs });
    });
    this.breaker.onReset(() => {
      this.openedAtWallMs = null;
      opts.log?.('warn', 'identity provider circuit closed', { method: this.method });
    });
    setMaxListeners(0, this.idle);
    // Not aborting the signal of every call that returned saves an abort event per call; the
    // timeout still aborts it.
    const t = timeout(this.settings.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
    this.policy = wrap(this.bulkhead, this.breaker, t);
  }

  start(req: StartRequest): Promise<void> {
    return this.call('start', (signal) => this.inner.start(req, signal));
  }

  check(req: CheckRequest): Promise<CheckOutcome> {
    return this.call('check', (signal) => this.inner.check(req, signal));
  }

  /** Calls in flight now (holding a bulkhead slot). */
  get inFlight(): number {
    return this.settings.maxInFlight - this.bulkhead.executionSlots;
  }

  breakerState(): BreakerView {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      case CircuitState.Isolated:
        return 'isolated';
      case CircuitState.Open:
        // Past the open period the next call is the test: say so, and let the light leave grey.
        return this.openRemainingMs() > 0 ? 'open' : 'half-open';
    }
  }

  /** Operator control: hold the breaker open (the light turns grey) until release(). */
  isolate(): void {
    this.isolation ??= this.breaker.isolate();
  }

  release(): void {
    this.isolation?.dispose();
    this.isolation = null;
  }

  status(): MethodStatus {
    const w = this.window.snapshot();
    const breaker = this.breakerState();
    const inFlight = this.inFlight;
    const latencyMs = Math.max(w.meanLatencyMs, w.oldestInFlightMs);
    const saturation = inFlight / this.settings.maxInFlight;
    const { light, reasons } = computeLight({ configured: true, breaker, latencyMs, saturation, errorRate: w.errorRate, rejectedShare: w.rejectedShare });
    const status: MethodStatus = {
      method: this.method,
      ...methodInfo[this.method],
      available: true,
      provider: this.kind,
      light,
      reasons,
      latencyMs: Math.round(latencyMs),
      saturation: Math.round(saturation * 1000) / 1000,
      errorRate: Math.round(w.errorRate * 1000) / 1000,
      inFlight,
      maxInFlight: this.settings.maxInFlight,
      breaker,
    };
    if (breaker === 'open') status.retryAfterS = Math.max(1, Math.ceil(this.openRemainingMs() / 1000));
    return status;
  }

  private openRemainingMs(): number {
    if (this.openedAtWallMs === null) return 0;
    return this.openedAtWallMs + this.settings.halfOpenAfterMs - this.wallMs();
  }

  private async call<T>(op: 'start' | 'check', fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let id: number | null = null;
    try {
      const value = (await this.policy.execute(({ signal }) => {
        id = this.window.begin();
        return fn(signal);
      }, this.idle)) as T;
      this.finish(op, id, 'ok');
      return value;
    } catch (e) {
      if (e instanceof BulkheadRejectedError) {
        this.window.reject();
        this.opts.onCall?.({ method: this.method, op, outcome: 'busy' });
        throw this.unavailable('busy', BUSY_RETRY_AFTER_S);
      }
      if (e instanceof BrokenCircuitError) {
        this.opts.onCall?.({ method: this.method, op, outcome: 'open' });
        throw this.unavailable('breaker-open', this.retryAfterS());
      }
      if (e instanceof ProviderRefused) {
        this.finish(op, id, 'refused');
        throw new YeyakError('YEYAK_E_IDENTITY_FAILED', undefined, { method: this.method });
      }
      const timedOut = e instanceof TaskCancelledError;
      this.finish(op, id, timedOut ? 'timeout' : 'fault');
      this.opts.log?.('info', 'identity provider call failed', { method: this.method, op, err: e instanceof Error ? `${e.name}: ${e.message}` : 'unknown' });
      throw this.unavailable(timedOut ? 'timeout' : 'provider-error', this.retryAfterS());
    }
  }

  private finish(op: 'start' | 'check', id: number | null, outcome: 'ok' | 'refused' | 'fault' | 'timeout'): void {
    if (id === null) return;
    const ms = this.window.end(id, outcome === 'fault' || outcome === 'timeout');
    this.opts.onCall?.({ method: this.method, op, outcome, ms });
  }

  private retryAfterS(): number {
    const remaining = this.openRemainingMs();
    return this.breaker.state === CircuitState.Open && remaining > 0 ? Math.max(1, Math.ceil(remaining / 1000)) : BUSY_RETRY_AFTER_S;
  }

  private unavailable(reason: 'busy' | 'breaker-open' | 'timeout' | 'provider-error', retryAfterS: number): YeyakError {
    return new YeyakError('YEYAK_E_IDENTITY_UNAVAILABLE', undefined, { method: this.method, reason, retryAfterS });
  }
}
