/**
 * The leftover statements (migrations/018_leftover_booking.sql), one function each: favourite
 * clinics (the cap of 5 in one conditional upsert), the public list of today's open releases near
 * a region, and the take (one call of take_leftover). Where a write writes nothing, a read says
 * why; it decides nothing (the statement did).
 */
import type { Queryable } from '../core/db.ts';

/** Favourite clinics per person (favourite_clinics_at_most_5 in migration 018 backs it). */
export const FAVOURITE_CLINICS_MAX = 5;

export interface FavouriteClinic {
  id: string;
  name: string;
  sidoCode: string;
  sigunguCode: string;
}

/** The person's favourites in the order they were starred. */
export async function favouriteClinics(q: Queryable, personId: number): Promise<FavouriteClinic[]> {
  const r = await q.query<{ id: string; name: string; sido_code: string; sigungu_code: string }>(
    `SELECT c.id, c.name, c.sido_code, c.sigungu_code
       FROM favourite_clinic_set f, unnest(f.clinic_ids) WITH ORDINALITY AS u(clinic_id, n)
       JOIN clinic c ON c.id = u.clinic_id
      WHERE f.person_id = $1
      ORDER BY u.n`,
    [personId],
  );
  return r.rows.map((c) => ({ id: c.id, name: c.name, sidoCode: c.sido_code, sigunguCode: c.sigungu_code }));
}

/**
 * Adds a clinic in one statement: only an existing clinic, only when not there yet and fewer
 * than 5 are kept — the WHERE of ON CONFLICT is judged on the row's latest version under its
 * lock, so concurrent adds of one person queue and the sixth finds five. False: nothing written
 * (favouriteRefusal tells why).
 */
export async function addFavouriteClinic(q: Queryable, personId: number, clinicId: string, now: Date): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO favourite_clinic_set AS f (person_id, clinic_ids, updated_at)
     SELECT $1::bigint, ARRAY[$2::text], $3::timestamptz WHERE EXISTS (SELECT 1 FROM clinic WHERE id = $2::text)
     ON CONFLICT (person_id) DO UPDATE SET clinic_ids = f.clinic_ids || excluded.clinic_ids, updated_at = excluded.updated_at
      WHERE NOT (f.clinic_ids @> excluded.clinic_ids) AND cardinality(f.clinic_ids) < ${FAVOURITE_CLINICS_MAX}
     RETURNING 1`,
    [personId, clinicId, now.toISOString()],
  );
  return r.rows.length > 0;
}

/** Why addFavouriteClinic wrote nothing: an unknown clinic, one already kept (fine), or the cap. */
export async function favouriteRefusal(q: Queryable, personId: number, clinicId: string): Promise<'clinic' | 'present' | 'full'> {
  const r = await q.query<{ clinic: boolean; present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM clinic WHERE id = $2) AS clinic,
            EXISTS (SELECT 1 FROM favourite_clinic_set WHERE person_id = $1 AND clinic_ids @> ARRAY[$2::text]) AS present`,
    [personId, clinicId],
  );
  const row = r.rows[0];
  if (!row?.clinic) return 'clinic';
  return row.present ? 'present' : 'full';
}

/** Removes a clinic (absent: nothing to do). */
export async function removeFavouriteClinic(q: Queryable, personId: number, clinicId: string, now: Date): Promise<void> {
  await q.query(
    `UPDATE favourite_clinic_set SET clinic_ids = array_remove(clinic_ids, $2::text), updated_at = $3
      WHERE person_id = $1 AND clinic_ids @> ARRAY[$2::text]`,
    [personId, clinicId, now.toISOString()],
  );
}

/** A release open for booking, as the public list shows it. */
export interface OpenLeftover {
  releaseId: number;
  campaignId: string;
  clinicId: string;
  clinicName: string;
  sidoCode: string;
  sigunguCode: string;
  vaccineId: string;
  vaccineKo: string;
  vaccineEn: string;
  dosesLeft: number;
  until: string;
  /** In the asked 시/군/구 (listed first), else elsewhere in its 시/도. */
  nearby: boolean;
}

/** Rows a list holds at most (a 시/도 has far fewer open releases at once). */
export const OPEN_LEFTOVERS_MAX = 200;

/**
 * Today's open releases (not withdrawn, until later than now, doses left) in the region's 시/도,
 * the region's own 시/군/구 first, then by closing time. Null: no such region. One statement over
 * leftover_release_today (today's releases nationally) with clinics by primary key.
 */
