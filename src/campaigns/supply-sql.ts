/**
 * Confirmed supply's statements: set_supply (migrations/017: raise, or cut the unbooked capacity
 * first and count what is booked beyond the delivery) and the per-week listing the console shows.
 */
import type { Queryable } from '../core/db.ts';

/** One confirmed delivery: doses of a vaccine at a clinic for the week starting weekStart (a Monday). */
export interface SupplyInput {
  readonly clinicId: string;
  readonly vaccineId: string;
  readonly weekStart: string;
  readonly doses: number;
}

/** A supply row as set_supply answers it, and as GET …/supply lists it. */
export interface SupplyState {
  supplyId: number;
  clinicId: string;
  vaccineId: string;
  weekStart: string;
  /** The confirmed delivery (what the operator set). */
  requested: number;
  /** What the week's slots may hold: requested + uncovered (allocated ≤ doses). */
  doses: number;
  /** The capacity of the week's slots (dose 1 and dose 2). */
  allocated: number;
  /** Doses booked in the week's slots (capacity − remaining). */
  booked: number;
  /** Booked doses beyond the confirmed delivery. */
  uncovered: number;
}

/** A booked dose the confirmed delivery no longer covers. */
export interface UncoveredDose {
  bookingNumber: string;
  dose: 1 | 2;
  day: string;
  clinicId: string;
  vaccineId: string;
  weekStart: string;
}

export interface SupplyReport {
  rows: (SupplyState & { cut: number })[];
  uncoveredTotal: number;
  /** The first UNCOVERED_LISTED_MAX of them (uncoveredTotal says how many). */
  uncovered: UncoveredDose[];
}

/** Uncovered doses listed in one answer; the console pages nothing more. */
export const UNCOVERED_LISTED_MAX = 1_000;

/** A dose-1 day and the dose-2 day booking gives it (rules/dose-dates.ts). */
export interface DayPair {
  readonly day1: string;
  readonly day2: string;
}

/** Runs set_supply in the caller's transaction (which holds the campaign's import lock). */
export async function setSupply(tx: Queryable, campaignId: string, rows: readonly SupplyInput[], pairs: readonly DayPair[], fromDay: string): Promise<SupplyReport> {
  const r = await tx.query<{ report: SupplyReport }>('SELECT set_supply($1, $2::jsonb, $3::jsonb, $4::date, $5) AS report', [
    campaignId,
    JSON.stringify(rows.map((x) => ({ clinic_id: x.clinicId, vaccine_id: x.vaccineId, week_start: x.weekStart, doses: x.doses }))),
    JSON.stringify(pairs),
    fromDay,
    UNCOVERED_LISTED_MAX,
  ]);
  const report = r.rows[0]?.report;
  if (!report) throw new Error('set_supply answered nothing');
  return report;
}

/** Every supply row of the campaign (optionally of one clinic), with what is booked on it. */
export async function listSupply(q: Queryable, campaignId: string, clinicId: string | null, limit: number): Promise<SupplyState[]> {
  const r = await q.query<{ id: number; clinic_id: string; vaccine_id: string; week_start: string; doses: number; allocated: number; uncovered: number; booked: number }>(
    `SELECT p.id, p.clinic_id, p.vaccine_id, p.week_start, p.doses, p.allocated, p.uncovered,
            COALESCE((SELECT sum(s.capacity - s.remaining) FROM slot s WHERE s.supply_id = p.id), 0)::int AS booked
       FROM supply p
      WHERE p.campaign_id = $1 AND ($2::text IS NULL OR p.clinic_id = $2)
      ORDER BY p.clinic_id, p.vaccine_id, p.week_start
      LIMIT $3`,
    [campaignId, clinicId, limit],
  );
  return r.rows.map((p) => ({
    supplyId: Number(p.id),
    clinicId: p.clinic_id,
    vaccineId: p.vaccine_id,
    weekStart: p.week_start,
    requested: p.doses - p.uncovered,
    doses: p.doses,
    allocated: p.allocated,
    booked: p.booked,
    uncovered: p.uncovered,
  }));
}
