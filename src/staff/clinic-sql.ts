/**
 * The clinic portal's statements (migrations/012_clinic_portal.sql), one function each: the
 * clinic's record, its capacity and supply, dose outcomes and leftover releases. Every write is
 * one conditional statement that also writes its audit_log row; when it writes nothing, a read
 * says why (it decides nothing: the statement did).
 */
import type { Queryable } from '../core/db.ts';

/** Who did it: the staff member (id null: YEYAK_ADMIN_TOKEN) and the audit actor string. */
export interface StaffActor {
  staffId: number | null;
  name: string;
  actor: string;
}

export interface ClinicRecord {
  id: string;
  name: string;
  address: string;
  phone: string;
  sidoCode: string;
  sigunguCode: string;
}

export async function clinicRecord(q: Queryable, clinicId: string): Promise<ClinicRecord | null> {
  const r = await q.query<{ id: string; name: string; address: string; phone: string; sido_code: string; sigungu_code: string }>(
    'SELECT id, name, address, phone, sido_code, sigungu_code FROM clinic WHERE id = $1',
    [clinicId],
  );
  const row = r.rows[0];
  return row ? { id: row.id, name: row.name, address: row.address, phone: row.phone, sidoCode: row.sido_code, sigunguCode: row.sigungu_code } : null;
}

export async function campaignExists(q: Queryable, campaignId: string): Promise<boolean> {
  return (await q.query('SELECT 1 FROM campaign WHERE id = $1', [campaignId])).rows.length > 0;
}

export interface CapacityRange {
  clinicId: string;
  campaignId: string;
  from: string;
  to: string;
}

export interface SlotCapacity {
  date: string;
  vaccineId: string;
  dose: number;
  capacity: number;
  remaining: number;
  booked: number;
}

/** The clinic's slots of the campaign from `from` to `to` (inclusive), by day, dose, vaccine. */
export async function slotCapacities(q: Queryable, range: CapacityRange): Promise<SlotCapacity[]> {
  const r = await q.query<{ day: string; vaccine_id: string; dose: number; capacity: number; remaining: number }>(
    `SELECT day, vaccine_id, dose, capacity, remaining FROM slot
      WHERE clinic_id = $1 AND campaign_id = $2 AND day BETWEEN $3::date AND $4::date
      ORDER BY day, dose, vaccine_id`,
    [range.clinicId, range.campaignId, range.from, range.to],
  );
  return r.rows.map((s) => ({ date: s.day, vaccineId: s.vaccine_id, dose: s.dose, capacity: s.capacity, remaining: s.remaining, booked: s.capacity - s.remaining }));
}

export interface WeekSupply {
  vaccineId: string;
  weekStart: string;
  doses: number;
  allocated: number;
}

/** The confirmed deliveries (Monday weeks) that overlap the range: doses, and what slots hold of them. */
export async function weekSupplies(q: Queryable, range: CapacityRange): Promise<WeekSupply[]> {
  const r = await q.query<{ vaccine_id: string; week_start: string; doses: number; allocated: number }>(
    `SELECT vaccine_id, week_start, doses, allocated FROM supply
      WHERE campaign_id = $2 AND clinic_id = $1 AND week_start <= $4::date AND week_start > $3::date - 7
      ORDER BY week_start, vaccine_id`,
    [range.clinicId, range.campaignId, range.from, range.to],
  );
  return r.rows.map((s) => ({ vaccineId: s.vaccine_id, weekStart: s.week_start, doses: s.doses, allocated: s.allocated }));
}

export const doseOutcomes = ['administered', 'no_show'] as const;
export type DoseOutcome = (typeof doseOutcomes)[number];

export interface DoseRef {
  clinicId: string;
  bookingNumber: string;
  dose: number;
}

export interface RecordedOutcome {
  outcome: DoseOutcome;
  correctedFrom: DoseOutcome | null;
  recordedAt: string;
  recordedBy: string;
}

type OutcomeRow = { outcome: DoseOutcome; corrected_from: DoseOutcome | null; recorded_at: Date | string; recorded_by: string };
const toRecorded = (row: OutcomeRow): RecordedOutcome => ({
  outcome: row.outcome,
  correctedFrom: row.corrected_from,
  recordedAt: new Date(row.recorded_at).toISOString(),
  recordedBy: row.recorded_by,
});

/**
 * Records a dose's outcome in one statement, with its audit row: only a confirmed reservation's
 * dose at this clinic whose day is `today` or earlier; a first outcome is inserted, an existing
 * no_show is corrected to administered, anything else is left as it is (the upsert's WHERE, the
 * rule in migrations/012_clinic_portal.sql). The conflicting row is locked and its latest version
 * judged, so concurrent requests are decided one after the other. Null when nothing was written
 * (doseOutcomeState tells why).
 */
