/**
 * Bookings written straight by SQL (a scenario's bookings as given, the auditor's bulk tests):
 * the campaign's (dose-1 slot, dose-2 slot) pairs with room — dose 2 on the day the booking
 * path's rule gives, a dose-2 slot shared by several dose-1 days split between them — numbered
 * round-robin (`i`: the first round over every pair in slot order, then the next), at most about
 * n / pairs + 1 per pair. Parameters: $1 campaign, $2 dose-1 days, $3 their dose-2 days, $4 n.
 * CTEs `e`, `pairs`, `numbered`, to follow with `, chosen AS (… WHERE i <= $4)`.
 */
export const NUMBERED_DOSE_PAIRS = `
  e AS (SELECT * FROM unnest($2::date[], $3::date[]) AS e(day1, day2)),
  pairs AS (
    SELECT s1.id AS slot1, s2.id AS slot2, s1.clinic_id, s1.day AS day1, s2.day AS day2, s1.vaccine_id,
           least(s1.remaining, s2.remaining / count(*) OVER (PARTITION BY s2.id)) AS room, count(*) OVER () AS pairs
      FROM slot s1 JOIN e ON e.day1 = s1.day
      JOIN slot s2 ON s2.campaign_id = s1.campaign_id AND s2.clinic_id = s1.clinic_id AND s2.dose = 2
                  AND s2.vaccine_id = s1.vaccine_id AND s2.day = e.day2
     WHERE s1.campaign_id = $1 AND s1.dose = 1),
  numbered AS (
    SELECT p.*, row_number() OVER (ORDER BY k, slot1) AS i
      FROM pairs p, generate_series(1, least(p.room, ceil($4::numeric / p.pairs) + 1)::int) k WHERE p.room > 0)`;
