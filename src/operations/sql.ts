/**
 * The operations routes' statements, one function each (the routes hold no SQL): the readiness
 * ping and the reservation counts of the staff overview.
 */
import type { Queryable } from '../core/db.ts';

/** Resolves when the store answers a trivial statement (GET /healthz); rejects otherwise. */
export async function pingStore(q: Queryable): Promise<void> {
  await q.query('SELECT 1');
}

/** Confirmed and cancelled reservations per campaign (a campaign with none is absent). */
export async function reservationCounts(q: Queryable): Promise<Map<string, { confirmed: number; cancelled: number }>> {
  const r = await q.query<{ campaign_id: string; confirmed: number; cancelled: number }>(
    `SELECT campaign_id, count(*) FILTER (WHERE status = 'confirmed')::int AS confirmed,
            count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled
     FROM reservation GROUP BY campaign_id`,
  );
  return new Map(r.rows.map((row) => [row.campaign_id, { confirmed: row.confirmed, cancelled: row.cancelled }]));
}
