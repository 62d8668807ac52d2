/**
 * Time is injected: domain code never reads the machine's clock directly, it takes a Clock.
 * Tests use a FakeClock; rehearsals and demos use an offset clock (`YEYAK_NOW`) that reads a
 * given instant until the server begins to serve, then runs forward in real time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
  now(): Date;
  /**
   * Milliseconds on a monotonic clock (arbitrary origin): for durations of real work — latency,
   * timeouts, breakers, a view's age — which must not jump when the wall clock is set.
   */
  monotonicMs(): number;
}

/** The machine's monotonic clock: the one place it is read (lint bans performance.now() elsewhere). */
export const machineMonotonicMs = (): number => performance.now();

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  now: () => new Date(),
  monotonicMs: machineMonotonicMs,
};

/** A clock that reads `startAt` at construction and then runs forward with real time. */
export function offsetClock(startAt: Date, base: Clock = systemClock): Clock {
  const offsetMs = startAt.getTime() - base.nowMs();
  return {
    nowMs: () => base.nowMs() + offsetMs,
    now: () => new Date(base.nowMs() + offsetMs),
    monotonicMs: () => base.monotonicMs(),
  };
}

/**
 * An offset clock that is started later: until `start()` it reads `startAt` (standing still), then
 * it runs forward from `startAt` with real time. The server starts it when it begins to serve, so
 * a rehearsal's first second is not spent seeding (`YEYAK_NOW`, contract: "when the server begins
 * to serve").
 */
export class StartableClock implements Clock {
  private offsetMs: number | null = null;

  constructor(
    private readonly startAt: Date,
    private readonly base: Clock = systemClock,
  ) {
    if (Number.isNaN(startAt.getTime())) throw new Error('StartableClock: invalid start instant');
  }

  get started(): boolean {
    return this.offsetMs !== null;
  }

  /** From now on the clock runs; a second call changes nothing. */
  start(): void {
    if (this.offsetMs === null) this.offsetMs = this.startAt.getTime() - this.base.nowMs();
  }

  nowMs(): number {
    return this.offsetMs === null ? this.startAt.getTime() : this.base.nowMs() + this.offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  monotonicMs(): number {
    return this.base.monotonicMs();
  }
}

/**
 * A wall clock that only moves when told to. Its monotonic clock is the machine's: durations of
 * real work (a batch's latency, a provider's timeout) stay real; tests that drive those inject
 * their own time source.
 */
export class FakeClock implements Clock {
  private currentMs: number;

  constructor(start: Date | string | number) {
    this.currentMs = new Date(start).getTime();
    if (Number.isNaN(this.currentMs)) throw new Error(`FakeClock: invalid start ${String(start)}`);
  }

  nowMs(): number {
    return this.currentMs;
  }

  now(): Date {
    return new Date(this.currentMs);
  }

  monotonicMs(): number {
    return machineMonotonicMs();
  }

  set(to: Date | string | number): void {
    this.currentMs = new Date(to).getTime();
  }

  advance(ms: number): void {
    this.currentMs += ms;
  }
}
