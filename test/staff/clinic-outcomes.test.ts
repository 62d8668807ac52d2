/**
 * Dose outcomes (issue #9): clinic staff mark a dose administered or no-show, on its day (Korea)
 * or later, in one conditional statement with its audit row. The rule: a first outcome is either;
 * no_show may be corrected to administered; administered never becomes no_show (409); the same
 * outcome again answers what is stored. Another clinic's staff get 403, and a dose that is not at
 * this clinic is 404 — a clinic learns nothing of other clinics' bookings.
 */
import { beforeAll, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { API, bearer, expectError, koreaTime, onBothStores, sentTogether, type ClinicFixture } from './clinic-fixture.ts';

type Booked = { bookingNumber: string; personId: number };
interface AuditRow { actor: string; action: string; reservation_id: number; person_id: number; detail: Record<string, unknown> }

onBothStores('dose outcomes', (fixture) => {
  let f: ClinicFixture;
  // Booked at `own` on the first day (tomorrow when booked; the clock then moves to that day).
  let a: Booked, b: Booked, c: Booked, d: Booked, e: Booked, g: Booked, h: Booked, i: Booked;
  let elsewhere: Booked; // at the other clinic, the same day
  let later: Booked; // at `own`, the day after

  beforeAll(async () => {
    f = fixture();
    const [day1, day2] = f.dates as [string, string];
    const booked: Booked[] = [];
    for (let n = 0; n < 8; n++) booked.push(await f.book(f.own, day1));
    [a, b, c, d, e, g, h, i] = booked as [Booked, Booked, Booked, Booked, Booked, Booked, Booked, Booked];
    elsewhere = await f.book(f.other, day1);
    later = await f.book(f.own, day2);
    f.t.clock.set(koreaTime(day1, '09:30'));
  });

  const put = (bookingNumber: string, outcome: string, opts: { dose?: number; token?: string; clinicId?: string } = {}) =>
    f.t.app.inject({
      method: 'PUT',
      url: `${API}/admin/clinics/${opts.clinicId ?? f.own}/doses/${bookingNumber}/${opts.dose ?? 1}`,
      headers: bearer(opts.token ?? f.clinicStaff.token),
      payload: { outcome },
    });

  const audit = async (bookingNumber: string): Promise<AuditRow[]> =>
    (await f.t.db.query<AuditRow>(
      `SELECT a.actor, a.action, a.reservation_id, a.person_id, a.detail FROM audit_log a JOIN reservation r ON r.id = a.reservation_id
        WHERE r.booking_number = $1 AND a.action LIKE 'dose\\_%' ORDER BY a.id`,
      [bookingNumber],
    )).rows;

  const stored = async (bookingNumber: string, dose = 1) =>
    (await f.t.db.query<{ outcome: string; corrected_from: string | null }>(
      `SELECT o.outcome, o.corrected_from FROM dose_outcome o JOIN reservation r ON r.id = o.reservation_id WHERE r.booking_number = $1 AND o.dose = $2`,
      [bookingNumber, dose],
    )).rows[0] ?? null;

  it('administered → 200, the dose_outcome row and its audit row (actor, action, reservation, person, staff)', async () => {
    const res = await put(a.bookingNumber, 'administered');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      bookingNumber: a.bookingNumber, dose: 1, outcome: 'administered', correctedFrom: null,
      recordedAt: f.t.clock.now().toISOString(), recordedBy: '보건소 김간호사',
    });
    expect(await stored(a.bookingNumber)).toEqual({ outcome: 'administered', corrected_from: null });
    const rows = await audit(a.bookingNumber);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: `staff:${f.clinicStaff.id}`, action: 'dose_administered', person_id: a.personId });
    expect(rows[0]?.detail).toMatchObject({ dose: 1, clinicId: f.own, staff: { staffId: f.clinicStaff.id, name: '보건소 김간호사' } });
  });

  it("the day's list carries each dose's outcome (null until recorded)", async () => {
    expect((await put(b.bookingNumber, 'no_show')).statusCode).toBe(200);
    const res = await f.t.app.inject({ method: 'GET', url: `${API}/admin/clinics/${f.own}/reservations`, headers: bearer(f.clinicStaff.token) });
    expect(res.statusCode, res.body).toBe(200);
    const list = (res.json() as { reservations: { bookingNumber: string; dose: number; outcome: string | null }[] }).reservations;
    const outcomeOf = (n: string) => list.find((r) => r.bookingNumber === n && r.dose === 1)?.outcome;
    expect([outcomeOf(a.bookingNumber), outcomeOf(b.bookingNumber), outcomeOf(c.bookingNumber)]).toEqual(['administered', 'no_show', null]);
  });

  it('no_show twice → 200 both, the same record, one audit row (idempotent)', async () => {
    const first = await put(c.bookingNumber, 'no_show');
    f.t.clock.advance(60_000);
    const again = await put(c.bookingNumber, 'no_show');
    expect(first.statusCode, first.body).toBe(200);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect((await audit(c.bookingNumber)).map((r) => r.action)).toEqual(['dose_no_show']);
  });

  it('no_show corrected to administered → 200 correctedFrom no_show, a second audit row; administered → no_show → 409, unchanged', async () => {
    expect((await put(d.bookingNumber, 'no_show')).statusCode).toBe(200);
    const corrected = await put(d.bookingNumber, 'administered');
    expect(corrected.statusCode, corrected.body).toBe(200);
    expect(corrected.json()).toMatchObject({ outcome: 'administered', correctedFrom: 'no_show' });
    expectError(await put(d.bookingNumber, 'no_show'), 409, 'YEYAK_E_DOSE_ALREADY_ADMINISTERED');
    expect(await stored(d.bookingNumber)).toEqual({ outcome: 'administered', corrected_from: 'no_show' });
    const rows = await audit(d.bookingNumber);
    expect(rows.map((r) => r.action)).toEqual(['dose_no_show', 'dose_administered']);
    expect(rows[1]?.detail).toMatchObject({ correctedFrom: 'no_show' });
    // administered again: the stored record, nothing new.
    expect((await put(d.bookingNumber, 'administered')).json()).toEqual(corrected.json());
    expect(await audit(d.bookingNumber)).toHaveLength(2);
  });

  it('a future dose → 409 DOSE_NOT_DUE (the next day, and dose 2), nothing recorded; on its day it is accepted', async () => {
    expectError(await put(later.bookingNumber, 'administered'), 409, 'YEYAK_E_DOSE_NOT_DUE');
    expectError(await put(a.bookingNumber, 'administered', { dose: 2 }), 409, 'YEYAK_E_DOSE_NOT_DUE');
    expect(await stored(later.bookingNumber)).toBeNull();
    expect(await stored(a.bookingNumber, 2)).toBeNull();
    expect(await audit(later.bookingNumber)).toEqual([]);
    // 23:59 on the first day is still not the second; midnight in Korea is.
    f.t.clock.set(koreaTime(f.dates[0] as string, '23:59'));
    expectError(await put(later.bookingNumber, 'no_show'), 409, 'YEYAK_E_DOSE_NOT_DUE');
    f.t.clock.set(koreaTime(f.dates[1] as string, '00:00'));
    expect((await put(later.bookingNumber, 'no_show')).statusCode).toBe(200);
    // An earlier day's dose can still be recorded afterwards.
    expect((await put(e.bookingNumber, 'administered')).statusCode).toBe(200);
  });

  it("another clinic's staff → 403, nothing recorded; this clinic's path with another clinic's booking → 404", async () => {
    expectError(await put(g.bookingNumber, 'no_show', { token: f.otherClinicStaff.token }), 403, 'YEYAK_E_FORBIDDEN');
    expect(await stored(g.bookingNumber)).toBeNull();
    // The other clinic's staff on their own path, naming our booking: not theirs → 404, as for a made-up number.
    expectError(await put(g.bookingNumber, 'no_show', { token: f.otherClinicStaff.token, clinicId: f.other }), 404, 'YEYAK_E_RESERVATION_NOT_FOUND');
    expectError(await put(elsewhere.bookingNumber, 'no_show'), 404, 'YEYAK_E_RESERVATION_NOT_FOUND');
    expectError(await put('ZZZZ-ZZZZ-ZZZZ', 'no_show'), 404, 'YEYAK_E_RESERVATION_NOT_FOUND');
    expect(await stored(elsewhere.bookingNumber)).toBeNull();
  });

  it('bad input → 400: an unknown outcome, dose 3, an extra field', async () => {
    expectError(await put(g.bookingNumber, 'late'), 400, 'YEYAK_E_VALIDATION');
    expectError(await put(g.bookingNumber, 'administered', { dose: 3 }), 400, 'YEYAK_E_VALIDATION');
    const extra = await f.t.app.inject({
      method: 'PUT', url: `${API}/admin/clinics/${f.own}/doses/${g.bookingNumber}/1`, headers: bearer(f.clinicStaff.token), payload: { outcome: 'no_show', note: 'x' },
    });
    expectError(extra, 400, 'YEYAK_E_VALIDATION');
  });

  it('an operator may record; the audit actor is the admin token', async () => {
    const res = await put(g.bookingNumber, 'administered', { token: TEST_ADMIN_TOKEN });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ recordedBy: 'YEYAK_ADMIN_TOKEN' });
    expect((await audit(g.bookingNumber))[0]).toMatchObject({ actor: 'staff:admin-token', action: 'dose_administered' });
  });

  it('a no-show stays queryable per person and campaign (what the next issue bars from leftover booking)', async () => {
    const r = await f.t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM dose_outcome WHERE campaign_id = 'demo' AND person_id = $1 AND outcome = 'no_show'`,
      [c.personId],
    );
    expect(r.rows[0]?.n).toBe(1);
    const corrected = await f.t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM dose_outcome WHERE campaign_id = 'demo' AND person_id = $1 AND outcome = 'no_show'`,
      [d.personId],
    );
    expect(corrected.rows[0]?.n).toBe(0);
  });

  /** Two PUTs of one dose, both statements sent before either runs. */
  const race = (bookingNumber: string, outcomes: [string, string]) =>
    sentTogether(f.t, 'INSERT INTO dose_outcome', outcomes.map((o) => () => put(bookingNumber, o)));

  it('two concurrent PUTs (administered, no_show) end administered; answers and audit rows agree with one serial order', async () => {
    const [admin, noShow] = await race(h.bookingNumber, ['administered', 'no_show']);
    expect(admin?.statusCode, admin?.body).toBe(200);
    expect(await stored(h.bookingNumber)).toMatchObject({ outcome: 'administered' });
    const actions = (await audit(h.bookingNumber)).map((r) => r.action);
    if (noShow?.statusCode === 200) {
      // no_show first, then corrected by the administered.
      expect(actions).toEqual(['dose_no_show', 'dose_administered']);
      expect(admin?.json()).toMatchObject({ correctedFrom: 'no_show' });
    } else {
      expectError(noShow as NonNullable<typeof noShow>, 409, 'YEYAK_E_DOSE_ALREADY_ADMINISTERED');
      expect(actions).toEqual(['dose_administered']);
    }
  });

  it('two concurrent no_show PUTs → both 200 with the same record, one row, one audit row', async () => {
    const [one, two] = await race(i.bookingNumber, ['no_show', 'no_show']);
    expect(one?.statusCode, one?.body).toBe(200);
    expect(two?.statusCode, two?.body).toBe(200);
    expect(one?.json()).toEqual(two?.json());
    expect((await audit(i.bookingNumber)).map((r) => r.action)).toEqual(['dose_no_show']);
  });
});
