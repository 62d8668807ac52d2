import type { Db, Queryable } from '../core/db.ts';
import { withDbRetry } from '../core/retry.ts';
import { maskedRrnFromFacts } from '../rules/rrn.ts';
import { assert } from '../core/errors.ts';

/** One booking as sent to book_batch (migrations/008_booking_rules.sql, replaced by 011_book_batch_one_moment.sql). */
export interface BookingRow {
  personId: number;
  campaignId: string;
  clinicId: string;
  day1: string;
  day2: string | null;
  bookingNumber: string;
  idemKey: string | null;
  idemHash: string | null;
  /** Whose idempotency key it is: the session's person (also as a proxy) or the agent; the actor string. */
  caller: string;
  actor: string;
  bookedBy: 'self' | 'proxy' | 'agent';
  /** Proxy booking: who books for personId, and the quota's cap (proxy_quota). */
  proxyPersonId?: number;
  proxyCap?: number;
  /** Merged into the audit row's detail (proxy + relationship, agent). */
  audit?: Record<string, unknown>;
}

export type BookingCode =
  | 'OK'
  | 'REPLAY'
  | 'IDEMPOTENCY_MISMATCH'
  | 'SLOT_FULL'
  | 'DOSE2_FULL'
  | 'ALREADY_BOOKED'
  | 'BOOKING_NUMBER_TAKEN'
  | 'PERSON_UNKNOWN'
  | 'PROXY_UNKNOWN'
  | 'PROXY_CAP'
  /** The key's booking was cancelled since (response: the reservation as it is now). */
  | 'REPLAY_CANCELLED'
  /** A row the service never builds (a proxy without its cap, a key without its hash…). */
  | 'INVALID';

export interface ReservationBody {
  bookingNumber: string;
  campaignId: string;
  status: 'confirmed' | 'cancelled';
  vaccine: string;
  doses: { dose: number; date: string; clinicId: string }[];
  /** On look-up only: whose booking it is, with the RRN masked (`900829-1******`). */
  person?: { name: string; rrnMasked: string };
}

export interface BookingOutcome {
  code: BookingCode;
  response: ReservationBody | null;
}

/** How long an idempotency key answers retries unless configured (config idempotencyTtlMs). */
export const IDEMPOTENCY_TTL_MS_DEFAULT = 24 * 60 * 60 * 1000;
/** Attempts that retry a batch when another node booked one of its people meanwhile; later ones answer ALREADY_BOOKED. */
const STRICT_ATTEMPTS = 2;

/**
 * Sends a batch in one round trip and one transaction (book_batch, set-based; see the comment
 * above it). Every request gets the answer one-at-a-time processing in arrival order would give
 * it. Slot rows are locked in one global order, so concurrent batches (other nodes) do not
 * deadlock each other. What a second attempt can cure — a deadlock with a change or cancel, an
 * idempotency key stored or a person booked meanwhile by another node (serialization_failure) —
 * is retried whole: the transaction rolled back, nothing of it stays. Only the first attempts
 * retry for a person booked elsewhere, so a storm of them cannot fail the batch.
 */
export async function bookBatch(db: Db, rows: readonly BookingRow[], now: Date, keyTtlMs = IDEMPOTENCY_TTL_MS_DEFAULT): Promise<BookingOutcome[]> {
  const payload = rows.map((r, i) => ({
    i,
    person_id: r.personId,
    campaign_id: r.campaignId,
    clinic_id: r.clinicId,
    day1: r.day1,
    day2: r.day2,
    booking_number: r.bookingNumber,
    idem_key: r.idemKey,
    idem_hash: r.idemHash,
    caller: r.caller,
    actor: r.actor,
    booked_by: r.bookedBy,
    ...(r.proxyPersonId !== undefined ? { proxy_person_id: r.proxyPersonId, proxy_cap: r.proxyCap } : {}),
    ...(r.audit ? { audit: r.audit } : {}),
  }));
  const json = JSON.stringify(payload);
  let attempt = 0;
  const result = await withDbRetry(() =>
    db.query<{ o_i: number; o_code: BookingCode; o_response: ReservationBody | null }>(
      'SELECT o_i, o_code, o_response FROM book_batch($1::jsonb, $2::timestamptz, $3::bigint, $4::boolean)',
      [json, now.toISOString(), keyTtlMs, ++attempt <= STRICT_ATTEMPTS],
    ),
  );
  const outcomes: BookingOutcome[] = new Array(rows.length);
  for (const row of result.rows) outcomes[row.o_i] = { code: row.o_code, response: row.o_response };
  for (let i = 0; i < rows.length; i++) {
    assert(outcomes[i], `book_batch returned no outcome for request ${i}`);
  }
  return outcomes;
}

