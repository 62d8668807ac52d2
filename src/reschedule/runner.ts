/**
 * The background runner of bulk dose-2 moves on a node. Every node runs one; a job is run by the
 * node that claims its lease (reschedule_job.lease_owner, one conditional UPDATE), renewed by
 * each batch, so two nodes never run one job at once, and a node that dies loses it after the
 * lease (30 s) to the next node that looks. It looks every `pollMs` and at once when this node
 * made or resumed a job (`kick`). Stopping (the node drains) waits for the batch in flight and
 * puts the job back in the queue, so another node continues it at once.
 */
import type { RescheduleService } from './service.ts';

export const RESCHEDULE_POLL_MS = 5_000; // how often an idle node looks for a job to run

export interface RunnerLog {
  warn(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
}

export class RescheduleRunner {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private again = false;

  constructor(
    private readonly service: RescheduleService,
    private readonly opts: { owner: string; pollMs?: number; log?: RunnerLog },
  ) {}

  start(): void {
    if (this.timer) return;
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.opts.pollMs ?? RESCHEDULE_POLL_MS);
    this.timer.unref();
  }

  /** Look for a job now (a new or resumed one); returns when this look (and its runs) ended. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true; // a job made while the loop was ending: look once more
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.kick();
      }
    });
    return this.running;
  }

  /** Resolves when no run is in flight on this node. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async loop(): Promise<void> {
    for (let tries = 0; !this.stopped && tries < 100; tries++) {
      const id = await this.service.nextRunnable().catch(() => null);
      if (id === null) return;
      try {
        const end = await this.service.run(id, { owner: this.opts.owner, shouldStop: () => this.stopped, stopAs: 'queued' });
        this.opts.log?.info({ jobId: id, end }, 'reschedule job run ended');
      } catch (e) {
        this.opts.log?.warn({ jobId: id, err: e instanceof Error ? e.name : 'unknown' }, 'reschedule job failed (resumable)');
      }
    }
  }
}
