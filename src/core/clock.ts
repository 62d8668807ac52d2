/**
 * Time is injected: domain code never reads the machine's clock directly, it takes a Clock.
 * Tests use a FakeClock; rehearsals and demos use an offset clock (`YEYAK_NOW`) that starts at a
 * given instant and runs forward in real time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
  now(): Date;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  now: () => new Date(),
};

/** A clock that reads `startAt` at construction and then runs forward with real time. */
export function offsetClock(startAt: Date, base: Clock = systemClock): Clock {
  const offsetMs = startAt.getTime() - base.nowMs();
  return {
    nowMs: () => base.nowMs() + offsetMs,
    now: () => new Date(base.nowMs() + offsetMs),
  };
}

/** A clock that only moves when told to. */
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

  set(to: Date | string | number): void {
    this.currentMs = new Date(to).getTime();
  }

  advance(ms: number): void {
    this.currentMs += ms;
  }
}
