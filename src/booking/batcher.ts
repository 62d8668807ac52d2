/**
 * Group commit for the booking hot path. While one batch is in the database, new requests wait;
 * when it returns, everything that arrived is sent as the next batch (up to `batchMax`). An idle
 * system adds no latency: a lone request starts a batch at once. Under load, N bookings share
 * one transaction and one commit instead of queuing N commits behind the slot's row lock.
 *
 * The in-flight place of a finished batch is given back on the next tick (setImmediate), not at
 * once: the callers just answered often submit again straight away, and if the place were free
 * the first of them would start a batch of one while the rest queue behind it — under a closed
 * loop of 64 clients that alternated batches of 1 and 63. One tick later they all join one batch.
 */
import { YeyakError } from '../core/errors.ts';

export interface BatcherOptions<Req, Res> {
  run: (requests: Req[]) => Promise<Res[]>;
  /** Requests per batch (one database transaction). */
  batchMax: number;
  /** Requests allowed to wait; beyond it submit() rejects at once with 429 YEYAK_E_BUSY (load shedding). */
  queueMax: number;
  /** Batches in flight at once. 1 keeps lock order simple; more helps only spread load. */
  inFlightMax: number;
  /**
   * Called after each batch with its size, its duration and whether it failed (the run threw: a
   * database error, every request of the batch rejected) — metrics and the health monitor.
   */
  onBatch?: (size: number, ms: number, failed: boolean) => void;
  /** Monotonic ms for the batch durations (Clock.monotonicMs). */
  monotonicMs: () => number;
}

interface Pending<Req, Res> {
  request: Req;
  resolve: (r: Res) => void;
  reject: (e: unknown) => void;
}

export class Batcher<Req, Res> {
  private readonly pending: Pending<Req, Res>[] = [];
  private inFlight = 0;
  private closed = false;

  constructor(private readonly opts: BatcherOptions<Req, Res>) {}

  get waiting(): number {
    return this.pending.length;
  }

  submit(request: Req): Promise<Res> {
    // A catalogue error, so the HTTP layer answers it like any other (429 with Retry-After): a
    // full queue and a draining node both mean "try again shortly", and nothing was written.
    if (this.closed || this.pending.length >= this.opts.queueMax) return Promise.reject(new YeyakError('YEYAK_E_BUSY'));
    return new Promise<Res>((resolve, reject) => {
      this.pending.push({ request, resolve, reject });
      this.pump();
    });
  }

  /** Stops accepting; resolves when in-flight and queued batches are done. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.inFlight > 0 || this.pending.length > 0) {
      await new Promise((r) => setImmediate(r));
    }
  }

  private pump(): void {
    while (this.inFlight < this.opts.inFlightMax && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.opts.batchMax);
      this.inFlight++;
      void this.runBatch(batch);
    }
  }

  private async runBatch(batch: Pending<Req, Res>[]): Promise<void> {
    const now = this.opts.monotonicMs;
    const started = now();
    let failed = false;
    try {
      const results = await this.opts.run(batch.map((p) => p.request));
      if (results.length !== batch.length) {
        throw new Error(`invariant violated: batch returned ${results.length} results for ${batch.length} requests`);
      }
      batch.forEach((p, i) => p.resolve(results[i] as Res));
    } catch (e) {
      failed = true;
      for (const p of batch) p.reject(e);
    } finally {
      // inFlight stays counted until then, so drain() cannot return before this runs.
      setImmediate(() => {
        this.inFlight--;
        this.pump();
      });
      this.opts.onBatch?.(batch.length, now() - started, failed);
    }
  }
}
