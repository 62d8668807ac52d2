/**
 * The invariant auditor's statements (audit.ts): one set-based statement per check, each answering
 * how many things break it and up to EXAMPLES_MAX of their ids — booking numbers, slot ids, supply
 * ids, waiting-room places; never a name, phone or RRN hash. Operations reads the booking and
 * waiting-room tables here with SQL only, as its other statements do (sql.ts): no capability's
 * code is imported.
 *
 * `$1` is the campaign to audit, or null for every campaign. Each statement is planned with its
 * parameters bound (unnamed statements), so `$1::text IS NULL OR …` folds away.
 */
import type { Queryable } from '../core/db.ts';

export const EXAMPLES_MAX = 10;

export interface CheckCount {
  violations: number;
  examples: string[];
}

async function countOf(q: Queryable, sql: string, params: unknown[]): Promise<CheckCount> {
  const r = await q.query<{ violations: number; examples: string[] | null }>(sql, params);
  const row = r.rows[0];
  return { violations: Number(row?.violations ?? 0), examples: (row?.examples ?? []).map(String) };
}

/** `broken` is a CTE of rows with an `example` text column; it is read twice, so materialised once. */
const ANSWER = `SELECT (SELECT count(*) FROM broken)::int AS violations,
       ARRAY(SELECT example FROM broken ORDER BY example LIMIT ${EXAMPLES_MAX}) AS examples`;

/**
 * Per slot: capacity − remaining = the live doses that reference it, and 0 ≤ remaining ≤
 * capacity (slot_remaining_in_range backs the second). One pass over reservation_dose, hashed
 * against the confirmed reservations and then the slots: every dose must be counted, so no index
 * can spare the scan; it is a sequential read of both tables (see docs/ARCHITECTURE.md, Auditor).
 */
export function slotCapacity(q: Queryable, campaignId: string | null): Promise<CheckCount> {
  return countOf(
    q,
    `WITH booked AS (
       SELECT d.slot_id, count(*) AS n
         FROM reservation_dose d JOIN reservation r ON r.id = d.reservation_id
        WHERE r.status = 'confirmed' AND ($1::text IS NULL OR r.campaign_id = $1)
        GROUP BY d.slot_id),
     broken AS (
       SELECT s.id::text AS example FROM slot s LEFT JOIN booked b ON b.slot_id = s.id
        WHERE ($1::text IS NULL OR s.campaign_id = $1)
          AND (s.remaining < 0 OR s.remaining > s.capacity OR s.capacity - s.remaining <> coalesce(b.n, 0)))
     ${ANSWER}`,
    [campaignId],
  );
}

/**
 * No person holds two confirmed reservations in one campaign (reservation_one_per_person backs
 * it). The grouping reads that partial unique index in order (campaign_id, person_id); only the
 * few broken pairs go back to the table for their booking numbers. Counts people, not bookings.
 */
export function oneLiveReservation(q: Queryable, campaignId: string | null): Promise<CheckCount> {
  return countOf(
    q,
    `WITH dup AS (
       SELECT campaign_id, person_id FROM reservation
        WHERE status = 'confirmed' AND ($1::text IS NULL OR campaign_id = $1)
        GROUP BY campaign_id, person_id HAVING count(*) > 1)
     SELECT (SELECT count(*) FROM dup)::int AS violations,
            ARRAY(SELECT r.booking_number
                    FROM (SELECT * FROM dup ORDER BY campaign_id, person_id LIMIT ${EXAMPLES_MAX}) d
                    JOIN reservation r ON r.campaign_id = d.campaign_id AND r.person_id = d.person_id AND r.status = 'confirmed'
                   ORDER BY r.booking_number LIMIT ${EXAMPLES_MAX}) AS examples`,
    [campaignId],
  );
}

/** Dose-1 day → the dose-2 day the campaign's rule gives it (rules/dose-dates.ts), per campaign. */
export interface ExpectedDose2 {
  campaignIds: string[];
  dose1Days: string[];
  dose2Days: string[];
}

/**
 * Every confirmed reservation has its dose 1; it has a dose 2 exactly when its campaign gives two
 * doses; dose 2 is at dose 1's clinic with dose 1's vaccine on the day the rule gives dose 1's
 * day (the map `expected`, computed from rules/dose-dates.ts, not re-derived in SQL) — or on the
 * day a bulk dose-2 move gave it, while dose 1 is still on the day it was moved for; each dose's
 * copied clinic, day and vaccine are its slot's (a leftover dose 1's: its release's), and the slot is of the reservation's campaign
 * and of that dose. One pass over the confirmed reservations with their doses and slots (hash
 * joins: the slot table and the map are small).
 */