export async function recordDoseOutcome(
  q: Queryable,
  ref: DoseRef,
  input: { outcome: DoseOutcome; today: string; by: StaffActor; now: Date },
): Promise<RecordedOutcome | null> {
  const r = await q.query<OutcomeRow>(
    `WITH due AS (
       SELECT r.id AS reservation_id, r.campaign_id, r.person_id, d.dose, d.clinic_id, d.day
         FROM reservation r JOIN reservation_dose d ON d.reservation_id = r.id AND d.dose = $2
        WHERE r.booking_number = $1 AND d.clinic_id = $3 AND r.status = 'confirmed' AND d.day <= $4::date),
     o AS (
       INSERT INTO dose_outcome AS o (reservation_id, dose, campaign_id, person_id, clinic_id, day, outcome, recorded_at, recorded_by_staff_id, recorded_by)
       SELECT reservation_id, dose, campaign_id, person_id, clinic_id, day, $5::text, $6::timestamptz, $7::bigint, $8::text FROM due
       ON CONFLICT (reservation_id, dose) DO UPDATE
          SET outcome = excluded.outcome, corrected_from = o.outcome, clinic_id = excluded.clinic_id, day = excluded.day,
              recorded_at = excluded.recorded_at, recorded_by_staff_id = excluded.recorded_by_staff_id, recorded_by = excluded.recorded_by
        WHERE o.outcome = 'no_show' AND excluded.outcome = 'administered'
       RETURNING o.reservation_id, o.person_id, o.dose, o.day, o.outcome, o.corrected_from, o.recorded_at, o.recorded_by),
     audit AS (
       INSERT INTO audit_log (at, actor, action, reservation_id, person_id, detail)
       SELECT $6::timestamptz, $9::text, CASE o.outcome WHEN 'administered' THEN 'dose_administered' ELSE 'dose_no_show' END,
              o.reservation_id, o.person_id,
              jsonb_build_object('bookingNumber', $1::text, 'dose', o.dose, 'clinicId', $3::text, 'day', o.day,
                                 'correctedFrom', o.corrected_from, 'staff', jsonb_build_object('staffId', $7::bigint, 'name', $8::text))
         FROM o)
     SELECT outcome, corrected_from, recorded_at, recorded_by FROM o`,
    [ref.bookingNumber, ref.dose, ref.clinicId, input.today, input.outcome, input.now.toISOString(), input.by.staffId, input.by.name, input.by.actor],
  );
  const row = r.rows[0];
  return row ? toRecorded(row) : null;
}

/** A dose at this clinic as it is now (null: no such dose at this clinic), and its outcome if any. */
export async function doseOutcomeState(q: Queryable, ref: DoseRef): Promise<{ status: string; day: string; recorded: RecordedOutcome | null } | null> {
  const r = await q.query<{ status: string; day: string } & { [K in keyof OutcomeRow]: OutcomeRow[K] | null }>(
    `SELECT r.status, d.day, o.outcome, o.corrected_from, o.recorded_at, o.recorded_by
       FROM reservation r
       JOIN reservation_dose d ON d.reservation_id = r.id AND d.dose = $2
       LEFT JOIN dose_outcome o ON o.reservation_id = r.id AND o.dose = d.dose
      WHERE r.booking_number = $1 AND d.clinic_id = $3`,
    [ref.bookingNumber, ref.dose, ref.clinicId],
  );
  const row = r.rows[0];
  if (!row) return null;
  const { outcome, corrected_from, recorded_at, recorded_by } = row;
  const recorded = outcome !== null && recorded_at !== null && recorded_by !== null ? toRecorded({ outcome, corrected_from, recorded_at, recorded_by }) : null;
  return { status: row.status, day: row.day, recorded };
}

export interface LeftoverRelease {
  id: number;
  clinicId: string;
  campaignId: string;
  vaccineId: string;
  day: string;
  doses: number;
  taken: number;
  until: string;
  releasedAt: string;
  releasedBy: string;
  withdrawnAt: string | null;
}

const LEFTOVER_COLUMNS = 'id, clinic_id, campaign_id, vaccine_id, day, doses, taken, until, released_at, released_by, withdrawn_at';
type LeftoverRow = {
  id: number; clinic_id: string; campaign_id: string; vaccine_id: string; day: string; doses: number; taken: number;
  until: Date | string; released_at: Date | string; released_by: string; withdrawn_at: Date | string | null;
};
const toRelease = (row: LeftoverRow): LeftoverRelease => ({
  id: Number(row.id),
  clinicId: row.clinic_id,
  campaignId: row.campaign_id,
  vaccineId: row.vaccine_id,
  day: row.day,
  doses: row.doses,
  taken: row.taken,
  until: new Date(row.until).toISOString(),
  releasedAt: new Date(row.released_at).toISOString(),
  releasedBy: row.released_by,
  withdrawnAt: row.withdrawn_at === null ? null : new Date(row.withdrawn_at).toISOString(),
});

