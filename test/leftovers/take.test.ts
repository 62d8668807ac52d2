/**
 * Taking a leftover dose (issue #11): same day, first come; dose 2 as for a regular booking; the
 * regular booking of the campaign replaced in the same transaction; one a day; no proxy; barred
 * after a no-show; a refusal changes nothing.
 */
import { beforeAll, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import type { LeftoverBooking } from '../../src/leftovers/sql.ts';
import { API, bearer, brokenSlots, DAY2, expectError, NOW, onBothStores, reservationState, TODAY, type Citizen, type LeftoverFixture } from './fixture.ts';

type Booking = LeftoverBooking;

const taken = async (f: LeftoverFixture, releaseId: number) =>
  (await f.t.db.query<{ taken: number }>('SELECT taken FROM leftover_release WHERE id = $1', [releaseId])).rows[0]?.taken;

onBothStores('leftover take', (fixture) => {
  let f: LeftoverFixture;
  let clinic: string;
  beforeAll(() => {
    f = fixture();
    clinic = f.clinics[10]?.id as string;
  });

  it('→ 201: dose 1 today at the clinic (no slot: the release), dose 2 on dose2Day at the same clinic; the regular booking cancelled with its units back', async () => {
    const c = await f.citizen();
    const regular = await f.book(c, f.clinics[11]?.id as string, '2026-11-30');
    const before = await reservationState(f.t, regular);
    const releaseId = await f.release(clinic, 2);
    const res = await f.take(c, releaseId);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as Booking;
    expect(body).toEqual({
      bookingNumber: expect.stringMatching(/^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/),
      campaignId: 'demo',
      status: 'confirmed',
      vaccine: 'pfizer',
      doses: [{ dose: 1, date: TODAY, clinicId: clinic }, { dose: 2, date: DAY2, clinicId: clinic }],
      releaseId,
      replacedBookingNumber: regular,
    });
    expect((await reservationState(f.t, regular)).status).toBe('cancelled');
    expect((await reservationState(f.t, regular)).doses).toEqual(before.doses);
    expect((await reservationState(f.t, body.bookingNumber)).doses[0]).toBe(`1:${TODAY}:L${releaseId}`);
    expect(await taken(f, releaseId)).toBe(1);
    expect(await brokenSlots(f.t)).toEqual([]);
    const notices = await f.t.db.query<{ topic: string; payload: Record<string, unknown> }>(
      `SELECT topic, payload FROM outbox WHERE payload->>'personId' = $1 AND topic IN ('leftover.booked', 'reservation.cancelled') ORDER BY id`,
      [String(c.personId)],
    );
    expect(notices.rows).toEqual([
      { topic: 'reservation.cancelled', payload: { personId: c.personId, bookingNumber: regular } },
      { topic: 'leftover.booked', payload: { personId: c.personId, campaignId: 'demo', clinicId: clinic, bookingNumber: body.bookingNumber, day: TODAY, replacedBookingNumber: regular } },
    ]);
    // GET /reservations finds it like any booking of theirs.
    const look = await f.t.app.inject({ method: 'GET', url: `${API}/reservations/${body.bookingNumber}`, headers: bearer(c.token) });
    expect(look.statusCode, look.body).toBe(200);
  });

  it("the clinic sees the leftover dose on today's list and records it as for any dose", async () => {
    const c = await f.citizen();
    const res = await f.take(c, await f.release(clinic, 1));
    expect(res.statusCode, res.body).toBe(201);
    const { bookingNumber } = res.json() as Booking;
    const day = await f.t.app.inject({ method: 'GET', url: `${API}/admin/clinics/${clinic}/reservations?date=${TODAY}`, headers: bearer(TEST_ADMIN_TOKEN) });
    expect(day.statusCode, day.body).toBe(200);
    expect((day.json() as { reservations: { bookingNumber: string; dose: number }[] }).reservations).toContainEqual(expect.objectContaining({ bookingNumber, dose: 1 }));
    const done = await f.t.app.inject({ method: 'PUT', url: `${API}/admin/clinics/${clinic}/doses/${bookingNumber}/1`, headers: bearer(TEST_ADMIN_TOKEN), payload: { outcome: 'administered' } });
    expect(done.statusCode, done.body).toBe(200);
  });

  it('without a regular booking → 201 with replacedBookingNumber null', async () => {
    const c = await f.citizen();
    const res = await f.take(c, await f.release(clinic, 1));
    expect(res.statusCode, res.body).toBe(201);
    expect((res.json() as Booking).replacedBookingNumber).toBeNull();
  });

  it('same Idempotency-Key → the same answer (no second dose); with another release → 409 IDEMPOTENCY_MISMATCH', async () => {
    const c = await f.citizen();
    const releaseId = await f.release(clinic, 3);
    const first = await f.take(c, releaseId, 'leftover-key-1');
    expect(first.statusCode, first.body).toBe(201);
    const again = await f.take(c, releaseId, 'leftover-key-1');
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(await taken(f, releaseId)).toBe(1);
    expectError(await f.take(c, await f.release(clinic, 1), 'leftover-key-1'), 409, 'YEYAK_E_IDEMPOTENCY_MISMATCH');
  });

  it('one a day: a second take (another release, another key) → 409 LEFTOVER_ALREADY_TODAY, nothing taken; two at once → one 201', async () => {
    const c = await f.citizen();
    expect((await f.take(c, await f.release(clinic, 1))).statusCode).toBe(201);
    const other = await f.release(f.clinics[12]?.id as string, 2);
    expectError(await f.take(c, other), 409, 'YEYAK_E_LEFTOVER_ALREADY_TODAY');
    expect(await taken(f, other)).toBe(0);

    const d = await f.citizen();
    const [a, b] = [await f.release(clinic, 1), await f.release(f.clinics[12]?.id as string, 1)];
    const both = await Promise.all([f.take(d, a), f.take(d, b)]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(both.find((r) => r.statusCode === 409)?.json().error.code).toBe('YEYAK_E_LEFTOVER_ALREADY_TODAY');
    expect([await taken(f, a), await taken(f, b)].reduce((n, x) => (n ?? 0) + (x ?? 0), 0)).toBe(1);
  });

  it('no proxy: a body naming someone else → 400 VALIDATION, nothing taken', async () => {
    const c = await f.citizen();
    const releaseId = await f.release(clinic, 1);
    const res = await f.take(c, releaseId, undefined, { onBehalfOf: { name: '홍길동', rrn: '800505-1234567', phone: '010-1234-5678', relationship: 'parent' } });
    expectError(res, 400, 'YEYAK_E_VALIDATION');
    expect(await taken(f, releaseId)).toBe(0);
  });

  it('a no-show recorded by the clinic in the campaign → 403 LEFTOVER_BARRED; the regular booking and the release untouched', async () => {
    const c = await f.citizen();
    const missed = await f.book(c, clinic, '2026-11-28');
    // The clinic records the no-show on its day, through the staff route; then a leftover is released.
    await f.at('2026-11-28T17:00:00+09:00', c);
    try {
      const ns = await f.t.app.inject({ method: 'PUT', url: `${API}/admin/clinics/${clinic}/doses/${missed}/1`, headers: bearer(TEST_ADMIN_TOKEN), payload: { outcome: 'no_show' } });
      expect(ns.statusCode, ns.body).toBe(200);
      const releaseId = await f.release(clinic, 2, '18:00');
      const before = await reservationState(f.t, missed);
      expectError(await f.take(c, releaseId), 403, 'YEYAK_E_LEFTOVER_BARRED');
      expect(await reservationState(f.t, missed)).toEqual(before);
      expect(await taken(f, releaseId)).toBe(0);
    } finally {
      await f.at(NOW);
    }
  });

  it('outside the cohort (born after the demo range) → 403 NOT_ELIGIBLE; the rotation window is not asked', async () => {
    const young = await f.citizen('2008-02-02');
    const releaseId = await f.release(clinic, 1);
    expectError(await f.take(young, releaseId), 403, 'YEYAK_E_NOT_ELIGIBLE');
    expect(await taken(f, releaseId)).toBe(0);
  });

  it('no dose-2 room on dose2Day at the clinic → 409 DOSE2_FULL: the whole take refused, the regular booking and the release as they were', async () => {
    const target = f.clinics[13]?.id as string;
    const c: Citizen = await f.citizen();
    const regular = await f.book(c, f.clinics[14]?.id as string, '2026-12-01');
    const before = await reservationState(f.t, regular);
    const releaseId = await f.release(target, 2);
    const slot = (await f.t.db.query<{ id: number; remaining: number }>(
      `SELECT id, remaining FROM slot WHERE campaign_id = 'demo' AND clinic_id = $1 AND day = $2 AND dose = 2`, [target, DAY2],
    )).rows[0];
    if (!slot) throw new Error('no dose-2 slot');
    // Fill it as bookings would: capacity down to what is booked (the CHECK allows it).
    await f.t.db.query('UPDATE slot SET capacity = capacity - remaining, remaining = 0 WHERE id = $1', [slot.id]);
    try {
      expectError(await f.take(c, releaseId), 409, 'YEYAK_E_DOSE2_FULL');
      expect(await reservationState(f.t, regular)).toEqual(before);
      expect(await taken(f, releaseId)).toBe(0);
      // Nothing left behind: not the key (a retry runs afresh), not the day's take.
      expect((await f.t.db.query('SELECT 1 FROM leftover_take WHERE person_id = $1', [c.personId])).rows).toEqual([]);
    } finally {
      await f.t.db.query('UPDATE slot SET capacity = capacity + $2, remaining = $2 WHERE id = $1', [slot.id, slot.remaining]);
    }
    expect(await brokenSlots(f.t)).toEqual([]);
  });

  it('withdrawn, closed (until passed) or of another day → 409 LEFTOVER_GONE; unknown → 404; no session → 401; no key → 400', async () => {
    const c = await f.citizen();
    const w = await f.release(clinic, 2);
    const del = await f.t.app.inject({ method: 'DELETE', url: `${API}/admin/clinics/${clinic}/leftovers/${w}`, headers: bearer(TEST_ADMIN_TOKEN) });
    expect(del.statusCode, del.body).toBe(200);
    expectError(await f.take(c, w), 409, 'YEYAK_E_LEFTOVER_GONE');
    const closing = await f.release(clinic, 2, '10:20');
    await f.at(`${TODAY}T10:20:00+09:00`);
    try {
      expectError(await f.take(c, closing), 409, 'YEYAK_E_LEFTOVER_GONE');
    } finally {
      await f.at(NOW);
    }
    expectError(await f.take(c, 999_999_999), 404, 'YEYAK_E_LEFTOVER_NOT_FOUND');
    expectError(await f.t.app.inject({ method: 'POST', url: `${API}/leftovers/${w}/reservations`, headers: { 'idempotency-key': 'no-session-1' } }), 401, 'YEYAK_E_UNAUTHENTICATED');
    expectError(await f.t.app.inject({ method: 'POST', url: `${API}/leftovers/${w}/reservations`, headers: bearer(c.token) }), 400, 'YEYAK_E_IDEMPOTENCY_KEY_REQUIRED');
    expect((await f.t.db.query('SELECT 1 FROM reservation WHERE person_id = $1', [c.personId])).rows).toEqual([]);
  });

  it('a regular dose 1 already past → 409 LEFTOVER_DOSE1_GIVEN, the booking kept', async () => {
    const c = await f.citizen();
    const regular = await f.book(c, clinic, '2026-11-28');
    await f.at('2026-11-29T10:00:00+09:00', c);
    try {
      const releaseId = await f.release(clinic, 1);
      expectError(await f.take(c, releaseId), 409, 'YEYAK_E_LEFTOVER_DOSE1_GIVEN');
      expect((await reservationState(f.t, regular)).status).toBe('confirmed');
    } finally {
      await f.at(NOW);
    }
  });
});
