/**
 * The traffic light of a verification method, as shown next to each method in August 2021:
 * green (go), yellow (busy), red (congested: expect delays, consider another method), grey
 * (unavailable now). It is computed from what yeyak itself observes of the provider over the
 * last WINDOW_MS: latency, how full its bulkhead is, how many calls failed or were turned away,
 * and the circuit breaker. A pure function of those numbers, so tests pin every threshold.
 */
export type Light = 'green' | 'yellow' | 'red' | 'grey';

/** For the metric yeyak_identity_light: 0 green, 1 yellow, 2 red, 3 grey. */
export const lightLevel: Readonly<Record<Light, number>> = { green: 0, yellow: 1, red: 2, grey: 3 };

/** Latency of a provider call (or the age of the oldest call still in flight), ms. */
export const LATENCY_YELLOW_MS = 1_000;
export const LATENCY_RED_MS = 3_000;
/** Calls in flight ÷ the method's bulkhead (maxInFlight), 0..1. */
export const SATURATION_YELLOW = 0.6;
export const SATURATION_RED = 0.9;
/** Share of completed calls in the window that were faults (errors, timeouts), 0..1. */
export const ERROR_RATE_YELLOW = 0.05;
export const ERROR_RATE_RED = 0.25;
/** Share of attempts in the window turned away because the bulkhead was full, 0..1. */
export const REJECTED_SHARE_YELLOW = 0; // any refusal at all
export const REJECTED_SHARE_RED = 0.05;
/** Error and rejection shares count only with at least this many attempts in the window. */
export const RATE_MIN_CALLS = 5;
/** The window the light looks back over, ms (in BUCKETS buckets). */
export const WINDOW_MS = 10_000;
const BUCKETS = 10;

/**
 * closed: calls flow; open: refused until the half-open time; half-open: the next call (or the
 * one running) is the test; isolated: held open by an operator.
 */
export type BreakerView = 'closed' | 'open' | 'half-open' | 'isolated';

export interface LightInputs {
  configured: boolean;
  breaker: BreakerView;
  latencyMs: number;
  saturation: number;
  errorRate: number;
  rejectedShare: number;
}

export function computeLight(i: LightInputs): { light: Light; reasons: string[] } {
  if (!i.configured) return { light: 'grey', reasons: ['not configured'] };
  if (i.breaker === 'open') return { light: 'grey', reasons: ['circuit breaker open'] };
  if (i.breaker === 'isolated') return { light: 'grey', reasons: ['held closed by an operator'] };
  const reasons: string[] = [];
  let level = 0;
  const raise = (to: number, reason: string) => {
    level = Math.max(level, to);
    reasons.push(reason);
  };
  if (i.breaker === 'half-open') raise(2, 'recovering (circuit breaker half-open)');
  if (i.latencyMs >= LATENCY_RED_MS) raise(2, `latency ${Math.round(i.latencyMs)} ms`);
  else if (i.latencyMs >= LATENCY_YELLOW_MS) raise(1, `latency ${Math.round(i.latencyMs)} ms`);
  if (i.saturation >= SATURATION_RED) raise(2, `${Math.round(i.saturation * 100)} % of capacity in use`);
  else if (i.saturation >= SATURATION_YELLOW) raise(1, `${Math.round(i.saturation * 100)} % of capacity in use`);
  if (i.errorRate >= ERROR_RATE_RED) raise(2, `errors ${(i.errorRate * 100).toFixed(0)} %`);
  else if (i.errorRate >= ERROR_RATE_YELLOW) raise(1, `errors ${(i.errorRate * 100).toFixed(0)} %`);
  if (i.rejectedShare >= REJECTED_SHARE_RED) raise(2, `${(i.rejectedShare * 100).toFixed(0)} % turned away (full)`);
  else if (i.rejectedShare > REJECTED_SHARE_YELLOW) raise(1, `${(i.rejectedShare * 100).toFixed(1)} % turned away (full)`);
  return { light: (['green', 'yellow', 'red'] as const)[level] ?? 'red', reasons };
}

interface Bucket {
  startMs: number;
  calls: number;
  faults: number;
  rejected: number;
  latencySumMs: number;
}

export interface WindowSnapshot {
  /** Completed calls (answered, failed or timed out) in the window. */
  calls: number;
  faults: number;
  rejected: number;
  meanLatencyMs: number;
  /** Age of the oldest call still in flight, ms (0 when none). */
  oldestInFlightMs: number;
  /** faults ÷ calls, 0 below RATE_MIN_CALLS. */
  errorRate: number;
  /** rejected ÷ (calls + rejected), 0 below RATE_MIN_CALLS. */
  rejectedShare: number;
}

/**
 * What one provider did over the last WINDOW_MS, in fixed time buckets (constant memory however
 * many calls), plus the calls in flight now. Time is injected: tests drive it by hand.
 */
export class CallWindow {
  private readonly buckets: Bucket[];
  private readonly bucketMs: number;
  private readonly inFlight = new Map<number, number>(); // id → start ms, in start order
  private nextId = 1;

  constructor(
    private readonly nowMs: () => number,
    private readonly windowMs = WINDOW_MS,
  ) {
    this.bucketMs = windowMs / BUCKETS;
    this.buckets = Array.from({ length: BUCKETS }, () => ({ startMs: -Infinity, calls: 0, faults: 0, rejected: 0, latencySumMs: 0 }));
  }

  /** A call enters the provider; returns the id to end it with. */
  begin(): number {
    const id = this.nextId++;
    this.inFlight.set(id, this.nowMs());
    return id;
  }

  /** The call ended (answer, error or timeout); returns its latency, ms. */
  end(id: number, fault: boolean): number {
    const now = this.nowMs();
    const started = this.inFlight.get(id) ?? now;
    this.inFlight.delete(id);
    const b = this.bucket(now);
    b.calls++;
    if (fault) b.faults++;
    b.latencySumMs += now - started;
    return now - started;
  }

  /** An attempt turned away without calling the provider (bulkhead full). */
  reject(): void {
    this.bucket(this.nowMs()).rejected++;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  snapshot(): WindowSnapshot {
    const now = this.nowMs();
    let calls = 0;
    let faults = 0;
    let rejected = 0;
    let latencySumMs = 0;
    for (const b of this.buckets) {
      if (b.startMs <= now - this.windowMs) continue;
      calls += b.calls;
      faults += b.faults;
      rejected += b.rejected;
      latencySumMs += b.latencySumMs;
    }
    const oldest = this.inFlight.values().next();
    const attempts = calls + rejected;
    return {
      calls,
      faults,
      rejected,
      meanLatencyMs: calls > 0 ? latencySumMs / calls : 0,
      oldestInFlightMs: oldest.done ? 0 : now - oldest.value,
      errorRate: calls >= RATE_MIN_CALLS ? faults / calls : 0,
      rejectedShare: attempts >= RATE_MIN_CALLS ? rejected / attempts : 0,
    };
  }

  private bucket(now: number): Bucket {
    const startMs = Math.floor(now / this.bucketMs) * this.bucketMs;
    const b = this.buckets[Math.floor(now / this.bucketMs) % BUCKETS] as Bucket;
    if (b.startMs !== startMs) {
      b.startMs = startMs;
      b.calls = 0;
      b.faults = 0;
      b.rejected = 0;
      b.latencySumMs = 0;
    }
    return b;
  }
}
