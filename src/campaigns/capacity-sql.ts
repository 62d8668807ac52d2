/**
 * The capacity import's statements. Everything it reads to decide is locked first, in the order
 * every writer of slots and supply uses — dose-1 slots, dose-2 slots (each by clinic, day), then
 * supply rows (by id); bookings lock slots in (dose, clinic, day) order, the clinic's PATCH a slot
 * then its supply — so the checks made on what was read still hold when the writes run. Writes
 * are set-based: one UPDATE of supply, one UPDATE of slots, one INSERT of new slots (whose
 * statement trigger allocates their supply, as the seed's does).
 */
import type { Queryable } from '../core/db.ts';

export interface SlotRow {
  id: number;
  clinicId: string;
  day: string;
  vaccineId: string;
  capacity: number;
  remaining: number;
  supplyId: number;
}

export interface SupplyRow {
  id: number;
  clinicId: string;
  vaccineId: string;
  weekStart: string;
  doses: number;
  allocated: number;
}

interface SlotDbRow {
  id: number;
  clinic_id: string;
  day: string;
  vaccine_id: string;
  capacity: number;
  remaining: number;
  supply_id: number;
}

const toSlot = (r: SlotDbRow): SlotRow => ({
  id: r.id, clinicId: r.clinic_id, day: r.day, vaccineId: r.vaccine_id, capacity: r.capacity, remaining: r.remaining, supplyId: r.supply_id,
});

/**
 * Imports of one campaign run one at a time (two would both create the same new slot), and wait
 * for a definition change to commit (the campaign row, FOR SHARE). False: no such campaign.
 */
export async function lockCampaignForImport(tx: Queryable, campaignId: string): Promise<boolean> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('yeyak.capacity-import'), hashtext($1))", [campaignId]);
  const r = await tx.query('SELECT 1 FROM campaign WHERE id = $1 FOR SHARE', [campaignId]);
  return r.rows.length > 0;
}

export async function clinicRegions(tx: Queryable, clinicIds: readonly string[]): Promise<Map<string, string>> {
  const r = await tx.query<{ id: string; sido_code: string }>('SELECT id, sido_code FROM clinic WHERE id = ANY($1::text[])', [clinicIds]);
  return new Map(r.rows.map((c) => [c.id, c.sido_code]));
}

export async function vaccineIds(tx: Queryable): Promise<Set<string>> {
  const r = await tx.query<{ id: string }>('SELECT id FROM vaccine');
  return new Set(r.rows.map((v) => v.id));
}

/** Every dose-1 slot of the given clinic × vaccine pairs (a dose-2 slot's capacity is the sum of theirs), locked. */
export async function lockDose1Slots(tx: Queryable, campaignId: string, pairs: readonly { clinicId: string; vaccineId: string }[]): Promise<SlotRow[]> {
  const r = await tx.query<SlotDbRow>(
    `SELECT s.id, s.clinic_id, s.day, s.vaccine_id, s.capacity, s.remaining, s.supply_id
       FROM slot s JOIN unnest($2::text[], $3::text[]) AS k(clinic_id, vaccine_id)
         ON s.clinic_id = k.clinic_id AND s.vaccine_id = k.vaccine_id
      WHERE s.campaign_id = $1 AND s.dose = 1
      ORDER BY s.clinic_id, s.day, s.vaccine_id
        FOR NO KEY UPDATE OF s`,
    [campaignId, pairs.map((p) => p.clinicId), pairs.map((p) => p.vaccineId)],
  );
  return r.rows.map(toSlot);
}

export interface SlotKey {
  clinicId: string;
  day: string;
  vaccineId: string;
}

/** The dose-2 slots of the given keys, locked (after the dose-1 slots). */
export async function lockDose2Slots(tx: Queryable, campaignId: string, keys: readonly SlotKey[]): Promise<SlotRow[]> {
  if (keys.length === 0) return [];
  const r = await tx.query<SlotDbRow>(
    `SELECT s.id, s.clinic_id, s.day, s.vaccine_id, s.capacity, s.remaining, s.supply_id
       FROM slot s JOIN unnest($2::text[], $3::date[], $4::text[]) AS k(clinic_id, day, vaccine_id)
         ON s.clinic_id = k.clinic_id AND s.day = k.day AND s.vaccine_id = k.vaccine_id
      WHERE s.campaign_id = $1 AND s.dose = 2
      ORDER BY s.clinic_id, s.day, s.vaccine_id
        FOR NO KEY UPDATE OF s`,
    [campaignId, keys.map((k) => k.clinicId), keys.map((k) => k.day), keys.map((k) => k.vaccineId)],
  );
  return r.rows.map(toSlot);
}

