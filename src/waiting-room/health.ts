import { ewma } from './estimate.ts';
import type { HealthSample } from './controller.ts';

/**
 * The health of what the waiting room protects, as one factor in 0..1 for the admission
 * controller: it slows admission while latency, errors or waiting work climb, before the
 * backend falls over. Thresholds are deliberately simple and named.
 */
export const BATCH_LATENCY_OK_MS = 100; // booking batches faster than this: full speed
export const BATCH_LATENCY_BAD_MS = 2_000; // at or beyond this: crawl (10 %)
export const ERROR_RATE_BAD = 0.05; // more than 5 % failed booking batches halves the rate
export const WAITING_BAD = 5_000; // bookings queued for a batch
export const POOL_WAIT_BAD = 50; // requests waiting for a database connection
const TAU_MS = 5_000;
const FLOOR = 0.1;

export class HealthMonitor {
  private latencyMs = 0;
  private errorRate = 0;
  private lastAtMs: number | null = null;

  constructor(
    private readonly nowMs: () => number,
    private readonly waiting: () => number,
    private readonly poolWaiting: () => number,
  ) {}

  recordBatch(ms: number, failed: boolean): void {
    const now = this.nowMs();
    const dt = this.lastAtMs === null ? TAU_MS : now - this.lastAtMs;
    this.lastAtMs = now;
    this.latencyMs = ewma(this.latencyMs, ms, dt, TAU_MS);
    this.errorRate = ewma(this.errorRate, failed ? 1 : 0, dt, TAU_MS);
  }

  sample(): HealthSample {
    const reasons: string[] = [];
    let factor = 1;
    if (this.latencyMs > BATCH_LATENCY_OK_MS) {
      const f = 1 - (this.latencyMs - BATCH_LATENCY_OK_MS) / (BATCH_LATENCY_BAD_MS - BATCH_LATENCY_OK_MS);
      factor = Math.min(factor, f);
      reasons.push(`booking latency ${Math.round(this.latencyMs)} ms`);
    }
    if (this.errorRate > ERROR_RATE_BAD) {
      factor = Math.min(factor, 0.5);
      reasons.push(`booking errors ${(this.errorRate * 100).toFixed(1)} %`);
    }
    const waiting = this.waiting();
    if (waiting > WAITING_BAD / 10) {
      factor = Math.min(factor, 1 - waiting / WAITING_BAD);
      reasons.push(`${waiting} bookings queued`);
    }
    const pool = this.poolWaiting();
    if (pool > POOL_WAIT_BAD / 10) {
      factor = Math.min(factor, 1 - pool / POOL_WAIT_BAD);
      reasons.push(`${pool} waiting for a database connection`);
    }
    return { factor: Math.max(FLOOR, Math.min(1, factor)), reasons };
  }
}