export function dose2MatchesDose1(q: Queryable, campaignId: string | null, expected: ExpectedDose2): Promise<CheckCount> {
  return countOf(
    q,
    `WITH expected AS (
       SELECT * FROM unnest($2::text[], $3::date[], $4::date[]) AS e(campaign_id, day1, day2)),
     live AS (
       SELECT r.id, r.booking_number, r.campaign_id, r.clinic_id, c.doses
         FROM reservation r JOIN campaign c ON c.id = r.campaign_id
        WHERE r.status = 'confirmed' AND ($1::text IS NULL OR r.campaign_id = $1)),
     broken AS (
       SELECT l.booking_number AS example
         FROM live l
         LEFT JOIN reservation_dose d1 ON d1.reservation_id = l.id AND d1.dose = 1
         LEFT JOIN slot s1s ON s1s.id = d1.slot_id
         -- A leftover dose 1 (migration 018) has no slot: its release stands for it (dose 1).
         LEFT JOIN leftover_release lr ON lr.id = d1.leftover_release_id
         CROSS JOIN LATERAL (SELECT coalesce(s1s.campaign_id, lr.campaign_id) AS campaign_id, coalesce(s1s.dose, CASE WHEN lr.id IS NOT NULL THEN 1 END) AS dose,
                                    coalesce(s1s.clinic_id, lr.clinic_id) AS clinic_id, coalesce(s1s.day, lr.day) AS day,
                                    coalesce(s1s.vaccine_id, lr.vaccine_id) AS vaccine_id) s1
         LEFT JOIN reservation_dose d2 ON d2.reservation_id = l.id AND d2.dose = 2
         LEFT JOIN slot s2 ON s2.id = d2.slot_id
         LEFT JOIN expected e ON e.campaign_id = l.campaign_id AND e.day1 = s1.day
        WHERE d1.reservation_id IS NULL
           OR (l.doses = 2) <> (d2.reservation_id IS NOT NULL)
           OR s1.campaign_id <> l.campaign_id OR s1.dose <> 1 OR s1.clinic_id <> l.clinic_id
           OR (d1.clinic_id, d1.day, d1.vaccine_id) IS DISTINCT FROM (s1.clinic_id, s1.day, s1.vaccine_id)
           OR (d2.reservation_id IS NOT NULL AND (
                 s2.campaign_id <> l.campaign_id OR s2.dose <> 2
              OR s2.clinic_id <> s1.clinic_id OR s2.vaccine_id <> s1.vaccine_id
              OR (d2.clinic_id, d2.day, d2.vaccine_id) IS DISTINCT FROM (s2.clinic_id, s2.day, s2.vaccine_id)
              -- a dose 2 moved by a bulk move (migrations/019) is right while dose 1 keeps the day it was moved for
              OR (e.day2 IS DISTINCT FROM s2.day AND d2.moved_day1 IS DISTINCT FROM s1.day))))
     ${ANSWER}`,
    [campaignId, expected.campaignIds, expected.dose1Days, expected.dose2Days],
  );
}

/**
 * Per delivery (supply: clinic × vaccine × week): allocated = the capacity of the slots drawing on
 * it, and that is at most the doses delivered (supply's CHECK backs allocated ≤ doses); each slot
 * draws on a delivery of its own campaign, clinic and vaccine. One pass over the slots.
 */
export function supplyAllocated(q: Queryable, campaignId: string | null): Promise<CheckCount> {
  return countOf(
    q,
    `WITH used AS (
       SELECT s.supply_id, sum(s.capacity) AS capacity,
              bool_or(s.campaign_id <> p.campaign_id OR s.clinic_id <> p.clinic_id OR s.vaccine_id <> p.vaccine_id) AS foreign_slot
         FROM slot s JOIN supply p ON p.id = s.supply_id
        WHERE ($1::text IS NULL OR s.campaign_id = $1 OR p.campaign_id = $1)
        GROUP BY s.supply_id),
     broken AS (
       SELECT p.id::text AS example FROM supply p LEFT JOIN used u ON u.supply_id = p.id
        WHERE ($1::text IS NULL OR p.campaign_id = $1 OR u.supply_id IS NOT NULL)
          AND (p.allocated < 0 OR p.allocated > p.doses OR coalesce(u.capacity, 0) > p.doses
               OR coalesce(u.capacity, 0) <> p.allocated OR coalesce(u.foreign_slot, false)))
     ${ANSWER}`,
    [campaignId],
  );
}

