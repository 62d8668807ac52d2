/**
 * Bookings written straight into the store by SQL, as book_batch would leave them (a person, a
 * confirmed reservation, dose 1 and its dose 2 on the day rules/dose-dates.ts gives, the slots'
 * remaining lowered): for the auditor's tests and for measuring it on a large store, where a
 * million bookings through the API would take hours. Spread round-robin over the campaign's
 * dose-1 slots; a dose-2 slot shared by several dose-1 days is split between them.
 */
import type { Queryable } from '../../src/core/db.ts';
import { dose2Day } from '../../src/rules/dose-dates.ts';
import { addDays } from '../../src/rules/time.ts';
import { NUMBERED_DOSE_PAIRS } from '../../src/scenarios/dose-pairs-sql.ts';

interface CampaignRow {
  dose2_interval_days: number;
  blackout_shift_days: number;
  first_shot_day: string;
  last_shot_day: string;
}

/** Dose-1 day → dose-2 day for the campaign, by the booking path's rule. */
export async function dose2Map(q: Queryable, campaignId: string): Promise<{ day1: string[]; day2: string[] }> {
  const c = (await q.query<CampaignRow>('SELECT dose2_interval_days, blackout_shift_days, first_shot_day::text, last_shot_day::text FROM campaign WHERE id = $1', [campaignId])).rows[0];
  if (!c) throw new Error(`no campaign ${campaignId}`);
  const blackouts = (await q.query<{ day: string }>('SELECT day::text FROM campaign_blackout WHERE campaign_id = $1', [campaignId])).rows.map((r) => r.day);
  const out = { day1: [] as string[], day2: [] as string[] };
  for (let d = c.first_shot_day; d <= c.last_shot_day; d = addDays(d, 1)) {
    out.day1.push(d);
    out.day2.push(dose2Day(d, c.dose2_interval_days, blackouts, c.blackout_shift_days));
  }
  return out;
}

/**
 * Books up to `n` new people in `campaignId` (fewer when the slots run out: at most about n / slots + 1 per slot), booking numbers
 * `<tag><i>`; one statement. Returns how many were booked.
 */
export async function bookBulk(q: Queryable, campaignId: string, n: number, tag: string, at = '2026-11-26T03:00:00Z'): Promise<number> {
  const map = await dose2Map(q, campaignId);
  const r = await q.query<{ n: number }>(
    `WITH ${NUMBERED_DOSE_PAIRS},
     chosen AS (SELECT * FROM numbered WHERE i <= $4),
     people AS (
       INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone)
       SELECT 'bulk:' || $5 || ':' || i, '1990-01-01', 'M', false, 'bulk', '010-0000-0000' FROM chosen
       RETURNING id, rrn_hash),
     res AS (
       INSERT INTO reservation (booking_number, campaign_id, person_id, clinic_id, status, booked_by, created_at, updated_at)
       SELECT $5 || c.i, $1, p.id, c.clinic_id, 'confirmed', 'self', $6, $6
         FROM chosen c JOIN people p ON p.rrn_hash = 'bulk:' || $5 || ':' || c.i
       RETURNING id, booking_number),
     doses AS (
       INSERT INTO reservation_dose (reservation_id, dose, slot_id, clinic_id, day, vaccine_id)
       SELECT r.id, d.dose, CASE d.dose WHEN 1 THEN c.slot1 ELSE c.slot2 END, c.clinic_id,
              CASE d.dose WHEN 1 THEN c.day1 ELSE c.day2 END, c.vaccine_id
         FROM chosen c JOIN res r ON r.booking_number = $5 || c.i CROSS JOIN (VALUES (1), (2)) AS d(dose)
       RETURNING slot_id),
     used AS (SELECT slot_id, count(*)::int AS n FROM doses GROUP BY slot_id),
     claimed AS (UPDATE slot s SET remaining = s.remaining - u.n FROM used u WHERE s.id = u.slot_id RETURNING 1)
     SELECT (SELECT count(*) FROM chosen)::int AS n, (SELECT count(*) FROM claimed) AS slots`,
    [campaignId, map.day1, map.day2, n, tag, at],
  );
  return r.rows[0]?.n ?? 0;
}
