import type { Db } from '../core/db.ts';
import type { Campaign } from '../rules/campaign.ts';
import { dose2Day } from '../rules/dose-dates.ts';

/**
 * In-process availability: clinic lists and dates are answered from memory, not by an aggregate
 * query per request (the 2021 bottleneck). The view loads every slot once, then follows the
 * slot_change feed (written by a trigger on every change of slot.remaining).
 *
 * Staleness is bounded by refreshMs plus one poll. Change rows are re-read for `overlapMs` after
 * they appear, because a transaction that took its seq earlier may commit later; per slot the seq
 * order is the commit order (the row lock spans UPDATE → COMMIT), so keeping the highest seq per
 * slot converges on the truth. Booking never trusts this view: the database decides.
 */
export interface ClinicInfo {
  readonly id: string;
  readonly name: string;
  readonly sidoCode: string;
  readonly sigunguCode: string;
  readonly address: string;
}

interface SlotEntry {
  readonly id: number;
  readonly clinicId: string;
  readonly day: string;
  readonly dose: 1 | 2;
  readonly vaccineId: string;
  remaining: number;
  lastSeq: number;
  /** For a dose-1 slot: the dose-2 slot that its bookings also claim. */
  pair: SlotEntry | null;
  /** For a dose-1 slot of a two-dose campaign: the dose-2 day a booking of it gets (rules/dose-dates.ts). */
  day2: string | null;
}

interface CampaignView {
  readonly campaign: Campaign;
  readonly slots: Map<number, SlotEntry>;
  /** clinicId → day → dose-1 slot */
  readonly dose1ByClinic: Map<string, Map<string, SlotEntry>>;
  /** Sorted once at load. */
  readonly clinicIds: readonly string[];
  /** Bumped on every applied change: the totals cache keys on it. */
  version: number;
}

interface Totals {
  readonly version: number;
  readonly fromDay: string;
  readonly byClinic: ReadonlyMap<string, number>;
  readonly total: number;
}

export interface DateAvailability {
  date: string;
  remaining: number;
  vaccine: string;
  /** The dose-2 day booked with this date (two-dose campaigns), as booking computes it. */
  dose2Date?: string;
}

/** A 시/도 (level 1) or 시/군/구 (level 2), as the region table holds it. */
export interface RegionInfo {
  readonly code: string;
  readonly parentCode: string | null;
  readonly level: 1 | 2;
  readonly nameKo: string;
  readonly nameEn: string;
}

/** A region with the first doses left in its clinics of one campaign. */
export interface RegionAvailability extends RegionInfo {
  remaining: number;
}

const CHANGE_BATCH_MAX = 50_000; // rows per poll; a bigger backlog is read over several polls
const LOAD_LOOKBACK_CHANGES = 100_000; // change rows re-read after a load
// The feed keeps this many rows behind the newest (2 per booking): far more than any poll re-reads
// (overlapMs) or a load looks back, so pruning never removes a row a view still needs.
export const FEED_KEEP_CHANGES = 1_000_000;
const PRUNE_EVERY_POLLS = 120; // ~1 min at the default 500 ms

export class AvailabilityView {
  private readonly clinics = new Map<string, ClinicInfo>();
  private regionList: readonly RegionInfo[] = [];
  private readonly campaigns = new Map<string, CampaignView>();
  private readonly totals = new Map<string, Totals>();
  private readonly regionsByTotals = new WeakMap<Totals, readonly RegionAvailability[]>();
  /** Highest seq seen, and when: the poll re-reads from the high-water mark of overlapMs ago. */
  private readonly seqHistory: { atMs: number; seq: number }[] = [];
  private highSeq = 0;
  private timer: NodeJS.Timeout | null = null;
  private polls = 0;
  private polling: Promise<void> | null = null;
  lastRefreshMs = 0;

  constructor(
    private readonly db: Db,
    /** monotonicMs: the Clock's (a view's age is real time, whatever the wall clock says). */
    private readonly opts: { refreshMs: number; overlapMs: number; monotonicMs: () => number },
  ) {}

  private nowMs(): number {
    return this.opts.monotonicMs();
  }

  async load(campaigns: readonly Campaign[]): Promise<void> {
    const start = await this.db.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM slot_change');
    this.highSeq = start.rows[0]?.seq ?? 0;
    // Changes that took a seq before this load but commit after it are re-read once.
    this.seqHistory.length = 0;
    this.seqHistory.push({ atMs: -Infinity, seq: Math.max(0, this.highSeq - LOAD_LOOKBACK_CHANGES) });
    const clinics = await this.db.query<{ id: string; name: string; sido_code: string; sigungu_code: string; address: string }>(
      'SELECT id, name, sido_code, sigungu_code, address FROM clinic ORDER BY id',
    );
    this.clinics.clear();
    for (const c of clinics.rows) {
      this.clinics.set(c.id, { id: c.id, name: c.name, sidoCode: c.sido_code, sigunguCode: c.sigungu_code, address: c.address });
    }
    const regions = await this.db.query<{ code: string; parent_code: string | null; level: 1 | 2; name_ko: string; name_en: string }>(
      'SELECT code, parent_code, level, name_ko, name_en FROM region ORDER BY code',
    );
    this.regionList = regions.rows.map((r) => ({ code: r.code, parentCode: r.parent_code, level: r.level, nameKo: r.name_ko, nameEn: r.name_en }));
    this.campaigns.clear();
    this.totals.clear();
    for (const campaign of campaigns) this.campaigns.set(campaign.id, await this.loadCampaign(campaign));
    this.lastRefreshMs = this.nowMs();
  }

