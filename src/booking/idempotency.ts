import type { Queryable } from '../core/db.ts';
import type { ReservationBody } from './sql.ts';

/** The stored outcome of an earlier request with this key, if it succeeded. */
export async function findIdempotent(q: Queryable, personId: number, key: string): Promise<{ requestHash: string; response: ReservationBody | null } | null> {
  const r = await q.query<{ request_hash: string; response: ReservationBody | null }>(
    'SELECT request_hash, response FROM idempotency_key WHERE person_id = $1 AND key = $2',
    [personId, key],
  );
  const row = r.rows[0];
  return row ? { requestHash: row.request_hash, response: row.response } : null;
}
