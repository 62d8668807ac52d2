/**
 * Campaigns in the store: tables campaign, campaign_window and campaign_blackout ⇄ `Campaign`.
 * Vaccine rules and rosters are separate concerns and are not part of `Campaign`.
 */
import type { Queryable } from '../core/db.ts';
import type { AfterDosesCohort, Campaign, CampaignWindow } from '../rules/campaign.ts';
import { loadCohorts, writeCohort } from './cohort-sql.ts';

export interface InsertCampaignOptions {
  /** Label per blackout day ('YYYY-MM-DD' → text); the column is NOT NULL, `Campaign` has no labels. */
  readonly blackoutLabels?: Readonly<Record<string, string>>;
}

const DEFAULT_BLACKOUT_LABEL = '2차 접종 없음 (no dose 2)';

/** Writes the campaign row, its windows and its blackout days. Fails if the id already exists. */
export async function insertCampaign(q: Queryable, c: Campaign, opts: InsertCampaignOptions = {}): Promise<void> {
  await q.query(
    `INSERT INTO campaign (id, name_ko, name_en, time_zone, birth_from, birth_to, roster_required, proxy_allowed,
       doses, dose2_interval_days, change_freeze_days, cancel_until_days, blackout_shift_days,
       first_shot_day, last_shot_day, queue_enabled, notice_ko, notice_en,
       queue_rate_per_s, queue_active_max, queue_shuffle_at_opening, queue_pow_bits,
       queue_paused, queue_notice_ko, queue_notice_en, queue_order)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
       $23, $24, $25, $26)`,
    [
      c.id, c.nameKo, c.nameEn, c.timeZone, c.birthFrom, c.birthTo, c.rosterRequired, c.proxyAllowed,
      c.doses, c.dose2IntervalDays, c.changeFreezeDays, c.cancelUntilDays, c.blackoutShiftDays,
      c.firstShotDay, c.lastShotDay, c.queueEnabled, c.noticeKo, c.noticeEn,
      c.queue.ratePerS, c.queue.activeMax, c.queue.shuffleAtOpening, c.queue.powBits,
      c.queue.paused ?? false, c.queue.notice?.ko ?? null, c.queue.notice?.en ?? null,
      c.queueOrder ?? 'queue-first',
    ],
  );
  // A campaign has a handful of windows; one statement each keeps the smallint[] column simple.
  for (const w of c.windows) {
    await q.query(
      `INSERT INTO campaign_window (campaign_id, seq, label_ko, label_en, opens_at, closes_at,
         birth_day_digits, birth_year_from, birth_year_to)
       VALUES ($1, $2, $3, $4, $5, $6, $7::smallint[], $8, $9)`,
      [c.id, w.seq, w.labelKo, w.labelEn, w.opensAt.toISOString(), w.closesAt.toISOString(),
        w.birthDayDigits ? [...w.birthDayDigits] : null, w.birthYearFrom, w.birthYearTo],
    );
  }
  if (c.blackoutDays.length > 0) {
    const labels = c.blackoutDays.map((d) => opts.blackoutLabels?.[d] ?? DEFAULT_BLACKOUT_LABEL);
    await q.query(
      `INSERT INTO campaign_blackout (campaign_id, day, label)
       SELECT $1, d, l FROM unnest($2::date[], $3::text[]) AS t(d, l)`,
      [c.id, [...c.blackoutDays], labels],
    );
  }
  if (c.cohort) await writeCohort(q, c.id, c.cohort);
}

interface CampaignRow {
  id: string;
  name_ko: string;
  name_en: string;
  time_zone: string;
  birth_from: string | null;
  birth_to: string | null;
  roster_required: boolean;
  proxy_allowed: boolean;
  doses: number;
  dose2_interval_days: number | null;
  change_freeze_days: number;
  cancel_until_days: number;
  blackout_shift_days: number;
  first_shot_day: string;
  last_shot_day: string;
  queue_enabled: boolean;
  notice_ko: string | null;
  notice_en: string | null;
  queue_rate_per_s: number;
  queue_active_max: number;
  queue_shuffle_at_opening: boolean;
  queue_pow_bits: number;
  queue_paused: boolean;
  queue_notice_ko: string | null;
  queue_notice_en: string | null;
  queue_order: 'queue-first' | 'verify-first';
}

interface WindowRow {
  campaign_id: string;
  seq: number;
  label_ko: string;
  label_en: string;
  opens_at: Date | string;
  closes_at: Date | string;
  birth_day_digits: number[] | null;
  birth_year_from: number | null;
  birth_year_to: number | null;
}

const CAMPAIGN_COLUMNS = `id, name_ko, name_en, time_zone, birth_from, birth_to, roster_required, proxy_allowed,
  doses, dose2_interval_days, change_freeze_days, cancel_until_days, blackout_shift_days,
  first_shot_day, last_shot_day, queue_enabled, notice_ko, notice_en,
  queue_rate_per_s, queue_active_max, queue_shuffle_at_opening, queue_pow_bits,
  queue_paused, queue_notice_ko, queue_notice_en, queue_order`;

/** An operator's change to a campaign's waiting room (admin API); absent fields stay as they are. */
export interface QueueSettingsPatch {
  readonly ratePerS?: number;
  readonly activeMax?: number;
  readonly paused?: boolean;
  readonly notice?: { readonly ko: string; readonly en: string } | null;
  readonly powBits?: number;
}

