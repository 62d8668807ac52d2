/**
 * Admitted places for the fairness record, written by the node that served their first claim:
 * buffered in memory and written in batches (one INSERT of up to 1,000 rows, at most a second
 * after a claim), so a million admissions cost a thousand statements, not a million, and the
 * status poll never waits on the database. Bounded: while the database is away rows wait in the
 * buffer, up to ADMISSION_BUFFER_MAX; beyond it they are dropped and counted (the record then
 * checks fewer places — it never invents one).
 */
import type { Queryable } from '../core/db.ts';
import { insertAdmissions, type AdmissionRecord } from './fairness-sql.ts';

export const ADMISSION_FLUSH_MS = 1_000;
export const ADMISSION_BUFFER_MAX = 100_000; // rows (~100 bytes each) held while the database is away
const ADMISSION_BATCH_MAX = 1_000; // rows per INSERT

export class AdmissionRecorder {
  private buffer: AdmissionRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private stopped = false;
  /** Rows dropped on this node because the buffer was full. */
  dropped = 0;

  constructor(
    private readonly db: Queryable,
    private readonly log: (msg: string, fields: Record<string, unknown>) => void,
  ) {}

  record(row: AdmissionRecord): void {
    if (this.buffer.length >= ADMISSION_BUFFER_MAX) {
      if (this.dropped++ % 10_000 === 0) this.log('fairness record: buffer full, admitted places dropped', { dropped: this.dropped });
      return;
    }
    this.buffer.push(row);
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch((e: unknown) => this.log('fairness record: write failed', { err: e instanceof Error ? e.message : String(e) }));
    }, ADMISSION_FLUSH_MS);
    this.timer.unref();
  }

  /** Writes what is buffered; one write at a time (a second caller waits, then writes what came since). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    this.flushing = this.write(rows).finally(() => (this.flushing = null));
    await this.flushing;
  }

  private async write(rows: AdmissionRecord[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ADMISSION_BATCH_MAX) {
      try {
        await insertAdmissions(this.db, rows.slice(i, i + ADMISSION_BATCH_MAX));
      } catch (e) {
        // Kept for the next flush (the conflict rule makes a repeated row harmless).
        this.buffer = rows.slice(i).concat(this.buffer).slice(0, ADMISSION_BUFFER_MAX);
        throw e;
      }
    }
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}