export interface SupplyKey {
  clinicId: string;
  vaccineId: string;
  weekStart: string;
}

/** Supply rows by id (existing slots') or by clinic × vaccine × week (new slots'), locked last. */
export async function lockSupply(tx: Queryable, campaignId: string, ids: readonly number[], keys: readonly SupplyKey[]): Promise<SupplyRow[]> {
  const r = await tx.query<{ id: number; clinic_id: string; vaccine_id: string; week_start: string; doses: number; allocated: number }>(
    `SELECT p.id, p.clinic_id, p.vaccine_id, p.week_start, p.doses, p.allocated FROM supply p
      WHERE p.campaign_id = $1
        AND (p.id = ANY($2::bigint[])
             OR (p.clinic_id, p.vaccine_id, p.week_start) IN (SELECT * FROM unnest($3::text[], $4::text[], $5::date[])))
      ORDER BY p.id
        FOR UPDATE`,
    [campaignId, ids, keys.map((k) => k.clinicId), keys.map((k) => k.vaccineId), keys.map((k) => k.weekStart)],
  );
  return r.rows.map((p) => ({ id: p.id, clinicId: p.clinic_id, vaccineId: p.vaccine_id, weekStart: p.week_start, doses: p.doses, allocated: p.allocated }));
}

export interface NewSlot extends SlotKey {
  dose: 1 | 2;
  supplyId: number;
  capacity: number;
}

export interface CapacityWrites {
  /** Supply id → allocation change for existing slots (new slots are allocated by the INSERT's trigger). */
  supplyDeltas: ReadonlyMap<number, number>;
  /** Existing slot id → new capacity. */
  slotCapacities: ReadonlyMap<number, number>;
  newSlots: readonly NewSlot[];
}

/**
 * The writes, in an order whose every intermediate state satisfies the CHECKs the final one does:
 * existing slots' allocation first (changes either way), then their capacity (remaining moves by
 * the same amount, never below what is booked: checked before), then the new slots (only adding).
 */
export async function writeCapacity(tx: Queryable, campaignId: string, w: CapacityWrites): Promise<void> {
  const deltas = [...w.supplyDeltas].filter(([, delta]) => delta !== 0);
  if (deltas.length > 0) {
    await tx.query(
      `UPDATE supply p SET allocated = p.allocated + d.delta FROM unnest($1::bigint[], $2::int[]) AS d(id, delta) WHERE p.id = d.id`,
      [deltas.map(([id]) => id), deltas.map(([, delta]) => delta)],
    );
  }
  if (w.slotCapacities.size > 0) {
    const slots = [...w.slotCapacities];
    await tx.query(
      `UPDATE slot s SET capacity = u.capacity, remaining = s.remaining + (u.capacity - s.capacity)
         FROM unnest($1::bigint[], $2::int[]) AS u(id, capacity) WHERE s.id = u.id`,
      [slots.map(([id]) => id), slots.map(([, capacity]) => capacity)],
    );
  }
  if (w.newSlots.length > 0) {
    const n = w.newSlots;
    await tx.query(
      `INSERT INTO slot (campaign_id, clinic_id, day, dose, vaccine_id, supply_id, capacity, remaining)
       SELECT $1::text, k.clinic_id, k.day, k.dose, k.vaccine_id, k.supply_id, k.capacity, k.capacity
         FROM unnest($2::text[], $3::date[], $4::smallint[], $5::text[], $6::bigint[], $7::int[])
              AS k(clinic_id, day, dose, vaccine_id, supply_id, capacity)
        ORDER BY k.clinic_id, k.day, k.dose, k.vaccine_id`,
      [campaignId, n.map((s) => s.clinicId), n.map((s) => s.day), n.map((s) => s.dose), n.map((s) => s.vaccineId), n.map((s) => s.supplyId), n.map((s) => s.capacity)],
    );
  }
}