export interface NewLeftoverRelease {
  clinicId: string;
  campaignId: string;
  vaccineId: string;
  day: string;
  doses: number;
  until: Date;
}

/**
 * Releases leftover doses for `day`, with its audit row, in one statement: only where the clinic
 * holds a confirmed delivery of that vaccine in the campaign. Null when not (leftoverRefusal tells
 * which part is missing).
 */
export async function releaseLeftover(q: Queryable, release: NewLeftoverRelease, by: StaffActor, now: Date): Promise<LeftoverRelease | null> {
  const r = await q.query<LeftoverRow>(
    `WITH ins AS (
       INSERT INTO leftover_release (clinic_id, campaign_id, vaccine_id, day, doses, until, released_by_staff_id, released_by, released_at)
       SELECT $1::text, $2::text, $3::text, $4::date, $5::int, $6::timestamptz, $7::bigint, $8::text, $9::timestamptz
        WHERE EXISTS (SELECT 1 FROM supply WHERE campaign_id = $2::text AND clinic_id = $1::text AND vaccine_id = $3::text)
       RETURNING ${LEFTOVER_COLUMNS}),
     audit AS (
       INSERT INTO audit_log (at, actor, action, detail)
       SELECT $9::timestamptz, $10::text, 'leftover_released',
              jsonb_build_object('leftoverId', id, 'clinicId', clinic_id, 'campaignId', campaign_id, 'vaccineId', vaccine_id,
                                 'day', day, 'doses', doses, 'until', until, 'staff', jsonb_build_object('staffId', $7::bigint, 'name', $8::text))
         FROM ins)
     SELECT ${LEFTOVER_COLUMNS} FROM ins`,
    [release.clinicId, release.campaignId, release.vaccineId, release.day, release.doses, release.until.toISOString(), by.staffId, by.name, now.toISOString(), by.actor],
  );
  const row = r.rows[0];
  return row ? toRelease(row) : null;
}

/** Why releaseLeftover wrote nothing: the first of clinic, campaign, supply that is missing. */
export async function leftoverRefusal(q: Queryable, release: Pick<NewLeftoverRelease, 'clinicId' | 'campaignId'>): Promise<'clinic' | 'campaign' | 'supply'> {
  const r = await q.query<{ clinic: boolean; campaign: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM clinic WHERE id = $1) AS clinic, EXISTS (SELECT 1 FROM campaign WHERE id = $2) AS campaign',
    [release.clinicId, release.campaignId],
  );
  const row = r.rows[0];
  if (!row?.clinic) return 'clinic';
  return row.campaign ? 'supply' : 'campaign';
}

/** The clinic's releases of `day` (withdrawn ones too), oldest first. */
export async function leftoversOfDay(q: Queryable, clinicId: string, day: string): Promise<LeftoverRelease[]> {
  const r = await q.query<LeftoverRow>(
    `SELECT ${LEFTOVER_COLUMNS} FROM leftover_release WHERE clinic_id = $1 AND day = $2::date ORDER BY released_at, id`,
    [clinicId, day],
  );
  return r.rows.map(toRelease);
}

/**
 * Withdraws a release of this clinic, with its audit row, in one statement: only one not yet
 * withdrawn. Null when nothing changed (leftoverRelease tells: gone, or withdrawn before).
 */
export async function withdrawLeftover(q: Queryable, ref: { clinicId: string; id: number }, by: StaffActor, now: Date): Promise<LeftoverRelease | null> {
  const r = await q.query<LeftoverRow>(
    `WITH w AS (
       UPDATE leftover_release SET withdrawn_at = $3::timestamptz, withdrawn_by = $5::text
        WHERE id = $1 AND clinic_id = $2 AND withdrawn_at IS NULL
       RETURNING ${LEFTOVER_COLUMNS}),
     audit AS (
       INSERT INTO audit_log (at, actor, action, detail)
       SELECT $3::timestamptz, $4::text, 'leftover_withdrawn',
              jsonb_build_object('leftoverId', id, 'clinicId', clinic_id, 'campaignId', campaign_id, 'doses', doses, 'taken', taken,
                                 'staff', jsonb_build_object('staffId', $6::bigint, 'name', $5::text))
         FROM w)
     SELECT ${LEFTOVER_COLUMNS} FROM w`,
    [ref.id, ref.clinicId, now.toISOString(), by.actor, by.name, by.staffId],
  );
  const row = r.rows[0];
  return row ? toRelease(row) : null;
}

/** One release of this clinic, or null. */
export async function leftoverRelease(q: Queryable, ref: { clinicId: string; id: number }): Promise<LeftoverRelease | null> {
  const r = await q.query<LeftoverRow>(`SELECT ${LEFTOVER_COLUMNS} FROM leftover_release WHERE id = $1 AND clinic_id = $2`, [ref.id, ref.clinicId]);
  const row = r.rows[0];
  return row ? toRelease(row) : null;
}
