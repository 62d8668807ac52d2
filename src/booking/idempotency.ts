import type { Queryable } from '../core/db.ts';
import type { ReservationBody } from './sql.ts';

/**
 * Idempotency keys (the idempotency_key table): scoped to the caller — `person:{id}` for a
 * session (also when booking as a proxy), `staff:{id}` or `staff:admin-token` for an agent — and
 * answering until they expire (config idempotencyTtlMs). The request hash covers what was asked,
 * including the beneficiary of a proxy or agent booking.
 */
export interface StoredKey {
  requestHash: string;
  /** The reservation the key booked, as it is now (dates after a change, status after a cancel). */
  response: ReservationBody | null;
}

/** The caller's unexpired key, with its reservation as it is now; null if none. Read only. */
export async function findIdempotent(q: Queryable, caller: string, key: string, now: Date): Promise<StoredKey | null> {
  const r = await q.query<{ request_hash: string; response: ReservationBody | null }>(
    `SELECT k.request_hash,
            coalesce((SELECT reservation_body(b.id) FROM reservation b WHERE b.booking_number = k.response->>'bookingNumber'), k.response) AS response
       FROM idempotency_key k
      WHERE k.caller = $1 AND k.key = $2 AND k.expires_at > $3`,
    [caller, key, now.toISOString()],
  );
  const row = r.rows[0];
  return row ? { requestHash: row.request_hash, response: row.response } : null;
}
