/**
 * The staff routes' statements, one function each (the routes hold no SQL): a clinic's doses of a
 * day (with each dose's outcome), and the dose-1 capacity change with its supply bookkeeping.
 */
import type { Queryable } from '../core/db.ts';

/** One confirmed dose at a clinic on a day, as clinic staff see it. */
export interface ClinicDose {
  bookingNumber: string;
  campaignId: string;
  dose: number;
  vaccine: string;
  name: string;
  birthDate: string;
  bookedBy: string;
  /** What clinic staff recorded for this dose (migrations/012_clinic_portal.sql), null until then. */
  outcome: 'administered' | 'no_show' | null;
}

/** The confirmed doses at `clinicId` on `day` (every campaign, leftover doses too), dose 1 first, then by booking number. */
export async function clinicDoses(q: Queryable, clinicId: string, day: string): Promise<ClinicDose[]> {
  const r = await q.query<{
    booking_number: string; campaign_id: string; dose: number; vaccine_id: string; name: string; birth_date: string; booked_by: string;
    outcome: 'administered' | 'no_show' | null;
  }>(
    `SELECT r.booking_number, r.campaign_id, d.dose, d.vaccine_id, p.name, p.birth_date, r.booked_by, o.outcome
       FROM (SELECT d.* FROM slot s JOIN reservation_dose d ON d.slot_id = s.id WHERE s.clinic_id = $1 AND s.day = $2
             UNION ALL -- leftover doses taken today (migration 018: no slot, the release instead)
             SELECT d.* FROM leftover_release l JOIN reservation_dose d ON d.leftover_release_id = l.id WHERE l.clinic_id = $1 AND l.day = $2) d
       JOIN reservation r ON r.id = d.reservation_id AND r.status = 'confirmed'
       JOIN person p ON p.id = r.person_id
       LEFT JOIN dose_outcome o ON o.reservation_id = d.reservation_id AND o.dose = d.dose
      ORDER BY d.dose, r.booking_number`,
    [clinicId, day],
  );
  return r.rows.map((row) => ({
    bookingNumber: row.booking_number,
    campaignId: row.campaign_id,
    dose: row.dose,
    vaccine: row.vaccine_id,
    name: row.name,
    birthDate: row.birth_date,
    bookedBy: row.booked_by,
    outcome: row.outcome,
  }));
}

export interface Dose1Slot {
  campaignId: string;
  clinicId: string;
  day: string;
  /** null: the day's first dose-1 vaccine by id (the one a booking takes on a day with two). */
  vaccineId: string | null;
}

/**
 * Sets a dose-1 slot's capacity in one statement: the slot row locked, the supply's allocation
 * moved by the difference only if it stays within the delivery (supply CHECK backs it), and the
 * slot changed only if that happened and the new capacity covers what is booked (slot CHECK backs
 * it). Null when nothing changed: no such slot (dose1SlotExists tells), or out of range.
 */
export async function setDose1Capacity(q: Queryable, slot: Dose1Slot, capacity: number): Promise<{ vaccineId: string; capacity: number; remaining: number } | null> {
  const r = await q.query<{ vaccine_id: string; capacity: number; remaining: number }>(
    `WITH s AS (
       SELECT id, supply_id, capacity, remaining FROM slot
        WHERE campaign_id = $1 AND clinic_id = $2 AND day = $3 AND dose = 1 AND ($5::text IS NULL OR vaccine_id = $5::text)
        ORDER BY vaccine_id LIMIT 1
          FOR NO KEY UPDATE),
     sup AS (
       UPDATE supply p SET allocated = p.allocated + ($4 - s.capacity)
         FROM s
        WHERE p.id = s.supply_id AND s.capacity - s.remaining <= $4
          AND p.allocated + ($4 - s.capacity) BETWEEN 0 AND p.doses
       RETURNING p.id)
     UPDATE slot t SET capacity = $4, remaining = t.remaining + ($4 - t.capacity)
       FROM s, sup
      WHERE t.id = s.id AND sup.id = s.supply_id
     RETURNING t.vaccine_id, t.capacity, t.remaining`,
    [slot.campaignId, slot.clinicId, slot.day, capacity, slot.vaccineId],
  );
  const row = r.rows[0];
  return row ? { vaccineId: row.vaccine_id, capacity: row.capacity, remaining: row.remaining } : null;
}

/** True when the campaign has a dose-1 slot (of the vaccine, if given) at the clinic on the day. */
export async function dose1SlotExists(q: Queryable, slot: Dose1Slot): Promise<boolean> {
  const r = await q.query(
    'SELECT 1 FROM slot WHERE campaign_id = $1 AND clinic_id = $2 AND day = $3 AND dose = 1 AND ($4::text IS NULL OR vaccine_id = $4::text)',
    [slot.campaignId, slot.clinicId, slot.day, slot.vaccineId],
  );
  return r.rows.length > 0;
}
