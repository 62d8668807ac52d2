/**
 * The day of a person's last earlier dose, for a booster's cohort rule (rules/cohort.ts), in one
 * statement over what this system and the operators know:
 * - a dose of a confirmed reservation in a source campaign whose day has passed (before `today`
 *   in the booster's zone) — given as booked, unless the clinic recorded it as a no-show;
 * - a dose recorded administered in a source campaign (dose_outcome), whatever became of its
 *   reservation since (a dose given stays given);
 * - an uploaded vaccination record of the person's RRN hash (migration 020), on or before today.
 * Null when there is none. Index scans only (reservation_one_per_person, reservation_dose_pkey,
 * dose_outcome_administered, person_pkey, vaccination_record_pkey): on PostgreSQL 15 with
 * korea-2021-08 at 500 clinics and 201,000 reservations, EXPLAIN ANALYZE 0.14 ms, ~3 ms a call from
 * the app of which 1.8 ms planning (2,000 people in a row, one connection, load average 7–10).
 */
import type { Queryable } from '../core/db.ts';
import type { Campaign, CampaignLookup } from '../rules/campaign.ts';
import { sourceCampaignsOf } from '../rules/cohort.ts';

const LAST_DOSE_DAY = `
  SELECT max(day)::text AS day FROM (
    SELECT d.day FROM reservation r JOIN reservation_dose d ON d.reservation_id = r.id
     WHERE r.campaign_id = ANY($2::text[]) AND r.person_id = $1 AND r.status = 'confirmed' AND d.day < $3::date
       AND NOT EXISTS (SELECT 1 FROM dose_outcome o WHERE o.reservation_id = d.reservation_id AND o.dose = d.dose AND o.outcome = 'no_show')
    UNION ALL
    SELECT o.day FROM dose_outcome o
     WHERE o.person_id = $1 AND o.outcome = 'administered' AND o.campaign_id = ANY($2::text[]) AND o.day <= $3::date
    UNION ALL
    SELECT v.day FROM vaccination_record v JOIN person p ON p.rrn_hash = v.rrn_hash
     WHERE p.id = $1 AND v.day <= $3::date) given`;

/** The campaigns whose bookings count for `c`'s cohort: its sources, or every other campaign. */
export function sourceCampaignIds(c: Campaign, campaigns: CampaignLookup): string[] {
  const named = sourceCampaignsOf(c);
  return named ? [...named] : campaigns.list().map((x) => x.id).filter((id) => id !== c.id);
}

/** The last earlier dose's day ('YYYY-MM-DD', the booster's zone) of a person, or null. */
export async function lastDoseDay(q: Queryable, personId: number, sources: readonly string[], today: string): Promise<string | null> {
  const r = await q.query<{ day: string | null }>(LAST_DOSE_DAY, [personId, [...sources], today]);
  return r.rows[0]?.day ?? null;
}
