/**
 * The booking hot path's wiring, in one place for the service and the bench (bench/booking.ts):
 * a Batcher whose batches go to book_batch in one transaction, and the submit that draws a fresh
 * booking number when the drawn one was taken.
 */
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { Batcher } from './batcher.ts';
import { newBookingNumber } from './booking-number.ts';
import { bookBatch, type BookingOutcome, type BookingRow } from './sql.ts';

export interface BookingBatcherOptions {
  /** Requests per batch (one database transaction): config bookingBatchMax. */
  batchMax: number;
  /** Requests allowed to wait per node; beyond it 429 YEYAK_E_BUSY. */
  queueMax: number;
  /**
   * Batches in the database at once, per node. 1 (the default, what the service runs) keeps one
   * connection busy and the lock order simple; more is for the bench's experiments.
   */
  inFlightMax?: number;
  /** How long an idempotency key answers retries (config idempotencyTtlMs). */
  idempotencyTtlMs?: number | undefined;
  /** After each batch: its size, duration and whether it failed (Batcher.onBatch). */
  onBatch?: ((size: number, ms: number, failed: boolean) => void) | undefined;
}

export type BookingBatcher = Batcher<BookingRow, BookingOutcome>;

export function createBookingBatcher(db: Db, clock: Clock, opts: BookingBatcherOptions): BookingBatcher {
  return new Batcher<BookingRow, BookingOutcome>({
    run: (rows) => bookBatch(db, rows, clock.now(), opts.idempotencyTtlMs),
    batchMax: opts.batchMax,
    queueMax: opts.queueMax,
    inFlightMax: opts.inFlightMax ?? 1,
    onBatch: opts.onBatch,
    monotonicMs: () => clock.monotonicMs(),
  });
}

/** Draws before giving up: 59-bit numbers collide about never, so a third miss is a bug. */
const BOOKING_NUMBER_ATTEMPTS = 3;

/**
 * Submits one booking under a fresh booking number, and again under another while book_batch
 * answers BOOKING_NUMBER_TAKEN. Returns the last outcome: BOOKING_NUMBER_TAKEN only after every
 * attempt collided (the caller's answer mapping treats that as the invariant it is).
 */
export async function submitBooking(batcher: BookingBatcher, row: Omit<BookingRow, 'bookingNumber'>): Promise<BookingOutcome> {
  let outcome: BookingOutcome | undefined;
  for (let attempt = 0; attempt < BOOKING_NUMBER_ATTEMPTS; attempt++) {
    outcome = await batcher.submit({ ...row, bookingNumber: newBookingNumber() });
    if (outcome.code !== 'BOOKING_NUMBER_TAKEN') return outcome;
  }
  return outcome as BookingOutcome;
}