export type ChangeCode = 'OK' | 'NOT_FOUND' | 'CANCELLED' | 'NOTHING' | 'CHANGE_TOO_LATE' | 'NOT_OFFERED' | 'SLOT_FULL' | 'DOSE2_FULL';
export type CancelCode = 'OK' | 'NOT_FOUND' | 'CANCELLED' | 'CANCEL_TOO_LATE';

/**
 * A change: null clinicId keeps the clinic, null day1 keeps both days — resolved from the
 * reservation under its row lock (change_reservation), never from an earlier read. personId is the
 * caller: the booked person or the proxy who booked.
 */
export interface ChangeInput {
  bookingNumber: string;
  personId: number;
  clinicId: string | null;
  day1: string | null;
  /** Dose-2 day of a new day1 (null for one dose); ignored when day1 is kept. */
  day2: string | null;
  /** The range a dose 1 may be booked in today (lead days, campaign's last shot day). */
  firstDay: string;
  lastDay: string;
  today: string;
  freezeDays: number;
  actor: string;
}

export async function changeReservation(db: Db, input: ChangeInput, now: Date): Promise<{ code: ChangeCode; response: ReservationBody | null }> {
  const r = await withDbRetry(() =>
    db.query<{ o_code: ChangeCode; o_response: ReservationBody | null }>(
      'SELECT o_code, o_response FROM change_reservation($1, $2, $3, $4::date, $5::date, $6::date, $7::date, $8::date, $9, $10, $11::timestamptz)',
      [input.bookingNumber, input.personId, input.clinicId, input.day1, input.day2, input.firstDay, input.lastDay, input.today, input.freezeDays, input.actor, now.toISOString()],
    ),
  );
  const row = r.rows[0];
  assert(row, 'change_reservation returned no row');
  return { code: row.o_code, response: row.o_response };
}

export async function cancelReservation(
  db: Db,
  input: { bookingNumber: string; personId: number; today: string; untilDays: number; actor: string },
  now: Date,
): Promise<{ code: CancelCode; response: { bookingNumber: string; status: 'cancelled' } | null }> {
  const r = await withDbRetry(() =>
    db.query<{ o_code: CancelCode; o_response: { bookingNumber: string; status: 'cancelled' } | null }>(
      'SELECT o_code, o_response FROM cancel_reservation($1, $2, $3::date, $4, $5, $6::timestamptz)',
      [input.bookingNumber, input.personId, input.today, input.untilDays, input.actor, now.toISOString()],
    ),
  );
  const row = r.rows[0];
  assert(row, 'cancel_reservation returned no row');
  return { code: row.o_code, response: row.o_response };
}

/** The reservation (any status) if `personId` is its person or the proxy who booked it, else null. */
export async function findReservation(q: Queryable, bookingNumber: string, personId: number): Promise<ReservationBody | null> {
  const r = await q.query<{
    booking_number: string; campaign_id: string; status: 'confirmed' | 'cancelled'; doses: ReservationBody['doses']; vaccine: string;
    name: string; birth_date: string; sex: 'M' | 'F'; foreign_resident: boolean;
  }>(
    `SELECT r.booking_number, r.campaign_id, r.status, p.name, p.birth_date, p.sex, p.foreign_resident,
            (SELECT min(vaccine_id) FROM reservation_dose WHERE reservation_id = r.id) AS vaccine,
            (SELECT jsonb_agg(jsonb_build_object('dose', dose, 'date', day, 'clinicId', clinic_id) ORDER BY dose)
               FROM reservation_dose WHERE reservation_id = r.id) AS doses
     FROM reservation r JOIN person p ON p.id = r.person_id
     WHERE r.booking_number = $1 AND (r.person_id = $2 OR r.proxy_person_id = $2)`,
    [bookingNumber, personId],
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    bookingNumber: row.booking_number,
    campaignId: row.campaign_id,
    status: row.status,
    vaccine: row.vaccine,
    doses: row.doses,
    person: { name: row.name, rrnMasked: maskedRrnFromFacts({ birthDate: row.birth_date, sex: row.sex, foreignResident: row.foreign_resident }) },
  };
}

/** True when the person's RRN is on the campaign's roster (campaigns with rosterRequired). */
export async function inRoster(q: Queryable, campaignId: string, personId: number): Promise<boolean> {
  const r = await q.query(
    'SELECT 1 FROM campaign_roster cr JOIN person p ON p.rrn_hash = cr.rrn_hash WHERE cr.campaign_id = $1 AND p.id = $2',
    [campaignId, personId],
  );
  return r.rows.length > 0;
}

export async function hasLiveReservation(q: Queryable, campaignId: string, personId: number): Promise<string | null> {
  const r = await q.query<{ booking_number: string }>(
    `SELECT booking_number FROM reservation WHERE campaign_id = $1 AND person_id = $2 AND status = 'confirmed'`,
    [campaignId, personId],
  );
  return r.rows[0]?.booking_number ?? null;
}
