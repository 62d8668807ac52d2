/**
 * The definition's statements: read it (campaign row, windows, vaccine rules, blackout days), what
 * it is checked against (시/도, vaccines), what bookings and capacity already hold, and the one
 * transaction that replaces it.
 */
import type { Queryable } from '../core/db.ts';
import type { Campaign } from '../rules/campaign.ts';
import { loadCampaign } from './store.ts';
import { writeCohort } from './cohort-sql.ts';
import { dose2Days, toDefinition, type CampaignDefinition, type DefinitionBlackout, type DefinitionReferences, type DefinitionVaccineRule } from './definition.ts';
import { definitionProblem as problem, type DefinitionProblem } from './definition-shape.ts';

export async function loadVaccineRules(q: Queryable, campaignId: string): Promise<DefinitionVaccineRule[]> {
  const r = await q.query<{ seq: number; sido_code: string | null; day_from: string | null; day_to: string | null; vaccine_id: string }>(
    'SELECT seq, sido_code, day_from, day_to, vaccine_id FROM campaign_vaccine_rule WHERE campaign_id = $1 ORDER BY seq',
    [campaignId],
  );
  return r.rows.map((x) => ({ seq: x.seq, sidoCode: x.sido_code, dayFrom: x.day_from, dayTo: x.day_to, vaccineId: x.vaccine_id }));
}

async function loadBlackouts(q: Queryable, campaignId: string): Promise<DefinitionBlackout[]> {
  const r = await q.query<{ day: string; label: string }>('SELECT day, label FROM campaign_blackout WHERE campaign_id = $1 ORDER BY day', [campaignId]);
  return r.rows;
}

/** The campaign and its definition as stored; null when there is no such campaign. */
export async function loadDefinition(q: Queryable, campaignId: string): Promise<{ campaign: Campaign; definition: CampaignDefinition } | null> {
  const campaign = await loadCampaign(q, campaignId);
  if (!campaign) return null;
  const [rules, blackouts] = [await loadVaccineRules(q, campaignId), await loadBlackouts(q, campaignId)];
  return { campaign, definition: toDefinition(campaign, rules, blackouts) };
}

export async function loadReferences(q: Queryable): Promise<DefinitionReferences> {
  const regions = await q.query<{ code: string }>('SELECT code FROM region WHERE level = 1');
  const vaccines = await q.query<{ id: string; doses: number; interval_min_days: number | null; interval_max_days: number | null }>(
    'SELECT id, doses, interval_min_days, interval_max_days FROM vaccine',
  );
  const campaigns = await q.query<{ id: string }>('SELECT id FROM campaign');
  return {
    campaignIds: new Set(campaigns.rows.map((r) => r.id)),
    sidoCodes: new Set(regions.rows.map((r) => r.code)),
    vaccines: new Map(vaccines.rows.map((v) => [v.id, { doses: v.doses, intervalMinDays: v.interval_min_days, intervalMaxDays: v.interval_max_days }])),
  };
}

/** Locks the campaign row for a definition change (FOR UPDATE: one change at a time, capacity imports wait). */
export async function lockCampaign(tx: Queryable, campaignId: string): Promise<boolean> {
  const r = await tx.query('SELECT 1 FROM campaign WHERE id = $1 FOR UPDATE', [campaignId]);
  return r.rows.length > 0;
}

/**
 * What the new definition would take away from what exists, as problems (409): booked dose-1
 * days outside the new shot days, dose-2 days moved under existing capacity (a blackout change),
 * booked people outside the new birth range, booked people off the roster when it becomes
 * required. Read under the campaign's row lock; see docs/ARCHITECTURE.md for what a booking
 * racing the change (or served by a node that has not reloaded) can still do.
 */
export async function changeConflicts(tx: Queryable, stored: Campaign, d: CampaignDefinition): Promise<DefinitionProblem[]> {
  const out: DefinitionProblem[] = [];
  if (d.firstShotDay > stored.firstShotDay || d.lastShotDay < stored.lastShotDay) {
    const r = await tx.query<{ n: number; first: string | null; last: string | null }>(
      `SELECT count(*)::int AS n, min(day) AS first, max(day) AS last FROM slot
        WHERE campaign_id = $1 AND dose = 1 AND capacity > remaining AND (day < $2 OR day > $3)`,
      [stored.id, d.firstShotDay, d.lastShotDay],
    );
    const row = r.rows[0];
    if (row && row.n > 0) {
      const path = row.first !== null && row.first < d.firstShotDay ? '/firstShotDay' : '/lastShotDay';
      out.push(problem(path, 'BOOKED_DAYS_OUTSIDE', `${row.n} clinic-day(s) with bookings fall outside the new dose-1 days (${row.first}..${row.last}).`, `새 1차 접종 기간 밖에 예약이 있는 날이 ${row.n}곳 있습니다(${row.first}~${row.last}).`));
    }
  }
  out.push(...(await blackoutConflicts(tx, stored, d)));
  out.push(...(await cohortConflicts(tx, stored, d)));
  return out;
}