  /**
   * Reads one campaign's slots again and swaps them in whole: an operator created slots or changed
   * the definition (blackout days move the dose-2 pairs). The feed's overlap re-read converges
   * as after load().
   */
  async reloadCampaign(campaign: Campaign): Promise<void> {
    const view = await this.loadCampaign(campaign);
    view.version = (this.campaigns.get(campaign.id)?.version ?? 0) + 1; // caches keyed on it see a change
    this.campaigns.set(campaign.id, view);
    this.totals.delete(campaign.id);
  }

  private async loadCampaign(campaign: Campaign): Promise<CampaignView> {
    const rows = await this.db.query<{ id: number; clinic_id: string; day: string; dose: 1 | 2; vaccine_id: string; remaining: number }>(
      'SELECT id, clinic_id, day, dose, vaccine_id, remaining FROM slot WHERE campaign_id = $1',
      [campaign.id],
    );
    const slots = new Map<number, SlotEntry>();
    const dose2 = new Map<string, SlotEntry>();
    const dose1ByClinic = new Map<string, Map<string, SlotEntry>>();
    for (const r of rows.rows) {
      const e: SlotEntry = { id: r.id, clinicId: r.clinic_id, day: r.day, dose: r.dose, vaccineId: r.vaccine_id, remaining: r.remaining, lastSeq: 0, pair: null, day2: null };
      slots.set(e.id, e);
      if (e.dose === 2) dose2.set(`${e.clinicId}|${e.day}|${e.vaccineId}`, e);
      else {
        let days = dose1ByClinic.get(e.clinicId);
        if (!days) dose1ByClinic.set(e.clinicId, (days = new Map()));
        days.set(e.day, e);
      }
    }
    if (campaign.doses === 2 && campaign.dose2IntervalDays !== null) {
      for (const days of dose1ByClinic.values()) {
        for (const e of days.values()) {
          e.day2 = dose2Day(e.day, campaign.dose2IntervalDays, campaign.blackoutDays, campaign.blackoutShiftDays);
          e.pair = dose2.get(`${e.clinicId}|${e.day2}|${e.vaccineId}`) ?? null;
        }
      }
    }
    return { campaign, slots, dose1ByClinic, clinicIds: [...dose1ByClinic.keys()].sort(), version: 0 };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.polling) {
        const prune = ++this.polls % PRUNE_EVERY_POLLS === 0;
        this.polling = this.refresh()
          .then(() => (prune ? this.prune() : 0))
          .then(() => undefined, () => undefined)
          .finally(() => (this.polling = null));
      }
    }, this.opts.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** Applies changes committed since the last poll. Returns the number of change rows read. */
  async refresh(): Promise<number> {
    const now = this.nowMs();
    let since = this.safeCursor(now);
    let read = 0;
    for (;;) {
      const r = await this.db.query<{ seq: number; slot_id: number; remaining: number }>(
        'SELECT seq, slot_id, remaining FROM slot_change WHERE seq > $1 ORDER BY seq LIMIT $2',
        [since, CHANGE_BATCH_MAX],
      );
      for (const row of r.rows) this.apply(row.slot_id, row.remaining, row.seq);
      read += r.rows.length;
      const last = r.rows[r.rows.length - 1];
      if (last && last.seq > this.highSeq) this.highSeq = last.seq;
      if (!last || r.rows.length < CHANGE_BATCH_MAX) break;
      since = last.seq;
    }
    this.seqHistory.push({ atMs: now, seq: this.highSeq });
    this.lastRefreshMs = now;
    return read;
  }

  /**
   * Deletes feed rows more than `keep` behind the newest this view has seen. Several nodes may
   * prune at once: the deletes overlap harmlessly. Returns the rows deleted.
   */
  async prune(keep: number = FEED_KEEP_CHANGES): Promise<number> {
    const below = this.highSeq - keep;
    if (below <= 0) return 0;
    const r = await this.db.query<{ n: number }>(
      'WITH gone AS (DELETE FROM slot_change WHERE seq <= $1 RETURNING 1) SELECT count(*)::int AS n FROM gone',
      [below],
    );
    return r.rows[0]?.n ?? 0;
  }

  /** The high-water mark as it was overlapMs ago: every change at or below it has committed. */
  private safeCursor(now: number): number {
    while (this.seqHistory.length >= 2 && (this.seqHistory[1] as { atMs: number }).atMs <= now - this.opts.overlapMs) {
      this.seqHistory.shift();
    }
    return (this.seqHistory[0] as { seq: number }).seq;
  }

  private apply(slotId: number, remaining: number, seq: number): void {
    for (const view of this.campaigns.values()) {
      const e = view.slots.get(slotId);
      if (!e) continue;
      if (seq <= e.lastSeq) return;
      e.lastSeq = seq;
      if (e.remaining !== remaining) {
        e.remaining = remaining;
        view.version++;
      }
      return;
    }
  }

  clinic(id: string): ClinicInfo | undefined {
    return this.clinics.get(id);
  }

  version(campaignId: string): number {
    return this.campaigns.get(campaignId)?.version ?? -1;
  }

  hasCampaign(campaignId: string): boolean {
    return this.campaigns.has(campaignId);
  }

  /** Dose-1 days of a clinic from `fromDay` on, remaining counting the dose-2 slot behind each. */
  dates(campaignId: string, clinicId: string, fromDay: string): DateAvailability[] | null {
    const days = this.campaigns.get(campaignId)?.dose1ByClinic.get(clinicId);
    if (!days) return null;
    const out: DateAvailability[] = [];
    for (const e of days.values()) {
      if (e.day < fromDay) continue;
      out.push({ date: e.day, remaining: effective(e), vaccine: e.vaccineId, ...(e.day2 !== null ? { dose2Date: e.day2 } : {}) });
    }
    return out.sort((a, b) => (a.date < b.date ? -1 : 1));
  }

  /** True when the clinic offers dose 1 in this campaign. */
  hasClinic(campaignId: string, clinicId: string): boolean {
    return this.campaigns.get(campaignId)?.dose1ByClinic.has(clinicId) ?? false;
  }

  /** True when the clinic offers dose 1 on `day` (on or after `fromDay`). */
  offers(campaignId: string, clinicId: string, day: string, fromDay: string): boolean {
    return day >= fromDay && (this.campaigns.get(campaignId)?.dose1ByClinic.get(clinicId)?.has(day) ?? false);
  }

  /** Bookable first doses per clinic from `fromDay` on. */
  clinicRemaining(campaignId: string, clinicId: string, fromDay: string): number | null {
    return this.totalsFor(campaignId, fromDay)?.byClinic.get(clinicId) ?? null;
  }

  clinicIds(campaignId: string): readonly string[] {
    return this.campaigns.get(campaignId)?.clinicIds ?? [];
  }

  campaignRemaining(campaignId: string, fromDay: string): number {
    return this.totalsFor(campaignId, fromDay)?.total ?? 0;
  }

  /**
   * The 시/도 and 시/군/구 that have clinics in the campaign, each with the first doses left in
   * them from `fromDay` on (sums of the per-clinic totals), in code order; null: no such campaign.
   */
  regions(campaignId: string, fromDay: string): readonly RegionAvailability[] | null {
    const totals = this.totalsFor(campaignId, fromDay);
    if (!totals) return null;
    // Rolled up once per totals (a view version): the region list is asked on every landing page.
    const known = this.regionsByTotals.get(totals);
    if (known) return known;
    const remaining = new Map<string, number>();
    for (const [clinicId, left] of totals.byClinic) {
      const info = this.clinics.get(clinicId);
      if (!info) continue;
      remaining.set(info.sidoCode, (remaining.get(info.sidoCode) ?? 0) + left);
      remaining.set(info.sigunguCode, (remaining.get(info.sigunguCode) ?? 0) + left);
    }
    const answer = Object.freeze(this.regionList.filter((r) => remaining.has(r.code)).map((r) => Object.freeze({ ...r, remaining: remaining.get(r.code) ?? 0 })));
    this.regionsByTotals.set(totals, answer);
    return answer;
  }

  /**
   * Per-clinic and campaign totals, summed once per view version: the landing page and the clinic
   * list ask for them on every request, and a korea-sized campaign has ~390,000 dose-1 slots.
   */
  private totalsFor(campaignId: string, fromDay: string): Totals | null {
    const view = this.campaigns.get(campaignId);
    if (!view) return null;
    const cached = this.totals.get(campaignId);
    if (cached && cached.version === view.version && cached.fromDay === fromDay) return cached;
    const byClinic = new Map<string, number>();
    let total = 0;
    for (const [clinicId, days] of view.dose1ByClinic) {
      let sum = 0;
      for (const e of days.values()) if (e.day >= fromDay) sum += effective(e);
      byClinic.set(clinicId, sum);
      total += sum;
    }
    const fresh = { version: view.version, fromDay, byClinic, total };
    this.totals.set(campaignId, fresh);
    return fresh;
  }
}

function effective(e: SlotEntry): number {
  return e.pair ? Math.min(e.remaining, e.pair.remaining) : e.remaining;
}
