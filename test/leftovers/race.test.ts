/**
 * Issue #11, the hot leftover: 300 people, each holding a regular booking, tap the same clinic's
 * 3 doses at once (started together by a deferred gate) → exactly 3 win; the 297 others get 409
 * LEFTOVER_GONE and their regular bookings are exactly as they were; the winners' regular
 * bookings are cancelled with their units back (booked + remaining = capacity on every slot).
 * On PostgreSQL the takes run on the pool's 20 connections at once.
 */
import { beforeAll, expect, it } from 'vitest';
import { deferred } from '../helpers/app.ts';
import { runAudit } from '../../src/operations/audit.ts';
import { brokenSlots, onBothStores, reservationState, type Citizen, type LeftoverFixture } from './fixture.ts';

const TAKERS = 300;
const DOSES = 3;
const BOOKING_CHUNK = 50;

onBothStores('leftover race', (fixture) => {
  let f: LeftoverFixture;
  beforeAll(() => {
    f = fixture();
  });

  it(`${DOSES} doses, ${TAKERS} takers at once → exactly ${DOSES} winners, every loser's regular booking untouched`, async () => {
    const target = f.clinics[0]?.id as string;
    // Regular bookings at other clinics, spread over days with room (dose 1 and its dose 2).
    const slots = (await f.t.db.query<{ clinic_id: string; day: string }>(
      `SELECT clinic_id, day FROM slot WHERE campaign_id = 'demo' AND dose = 1 AND clinic_id <> $1 AND day >= '2026-11-28' AND remaining >= 5
        ORDER BY day, clinic_id LIMIT $2`,
      [target, TAKERS],
    )).rows;
    expect(slots.length).toBe(TAKERS);
    const people: { citizen: Citizen; regular: string }[] = [];
    for (let i = 0; i < TAKERS; i += BOOKING_CHUNK) {
      const chunk = await Promise.all(
        slots.slice(i, i + BOOKING_CHUNK).map(async (s) => {
          const citizen = await f.citizen();
          return { citizen, regular: await f.book(citizen, s.clinic_id, s.day) };
        }),
      );
      people.push(...chunk);
    }
    const before = new Map(await Promise.all(people.map(async (p) => [p.regular, await reservationState(f.t, p.regular)] as const)));
    const releaseId = await f.release(target, DOSES);

    const gate = deferred();
    const answers = people.map(async (p, i) => {
      await gate.promise;
      return f.take(p.citizen, releaseId, `hot-leftover-${i}`);
    });
    gate.resolve();
    const done = await Promise.all(answers);

    expect(done.filter((r) => r.statusCode >= 500)).toEqual([]);
    const winners = people.filter((_, i) => done[i]?.statusCode === 201);
    expect(winners).toHaveLength(DOSES);
    done.forEach((r, i) => {
      if (r.statusCode === 201) {
        expect(r.json().replacedBookingNumber).toBe(people[i]?.regular);
      } else {
        expect(r.statusCode, r.body).toBe(409);
        expect(r.json().error.code).toBe('YEYAK_E_LEFTOVER_GONE');
      }
    });
    const winnerRegulars = new Set(winners.map((w) => w.regular));
    for (const p of people) {
      const now = await reservationState(f.t, p.regular);
      if (winnerRegulars.has(p.regular)) expect(now).toEqual({ ...before.get(p.regular), status: 'cancelled' });
      else expect(now).toEqual(before.get(p.regular));
    }
    expect(await brokenSlots(f.t)).toEqual([]);
    const release = (await f.t.db.query<{ taken: number }>('SELECT taken FROM leftover_release WHERE id = $1', [releaseId])).rows[0];
    expect(release?.taken).toBe(DOSES);
    const leftoverDoses = await f.t.db.query<{ person_id: string }>(
      `SELECT r.person_id::text FROM reservation_dose d JOIN reservation r ON r.id = d.reservation_id
        WHERE d.leftover_release_id = $1 AND r.status = 'confirmed' ORDER BY 1`,
      [releaseId],
    );
    expect(leftoverDoses.rows.map((r) => r.person_id)).toEqual(winners.map((w) => String(w.citizen.personId)).sort());
    // Notices: the winners' only — one leftover.booked and one reservation.cancelled each.
    const notices = await f.t.db.query<{ topic: string; person: string }>(
      `SELECT topic, payload->>'personId' AS person FROM outbox
        WHERE topic IN ('leftover.booked', 'reservation.cancelled') AND (payload->>'personId')::bigint = ANY ($1::bigint[]) ORDER BY 2, 1`,
      [people.map((p) => p.citizen.personId)],
    );
    expect(notices.rows).toEqual(
      winners
        .map((w) => String(w.citizen.personId))
        .sort()
        .flatMap((person) => [{ topic: 'leftover.booked', person }, { topic: 'reservation.cancelled', person }]),
    );
    // The invariant auditor (operations/audit.ts) agrees: leftover doses included.
    const audit = await runAudit(f.t.db, { campaignId: 'demo' });
    expect(audit.checks.filter((c) => !c.ok).map((c) => [c.check, c.examples])).toEqual([]);
    // Every loser may still take another release: nothing of theirs (not the day's take) was kept.
    const loser = people.find((p) => !winnerRegulars.has(p.regular)) as (typeof people)[number];
    const next = await f.take(loser.citizen, await f.release(f.clinics[1]?.id as string, 1));
    expect(next.statusCode, next.body).toBe(201);
  }, 300_000);
});