/**
 * The waiting room's places as the database records them (queue_person_ticket: a verify-first
 * person's place; queue_checkpoint: the numbers issued so far, written before they are issued):
 * no place (campaign, pre-queue or not, number) held by two people, and none above the
 * checkpoint's count — a restored line would issue that number again. Examples are
 * `campaign:seq` or `campaign:pre:seq`. One pass over queue_person_ticket.
 */
export function passPlaces(q: Queryable, campaignId: string | null): Promise<CheckCount> {
  return countOf(
    q,
    `WITH places AS (
       SELECT campaign_id, pre, seq, count(*) AS holders FROM queue_person_ticket
        WHERE ($1::text IS NULL OR campaign_id = $1)
        GROUP BY campaign_id, pre, seq),
     broken AS (
       SELECT p.campaign_id || ':' || CASE WHEN p.pre THEN 'pre:' ELSE '' END || p.seq AS example
         FROM places p LEFT JOIN queue_checkpoint k ON k.campaign_id = p.campaign_id
        WHERE p.holders > 1 OR k.campaign_id IS NULL
           OR p.seq > CASE WHEN p.pre THEN k.pre_count ELSE k.last_seq END)
     ${ANSWER}`,
    [campaignId],
  );
}

/** A two-dose campaign's dose-2 rule and the dose-1 days it may have bookings on. */
export interface Dose2Rule {
  campaignId: string;
  intervalDays: number;
  blackoutShiftDays: number;
  blackoutDays: string[];
  /** The first and last dose-1 day: the campaign's days, widened to any dose-1 slot outside them. */
  firstDay: string;
  lastDay: string;
}

export async function dose2Rules(q: Queryable, campaignId: string | null): Promise<Dose2Rule[]> {
  const r = await q.query<{ id: string; interval_days: number; shift: number; blackouts: string[] | null; first_day: string; last_day: string }>(
    `SELECT c.id, c.dose2_interval_days AS interval_days, c.blackout_shift_days AS shift,
            ARRAY(SELECT b.day::text FROM campaign_blackout b WHERE b.campaign_id = c.id ORDER BY b.day) AS blackouts,
            least(c.first_shot_day, d.first_day)::text AS first_day, greatest(c.last_shot_day, d.last_day)::text AS last_day
       FROM campaign c
       LEFT JOIN LATERAL (SELECT min(day) AS first_day, max(day) AS last_day FROM slot s WHERE s.campaign_id = c.id AND s.dose = 1) d ON true
      WHERE c.doses = 2 AND ($1::text IS NULL OR c.id = $1)
      ORDER BY c.id`,
    [campaignId],
  );
  return r.rows.map((row) => ({
    campaignId: row.id,
    intervalDays: Number(row.interval_days),
    blackoutShiftDays: Number(row.shift),
    blackoutDays: (row.blackouts ?? []).map(String),
    firstDay: row.first_day,
    lastDay: row.last_day,
  }));
}

/** The campaigns to audit: all, or the one asked for (empty when it does not exist). */
export async function campaignIds(q: Queryable, campaignId: string | null): Promise<string[]> {
  const r = await q.query<{ id: string }>('SELECT id FROM campaign WHERE ($1::text IS NULL OR id = $1) ORDER BY id', [campaignId]);
  return r.rows.map((row) => row.id);
}

/** Cluster-wide: one auditor round at a time (pg_try_advisory_xact_lock; "yeyak" audit, 2). */
export const AUDIT_LOCK_KEY = 0x7965796b_0002;

export async function tryAuditLock(tx: Queryable): Promise<boolean> {
  const r = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [AUDIT_LOCK_KEY]);
  return r.rows[0]?.ok === true;
}

export interface StoredRound {
  ranAt: string;
  node: string;
  report: unknown;
}

export async function readLatestRound(q: Queryable): Promise<StoredRound | null> {
  const r = await q.query<{ ran_at: Date | string; node: string; report: unknown }>('SELECT ran_at, node, report FROM invariant_audit_run WHERE id = 1');
  const row = r.rows[0];
  return row ? { ranAt: new Date(row.ran_at).toISOString(), node: row.node, report: row.report } : null;
}

export async function writeLatestRound(q: Queryable, round: { ranAt: string; node: string; ok: boolean; report: unknown }): Promise<void> {
  await q.query(
    `INSERT INTO invariant_audit_run (id, ran_at, node, ok, report) VALUES (1, $1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET ran_at = excluded.ran_at, node = excluded.node, ok = excluded.ok, report = excluded.report`,
    [round.ranAt, round.node, round.ok, JSON.stringify(round.report)],
  );
}