/** Writes an operator's waiting-room change to the campaign row. False when there is no such campaign. */
export async function updateQueueSettings(q: Queryable, id: string, patch: QueueSettingsPatch): Promise<boolean> {
  const params: unknown[] = [id];
  const sets: string[] = [];
  const set = (column: string, v: unknown) => {
    params.push(v);
    sets.push(`${column} = $${params.length}`);
  };
  if (patch.ratePerS !== undefined) set('queue_rate_per_s', patch.ratePerS);
  if (patch.activeMax !== undefined) set('queue_active_max', patch.activeMax);
  if (patch.powBits !== undefined) set('queue_pow_bits', patch.powBits);
  if (patch.paused !== undefined) set('queue_paused', patch.paused);
  if (patch.notice !== undefined) {
    set('queue_notice_ko', patch.notice?.ko ?? null);
    set('queue_notice_en', patch.notice?.en ?? null);
  }
  if (sets.length === 0) return (await q.query('SELECT 1 FROM campaign WHERE id = $1', [id])).rows.length > 0;
  const r = await q.query(`UPDATE campaign SET ${sets.join(', ')} WHERE id = $1 RETURNING id`, params);
  return r.rows.length > 0;
}

/** All campaigns, ordered by id. */
export async function loadCampaigns(q: Queryable): Promise<Campaign[]> {
  return loadWhere(q, '', []);
}

export async function loadCampaign(q: Queryable, id: string): Promise<Campaign | null> {
  const found = await loadWhere(q, 'WHERE id = $1', [id]);
  return found[0] ?? null;
}

async function loadWhere(q: Queryable, where: string, params: unknown[]): Promise<Campaign[]> {
  const campaigns = await q.query<CampaignRow>(`SELECT ${CAMPAIGN_COLUMNS} FROM campaign ${where} ORDER BY id`, params);
  if (campaigns.rows.length === 0) return [];
  const ids = campaigns.rows.map((r) => r.id);
  const windows = await q.query<WindowRow>(
    `SELECT campaign_id, seq, label_ko, label_en, opens_at, closes_at, birth_day_digits, birth_year_from, birth_year_to
       FROM campaign_window WHERE campaign_id = ANY($1::text[]) ORDER BY campaign_id, opens_at, seq`,
    [ids],
  );
  const blackouts = await q.query<{ campaign_id: string; day: string }>(
    `SELECT campaign_id, day FROM campaign_blackout WHERE campaign_id = ANY($1::text[]) ORDER BY campaign_id, day`,
    [ids],
  );
  const cohorts = await loadCohorts(q, ids);
  const windowsOf = groupBy(windows.rows.map((w) => [w.campaign_id, toWindow(w)] as const));
  const blackoutsOf = groupBy(blackouts.rows.map((b) => [b.campaign_id, b.day] as const));
  return campaigns.rows.map((r) => toCampaign(r, windowsOf.get(r.id) ?? [], blackoutsOf.get(r.id) ?? [], cohorts.get(r.id)));
}

function groupBy<V>(pairs: readonly (readonly [string, V])[]): Map<string, V[]> {
  const out = new Map<string, V[]>();
  for (const [k, v] of pairs) {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

function toWindow(w: WindowRow): CampaignWindow {
  return {
    seq: w.seq,
    labelKo: w.label_ko,
    labelEn: w.label_en,
    opensAt: new Date(w.opens_at),
    closesAt: new Date(w.closes_at),
    birthDayDigits: w.birth_day_digits ? w.birth_day_digits.map(Number) : null,
    birthYearFrom: w.birth_year_from,
    birthYearTo: w.birth_year_to,
  };
}

function toCampaign(r: CampaignRow, windows: CampaignWindow[], blackoutDays: string[], cohort: AfterDosesCohort | undefined): Campaign {
  if (r.doses !== 1 && r.doses !== 2) throw new Error(`campaign ${r.id}: doses must be 1 or 2, got ${r.doses}`);
  return {
    id: r.id,
    nameKo: r.name_ko,
    nameEn: r.name_en,
    timeZone: r.time_zone,
    birthFrom: r.birth_from,
    birthTo: r.birth_to,
    rosterRequired: r.roster_required,
    proxyAllowed: r.proxy_allowed,
    doses: r.doses,
    dose2IntervalDays: r.dose2_interval_days,
    changeFreezeDays: r.change_freeze_days,
    cancelUntilDays: r.cancel_until_days,
    blackoutShiftDays: r.blackout_shift_days,
    firstShotDay: r.first_shot_day,
    lastShotDay: r.last_shot_day,
    queueEnabled: r.queue_enabled,
    queue: {
      ratePerS: r.queue_rate_per_s,
      activeMax: r.queue_active_max,
      shuffleAtOpening: r.queue_shuffle_at_opening,
      powBits: r.queue_pow_bits,
      // Only when set, so that a campaign round-trips as it was written.
      ...(r.queue_paused ? { paused: true } : {}),
      ...(r.queue_notice_ko !== null || r.queue_notice_en !== null ? { notice: { ko: r.queue_notice_ko ?? '', en: r.queue_notice_en ?? '' } } : {}),
    },
    queueOrder: r.queue_order,
    noticeKo: r.notice_ko,
    noticeEn: r.notice_en,
    windows,
    blackoutDays,
    // Only when set, so that a campaign without one round-trips as it was written.
    ...(cohort ? { cohort } : {}),
  };
}
