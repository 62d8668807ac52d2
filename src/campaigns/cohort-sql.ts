/**
 * A campaign's cohort by earlier doses in the store (migration 020 campaign_cohort) ⇄
 * `AfterDosesCohort`: read with the campaigns, written with a new campaign or a definition.
 */
import type { Queryable } from '../core/db.ts';
import type { AfterDosesCohort } from '../rules/campaign.ts';

interface CohortRow {
  campaign_id: string;
  kind: 'after-doses';
  min_days_since_last_dose: number;
  source_campaigns: string[] | null;
}

/** Cohorts of the given campaigns, by campaign id (a campaign without one is absent). */
export async function loadCohorts(q: Queryable, campaignIds: readonly string[]): Promise<Map<string, AfterDosesCohort>> {
  const r = await q.query<CohortRow>(
    'SELECT campaign_id, kind, min_days_since_last_dose, source_campaigns FROM campaign_cohort WHERE campaign_id = ANY($1::text[])',
    [[...campaignIds]],
  );
  return new Map(r.rows.map((row) => [row.campaign_id, {
    kind: row.kind,
    minDaysSinceLastDose: row.min_days_since_last_dose,
    sourceCampaigns: row.source_campaigns ? [...row.source_campaigns] : null,
  }]));
}

/** Sets (or, with null, removes) a campaign's cohort, inside the caller's transaction. */
export async function writeCohort(q: Queryable, campaignId: string, cohort: AfterDosesCohort | null): Promise<void> {
  if (cohort === null) {
    await q.query('DELETE FROM campaign_cohort WHERE campaign_id = $1', [campaignId]);
    return;
  }
  await q.query(
    `INSERT INTO campaign_cohort (campaign_id, kind, min_days_since_last_dose, source_campaigns) VALUES ($1, $2, $3, $4::text[])
     ON CONFLICT (campaign_id) DO UPDATE SET kind = EXCLUDED.kind, min_days_since_last_dose = EXCLUDED.min_days_since_last_dose,
       source_campaigns = EXCLUDED.source_campaigns`,
    [campaignId, cohort.kind, cohort.minDaysSinceLastDose, cohort.sourceCampaigns ? [...cohort.sourceCampaigns] : null],
  );
}