export async function openLeftovers(
  q: Queryable,
  query: { regionCode: string; campaignId: string | null; today: string; now: Date },
): Promise<OpenLeftover[] | null> {
  const r = await q.query<{
    region: string | null; id: number | null; campaign_id: string; clinic_id: string; name: string; sido_code: string; sigungu_code: string;
    vaccine_id: string; name_ko: string; name_en: string; left: number; until: Date | string; nearby: boolean;
  }>(
    `WITH g AS (SELECT code, level, coalesce(parent_code, code) AS sido FROM region WHERE code = $1)
     SELECT g.code AS region, l.id, l.campaign_id, l.clinic_id, c.name, c.sido_code, c.sigungu_code, l.vaccine_id,
            v.name_ko, v.name_en, l.doses - l.taken AS left, l.until, (g.level = 2 AND c.sigungu_code = g.code) AS nearby
       FROM g
       LEFT JOIN (leftover_release l
                  JOIN clinic c ON c.id = l.clinic_id
                  JOIN vaccine v ON v.id = l.vaccine_id)
         ON l.day = $3::date AND l.withdrawn_at IS NULL AND l.until > $4::timestamptz AND l.taken < l.doses
        AND c.sido_code = g.sido AND ($2::text IS NULL OR l.campaign_id = $2::text)
      ORDER BY nearby DESC, l.until, l.id
      LIMIT ${OPEN_LEFTOVERS_MAX}`,
    [query.regionCode, query.campaignId, query.today, query.now.toISOString()],
  );
  if (r.rows.length === 0) return null;
  return r.rows
    .filter((row) => row.id !== null)
    .map((row) => ({
      releaseId: Number(row.id),
      campaignId: row.campaign_id,
      clinicId: row.clinic_id,
      clinicName: row.name,
      sidoCode: row.sido_code,
      sigunguCode: row.sigungu_code,
      vaccineId: row.vaccine_id,
      vaccineKo: row.name_ko,
      vaccineEn: row.name_en,
      dosesLeft: row.left,
      until: new Date(row.until).toISOString(),
      nearby: row.nearby === true,
    }));
}

/** What the take needs to know before its call (the campaign, for the dose-2 day): read only. */
export async function releaseCampaign(q: Queryable, releaseId: number): Promise<string | null> {
  const r = await q.query<{ campaign_id: string }>('SELECT campaign_id FROM leftover_release WHERE id = $1', [releaseId]);
  return r.rows[0]?.campaign_id ?? null;
}

export interface TakeCall {
  releaseId: number;
  personId: number;
  /** The campaign's cohort rules for the person (no rotation window): decided in TypeScript. */
  eligible: boolean;
  today: string;
  /** null: a one-dose campaign. */
  day2: string | null;
  bookingNumber: string;
  caller: string;
  key: string;
  requestHash: string;
  keyTtlMs: number;
  now: Date;
}

export const takeCodes = [
  'OK', 'REPLAY', 'REPLAY_CANCELLED', 'IDEMPOTENCY_MISMATCH', 'NOT_FOUND', 'NOT_ELIGIBLE', 'BARRED',
  'ALREADY_TODAY', 'GONE', 'DOSE1_GIVEN', 'DOSE2_FULL', 'BOOKING_NUMBER_TAKEN',
] as const;
export type TakeCode = (typeof takeCodes)[number];

/** The booking a take answers: reservation_body plus the release and the booking it replaced. */
export interface LeftoverBooking {
  bookingNumber: string;
  campaignId: string;
  status: string;
  vaccine: string;
  doses: { dose: number; date: string; clinicId: string }[];
  releaseId: number;
  replacedBookingNumber: string | null;
}

/** The whole take in one round trip (one transaction: autocommit of one statement). */
export async function takeLeftover(q: Queryable, call: TakeCall): Promise<{ code: TakeCode; response: LeftoverBooking | null }> {
  const r = await q.query<{ o_code: string; o_response: LeftoverBooking | null }>(
    'SELECT o_code, o_response FROM take_leftover($1, $2, $3, $4::date, $5::date, $6, $7, $8, $9, $10, $11)',
    [call.releaseId, call.personId, call.eligible, call.today, call.day2, call.bookingNumber, call.caller, call.key, call.requestHash, call.keyTtlMs, call.now.toISOString()],
  );
  const row = r.rows[0];
  const code = row?.o_code as TakeCode | undefined;
  if (!row || !code || !(takeCodes as readonly string[]).includes(code)) throw new Error(`take_leftover answered an unknown code: ${String(row?.o_code)}`);
  return { code, response: row.o_response };
}