async function blackoutConflicts(tx: Queryable, stored: Campaign, d: CampaignDefinition): Promise<DefinitionProblem[]> {
  const next = d.blackouts.map((b) => b.day).sort();
  if (next.join() === [...stored.blackoutDays].sort().join()) return [];
  const r = await tx.query<{ day: string }>('SELECT DISTINCT day FROM slot WHERE campaign_id = $1 AND dose = 1 ORDER BY day', [stored.id]);
  if (r.rows.length === 0) return [];
  const first = r.rows[0]?.day ?? stored.firstShotDay;
  const last = r.rows[r.rows.length - 1]?.day ?? stored.lastShotDay;
  const before = dose2Days({ firstShotDay: first, lastShotDay: last }, stored, stored.blackoutDays);
  const after = dose2Days({ firstShotDay: first, lastShotDay: last }, stored, next);
  if (!before || !after) return [];
  const moved = r.rows.filter((x) => before.get(x.day) !== after.get(x.day)).map((x) => x.day);
  if (moved.length === 0) return [];
  const example = moved[0] as string;
  return [problem('/blackouts', 'BLACKOUT_MOVES_DOSE2', `Capacity exists for ${moved.length} dose-1 day(s) whose dose 2 would move (${example}: ${before.get(example)} → ${after.get(example)}); their dose-2 slots and bookings are on the old days.`, `2차 접종일이 바뀌는 1차 접종일 ${moved.length}일에 이미 접종 인원이 있습니다(${example}: ${before.get(example)} → ${after.get(example)}). 2차 접종 인원과 예약은 기존 날짜에 있습니다.`)];
}

async function cohortConflicts(tx: Queryable, stored: Campaign, d: CampaignDefinition): Promise<DefinitionProblem[]> {
  const out: DefinitionProblem[] = [];
  const narrower = (d.birthFrom !== null && (stored.birthFrom === null || d.birthFrom > stored.birthFrom))
    || (d.birthTo !== null && (stored.birthTo === null || d.birthTo < stored.birthTo));
  if (narrower) {
    const r = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM reservation r JOIN person p ON p.id = r.person_id
        WHERE r.campaign_id = $1 AND r.status = 'confirmed'
          AND (($2::date IS NOT NULL AND p.birth_date < $2::date) OR ($3::date IS NOT NULL AND p.birth_date > $3::date))`,
      [stored.id, d.birthFrom, d.birthTo],
    );
    const n = r.rows[0]?.n ?? 0;
    if (n > 0) out.push(problem('/birthFrom', 'COHORT_EXCLUDES_BOOKINGS', `${n} confirmed booking(s) are of people born outside the new range.`, `새 출생일 범위 밖의 사람이 가진 확정 예약이 ${n}건 있습니다.`));
  }
  if (d.rosterRequired && !stored.rosterRequired) {
    const r = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM reservation r JOIN person p ON p.id = r.person_id
        WHERE r.campaign_id = $1 AND r.status = 'confirmed'
          AND NOT EXISTS (SELECT 1 FROM campaign_roster cr WHERE cr.campaign_id = $1 AND cr.rrn_hash = p.rrn_hash)`,
      [stored.id],
    );
    const n = r.rows[0]?.n ?? 0;
    if (n > 0) out.push(problem('/rosterRequired', 'ROSTER_EXCLUDES_BOOKINGS', `${n} confirmed booking(s) are of people not on the roster: import them first.`, `명단에 없는 사람의 확정 예약이 ${n}건 있습니다. 먼저 명단에 올려 주세요.`));
  }
  return out;
}

/** Replaces the definition: the campaign row's fields, then windows, vaccine rules and blackout days (inside the caller's transaction). */
export async function writeDefinition(tx: Queryable, d: CampaignDefinition): Promise<void> {
  await tx.query(
    `UPDATE campaign SET name_ko = $2, name_en = $3, birth_from = $4, birth_to = $5, roster_required = $6, proxy_allowed = $7,
            change_freeze_days = $8, cancel_until_days = $9, first_shot_day = $10, last_shot_day = $11
      WHERE id = $1`,
    [d.id, d.name.ko, d.name.en, d.birthFrom, d.birthTo, d.rosterRequired, d.proxyAllowed, d.changeFreezeDays, d.cancelUntilDays, d.firstShotDay, d.lastShotDay],
  );
  await tx.query('DELETE FROM campaign_window WHERE campaign_id = $1', [d.id]);
  await tx.query(
    `INSERT INTO campaign_window (campaign_id, seq, label_ko, label_en, opens_at, closes_at, birth_day_digits, birth_year_from, birth_year_to)
     SELECT $1, w.seq, w."labelKo", w."labelEn", w."opensAt", w."closesAt", w."birthDayDigits", w."birthYearFrom", w."birthYearTo"
       FROM jsonb_to_recordset($2::jsonb) AS w(seq int, "labelKo" text, "labelEn" text, "opensAt" timestamptz, "closesAt" timestamptz,
                                               "birthDayDigits" smallint[], "birthYearFrom" int, "birthYearTo" int)`,
    [d.id, JSON.stringify(d.windows)],
  );
  await tx.query('DELETE FROM campaign_vaccine_rule WHERE campaign_id = $1', [d.id]);
  await tx.query(
    `INSERT INTO campaign_vaccine_rule (campaign_id, seq, sido_code, day_from, day_to, vaccine_id)
     SELECT $1, r.seq, r."sidoCode", r."dayFrom", r."dayTo", r."vaccineId"
       FROM jsonb_to_recordset($2::jsonb) AS r(seq int, "sidoCode" text, "dayFrom" date, "dayTo" date, "vaccineId" text)`,
    [d.id, JSON.stringify(d.vaccineRules)],
  );
  await tx.query('DELETE FROM campaign_blackout WHERE campaign_id = $1', [d.id]);
  await tx.query(
    `INSERT INTO campaign_blackout (campaign_id, day, label)
     SELECT $1, b.day, b.label FROM jsonb_to_recordset($2::jsonb) AS b(day date, label text)`,
    [d.id, JSON.stringify(d.blackouts)],
  );
  // Absent: kept. A changed cohort leaves existing bookings as they are (they were eligible when made).
  if (d.cohort !== undefined) await writeCohort(tx, d.id, d.cohort);
}
