/**
 * The happy flow through HTTP on the demo scenario: campaigns → eligibility → clinics → dates →
 * book → read → change → cancel, with capacity read back from the `slot` table, plus the refusals
 * a person meets on the way (one booking per person, someone else's booking, change/cancel windows,
 * out-of-range birth dates, idempotency).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { addDays, daysBetween, localDay } from '../../src/rules/time.ts';
import { bookingNumberPattern } from '../../src/booking/booking-number.ts';
import { errorCatalogue, type ErrorCode } from '../../src/core/errors.ts';

const API = '/api/v1';
const DAY_MS = 86_400_000;

interface WindowView { seq: number; opensAt: string; closesAt: string }
interface CampaignView {
  id: string;
  timeZone: string;
  birthFrom: string;
  birthTo: string;
  doses: number;
  dose2IntervalDays: number;
  firstShotDay: string;
  lastShotDay: string;
  windows: WindowView[];
  openWindows: WindowView[];
  remainingFirstDoses: number;
}
interface Clinic { id: string; name: string; region: string; district?: string; remaining: number }
interface DateView { date: string; remaining: number }
interface Reservation {
  bookingNumber: string;
  campaignId: string;
  status: 'confirmed' | 'cancelled';
  doses: { dose: number; date: string; clinicId: string }[];
}

let t: TestApp;
let demo: CampaignView;
let today: string;

let serial = 1;
const nextRrn = (birth = '1985-03-14') => syntheticRrn(birth, serial++);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
let keySeq = 0;
const newKey = () => `flow-key-${++keySeq}-${serial}`;

const inject = (opts: InjectOptions) => t.app.inject(opts);

function expectError(res: LightMyRequestResponse, status: number, code: ErrorCode): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json()).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(errorCatalogue[code].status).toBe(status);
}

function book(token: string, body: { campaignId?: string; clinicId: string; date: string }, key = newKey()) {
  return inject({ method: 'POST', url: `${API}/reservations`, headers: { ...bearer(token), 'idempotency-key': key }, payload: { campaignId: 'demo', ...body } });
}
const getReservation = (token: string, n: string) => inject({ method: 'GET', url: `${API}/reservations/${n}`, headers: bearer(token) });
const change = (token: string, n: string, payload: { clinicId?: string; date?: string }) =>
  inject({ method: 'PATCH', url: `${API}/reservations/${n}`, headers: bearer(token), payload });
const cancel = (token: string, n: string) => inject({ method: 'DELETE', url: `${API}/reservations/${n}`, headers: bearer(token) });
const eligibility = (token: string, campaignId = 'demo') => inject({ method: 'GET', url: `${API}/campaigns/${campaignId}/eligibility`, headers: bearer(token) });

/** `remaining` of one slot, read from the store (the source of truth, not the availability view). */
async function remaining(clinicId: string, day: string, dose: 1 | 2): Promise<number> {
  const r = await t.db.query<{ remaining: number }>(
    `SELECT remaining FROM slot WHERE campaign_id = 'demo' AND clinic_id = $1 AND day = $2 AND dose = $3`,
    [clinicId, day, dose],
  );
  expect(r.rows, `slot ${clinicId} ${day} dose ${dose}`).toHaveLength(1);
  return r.rows[0]?.remaining ?? NaN;
}

/** Both doses' remaining for a dose-1 day (dose 2 = day + interval; demo has no blackout days). */
async function pair(clinicId: string, day1: string): Promise<[number, number]> {
  return [await remaining(clinicId, day1, 1), await remaining(clinicId, addDays(day1, demo.dose2IntervalDays), 2)];
}

async function reservationsOf(bookingNumber: string): Promise<number> {
  const r = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reservation WHERE booking_number = $1', [bookingNumber]);
  return r.rows[0]?.n ?? -1;
}

beforeAll(async () => {
  t = await createTestApp();
  const res = await inject({ method: 'GET', url: `${API}/campaigns` });
  const found = (res.json() as CampaignView[]).find((c) => c.id === 'demo');
  if (!found) throw new Error('demo campaign missing');
  demo = found;
  today = localDay(t.clock.now(), demo.timeZone);
});

afterAll(async () => {
  await t?.close();
});

describe('reading the catalogue', () => {
  it('GET /campaigns lists demo with a window open now', async () => {
    const res = await inject({ method: 'GET', url: `${API}/campaigns` });
    expect(res.statusCode).toBe(200);
    const campaigns = res.json() as CampaignView[];
    const d = campaigns.find((c) => c.id === 'demo');
    expect(d).toBeDefined();
    expect(d?.doses).toBe(2);
    expect(d?.dose2IntervalDays).toBe(21);
    expect(d?.openWindows.length).toBeGreaterThanOrEqual(1);
    const now = t.clock.nowMs();
    for (const w of d?.openWindows ?? []) {
      expect(Date.parse(w.opensAt)).toBeLessThanOrEqual(now);
      expect(Date.parse(w.closesAt)).toBeGreaterThan(now);
      expect(w.opensAt).toMatch(/\+09:00$/);
    }
    expect(d?.firstShotDay).toBe(addDays(today, 1));
    expect(d?.remainingFirstDoses).toBeGreaterThan(0);
  });

  it('eligibility: a person in range is eligible with the open window', async () => {
    const res = await eligibility(await t.login(nextRrn()));
    expect(res.statusCode).toBe(200);
    const body = res.json() as { eligible: boolean; reasons: string[]; window?: WindowView };
    expect(body.eligible).toBe(true);
    expect(body.reasons).toEqual([]);
    expect(body.window?.seq).toBe(demo.openWindows[0]?.seq);
  });

  it('clinics: all, and ?region=11 returns exactly the 서울 (11) clinics', async () => {
    const all = await inject({ method: 'GET', url: `${API}/campaigns/demo/clinics` });
    expect(all.statusCode).toBe(200);
    const clinics = all.json() as Clinic[];
    expect(clinics.length).toBe(300);
    expect(new Set(clinics.map((c) => c.id)).size).toBe(clinics.length);
    for (const c of clinics) {
      expect(c).toEqual(expect.objectContaining({ id: expect.any(String), name: expect.any(String), region: expect.stringMatching(/^\d{2}$/), remaining: expect.any(Number) }));
      expect(c.remaining).toBeGreaterThan(0);
    }
    const seoul = await inject({ method: 'GET', url: `${API}/campaigns/demo/clinics?region=11` });
    expect(seoul.statusCode).toBe(200);
    const seoulClinics = seoul.json() as Clinic[];
    expect(seoulClinics.length).toBeGreaterThan(0);
    expect(seoulClinics.every((c) => c.region === '11')).toBe(true);
    expect(seoulClinics.map((c) => c.id).sort()).toEqual(clinics.filter((c) => c.region === '11').map((c) => c.id).sort());
    expect(seoulClinics.length).toBeLessThan(clinics.length);

    // A 시/군/구 code narrows further.
    const district = seoulClinics[0]?.district as string;
    const one = await inject({ method: 'GET', url: `${API}/campaigns/demo/clinics?region=${district}` });
    expect(one.statusCode).toBe(200);
    const inDistrict = one.json() as Clinic[];
    expect(inDistrict.length).toBeGreaterThan(0);
    expect(inDistrict.every((c) => c.district === district && c.region === '11')).toBe(true);
  });

  it('dates: tomorrow … lastShotDay, ascending, with remaining', async () => {
    const res = await inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/C000010/dates` });
    expect(res.statusCode).toBe(200);
    const dates = res.json() as DateView[];
    expect(dates[0]?.date).toBe(addDays(today, 1));
    expect(dates.at(-1)?.date).toBe(demo.lastShotDay);
    expect(dates).toHaveLength(daysBetween(demo.firstShotDay, demo.lastShotDay) + 1);
    for (let i = 1; i < dates.length; i++) expect((dates[i] as DateView).date > (dates[i - 1] as DateView).date).toBe(true);
    for (const d of dates) expect(d.remaining).toBeGreaterThan(0);
  });
});

describe('book → read → change → cancel', () => {
  it('walks the whole life of a reservation, capacity following in the store', async () => {
    const token = await t.login(nextRrn());
    const clinicId = 'C000011';
    const dates = (await inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/${clinicId}/dates` })).json() as DateView[];
    const day1 = (dates[0] as DateView).date;
    const day1b = (dates[4] as DateView).date;
    const [before1, before2] = await pair(clinicId, day1);

    // Book: 201, two doses 21 days apart at the same clinic.
    const booked = await book(token, { clinicId, date: day1 });
    expect(booked.statusCode, booked.body).toBe(201);
    const r = booked.json() as Reservation;
    expect(r.bookingNumber).toMatch(new RegExp(bookingNumberPattern));
    expect(r.doses).toEqual([
      { dose: 1, date: day1, clinicId },
      { dose: 2, date: addDays(day1, 21), clinicId },
    ]);
    expect(daysBetween(r.doses[0]?.date as string, r.doses[1]?.date as string)).toBe(demo.dose2IntervalDays);
    expect(await pair(clinicId, day1)).toEqual([before1 - 1, before2 - 1]);

    // Read it back.
    const got = await getReservation(token, r.bookingNumber);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ bookingNumber: r.bookingNumber, campaignId: 'demo', status: 'confirmed', doses: r.doses });
    // The holder is shown with the RRN masked: birth date and the 7th digit only.
    expect(got.json().person.rrnMasked).toMatch(/^\d{6}-[0-9]\*{6}$/);

    // Eligibility now says ALREADY_BOOKED and points at the booking.
    const e = (await eligibility(token)).json() as { eligible: boolean; reasons: string[]; bookingNumber?: string };
    expect(e).toMatchObject({ eligible: false, reasons: ['ALREADY_BOOKED'], bookingNumber: r.bookingNumber });

    // One reservation per person: a second booking (other day, other clinic, new key) is refused.
    const [other1, other2] = await pair('C000012', day1b);
    expectError(await book(token, { clinicId: 'C000012', date: day1b }), 409, 'YEYAK_E_ALREADY_BOOKED');
    expect(await pair('C000012', day1b)).toEqual([other1, other2]);

    // Change the date: the old slots go back up, the new ones down, atomically.
    const [b1, b2] = await pair(clinicId, day1b);
    const changed = await change(token, r.bookingNumber, { date: day1b });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({
      bookingNumber: r.bookingNumber,
      status: 'confirmed',
      doses: [{ dose: 1, date: day1b, clinicId }, { dose: 2, date: addDays(day1b, 21), clinicId }],
    });
    expect(await pair(clinicId, day1)).toEqual([before1, before2]);
    expect(await pair(clinicId, day1b)).toEqual([b1 - 1, b2 - 1]);
    expect((await getReservation(token, r.bookingNumber)).json()).toMatchObject({ doses: [{ date: day1b }, { date: addDays(day1b, 21) }] });

    // Change the clinic (same date): capacity moves between clinics.
    const [c1, c2] = await pair('C000013', day1b);
    const moved = await change(token, r.bookingNumber, { clinicId: 'C000013' });
    expect(moved.statusCode, moved.body).toBe(200);
    expect((moved.json() as Reservation).doses.map((d) => d.clinicId)).toEqual(['C000013', 'C000013']);
    expect(await pair(clinicId, day1b)).toEqual([b1, b2]);
    expect(await pair('C000013', day1b)).toEqual([c1 - 1, c2 - 1]);

    // Cancel: capacity returns.
    const cancelled = await cancel(token, r.bookingNumber);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toEqual({ bookingNumber: r.bookingNumber, status: 'cancelled' });
    expect(await pair('C000013', day1b)).toEqual([c1, c2]);
    expect((await getReservation(token, r.bookingNumber)).json()).toMatchObject({ status: 'cancelled' });

    // Cancel again, or change a cancelled booking: 409, and capacity does not move.
    expectError(await cancel(token, r.bookingNumber), 409, 'YEYAK_E_RESERVATION_CANCELLED');
    expectError(await change(token, r.bookingNumber, { date: day1 }), 409, 'YEYAK_E_RESERVATION_CANCELLED');
    expect(await pair('C000013', day1b)).toEqual([c1, c2]);
    expect(await pair(clinicId, day1)).toEqual([before1, before2]);

    // After cancelling, the person may book again.
    expect((await eligibility(token)).json()).toMatchObject({ eligible: true, reasons: [] });
    const again = await book(token, { clinicId, date: day1 });
    expect(again.statusCode, again.body).toBe(201);
    expect((again.json() as Reservation).bookingNumber).not.toBe(r.bookingNumber);
  });

  it('the availability view follows the store: clinic and date remaining drop after a booking', async () => {
    const token = await t.login(nextRrn());
    const clinicId = 'C000014';
    const url = `${API}/campaigns/demo/clinics/${clinicId}/dates`;
    const day = ((await inject({ method: 'GET', url })).json() as DateView[])[2]?.date as string;
    const dateRemaining = async () => ((await inject({ method: 'GET', url })).json() as DateView[]).find((d) => d.date === day)?.remaining;
    const before = await dateRemaining();
    expect((await book(token, { clinicId, date: day })).statusCode).toBe(201);
    await expect.poll(dateRemaining, { timeout: 10_000, interval: 50 }).toBe((before as number) - 1);
  });

  it("another person can neither read, change nor cancel someone else's booking (404)", async () => {
    const owner = await t.login(nextRrn());
    const stranger = await t.login(nextRrn());
    const clinicId = 'C000015';
    const day = addDays(today, 3);
    const booked = await book(owner, { clinicId, date: day });
    expect(booked.statusCode).toBe(201);
    const n = (booked.json() as Reservation).bookingNumber;
    const capacity = await pair(clinicId, day);

    expectError(await getReservation(stranger, n), 404, 'YEYAK_E_RESERVATION_NOT_FOUND');
    expectError(await change(stranger, n, { date: addDays(day, 1) }), 404, 'YEYAK_E_RESERVATION_NOT_FOUND');
    expectError(await cancel(stranger, n), 404, 'YEYAK_E_RESERVATION_NOT_FOUND');

    expect(await pair(clinicId, day)).toEqual(capacity);
    const mine = await getReservation(owner, n);
    expect(mine.json()).toMatchObject({ status: 'confirmed', doses: [{ date: day, clinicId }, { date: addDays(day, 21), clinicId }] });
  });
});

describe('change and cancel windows (demo: changeFreezeDays 1, cancelUntilDays 1)', () => {
  it('on the shot day: change → CHANGE_TOO_LATE, cancel → CANCEL_TOO_LATE; the day before both are still allowed', async () => {
    const start = t.clock.nowMs();
    const rrnSoon = nextRrn();
    const rrnLater = nextRrn();
    const rrnLatest = nextRrn();
    const soonDay = addDays(today, 1); // the shot is tomorrow: today after the clock moves
    const laterDay = addDays(today, 2); // the day after tomorrow: tomorrow after the clock moves
    const soon = await book(await t.login(rrnSoon), { clinicId: 'C000016', date: soonDay });
    const later = await book(await t.login(rrnLater), { clinicId: 'C000016', date: laterDay });
    const latest = await book(await t.login(rrnLatest), { clinicId: 'C000016', date: laterDay });
    expect([soon.statusCode, later.statusCode, latest.statusCode]).toEqual([201, 201, 201]);
    const soonN = (soon.json() as Reservation).bookingNumber;
    try {
      t.clock.advance(DAY_MS); // sessions (30 min) expire: log in again
      const soonToken = await t.login(rrnSoon);
      const capacity = [await pair('C000016', soonDay), await pair('C000016', addDays(today, 4))];

      expectError(await change(soonToken, soonN, { date: addDays(today, 4) }), 409, 'YEYAK_E_CHANGE_TOO_LATE');
      expectError(await cancel(soonToken, soonN), 409, 'YEYAK_E_CANCEL_TOO_LATE');
      expect([await pair('C000016', soonDay), await pair('C000016', addDays(today, 4))]).toEqual(capacity);
      expect((await getReservation(soonToken, soonN)).json()).toMatchObject({ status: 'confirmed', doses: [{ date: soonDay }, { date: addDays(soonDay, 21) }] });

      // Shot tomorrow (1 day ahead): not within the freeze, not past "until 1 day before".
      const laterToken = await t.login(rrnLater);
      const changed = await change(laterToken, (later.json() as Reservation).bookingNumber, { date: addDays(today, 4) });
      expect(changed.statusCode, changed.body).toBe(200);
      const latestToken = await t.login(rrnLatest);
      const cancelled = await cancel(latestToken, (latest.json() as Reservation).bookingNumber);
      expect(cancelled.statusCode, cancelled.body).toBe(200);

      // Moving a booking onto the (new) today is refused as well: dose 1 is bookable from tomorrow.
      const moveIn = await change(laterToken, (later.json() as Reservation).bookingNumber, { date: addDays(today, 1) });
      expectError(moveIn, 409, 'YEYAK_E_DATE_NOT_OFFERED');

      t.clock.advance(DAY_MS * 2); // past the shot: still frozen
      const pastToken = await t.login(rrnSoon);
      expectError(await change(pastToken, soonN, { date: addDays(today, 6) }), 409, 'YEYAK_E_CHANGE_TOO_LATE');
      expectError(await cancel(pastToken, soonN), 409, 'YEYAK_E_CANCEL_TOO_LATE');
    } finally {
      t.clock.set(start);
    }
  });
});

describe('eligibility by birth date', () => {
  it.each([
    { born: '1930-06-15', why: 'before birthFrom (1940-01-01)' },
    { born: '1939-12-31', why: 'the day before birthFrom' },
    { born: '2006-01-01', why: 'the day after birthTo (2005-12-31)' },
  ])('born $born ($why): eligible false with BIRTH_OUT_OF_RANGE; booking → 403 NOT_ELIGIBLE', async ({ born }) => {
    const token = await t.login(nextRrn(born));
    const e = await eligibility(token);
    expect(e.statusCode).toBe(200);
    const body = e.json() as { eligible: boolean; reasons: string[]; window?: unknown; nextWindow?: unknown };
    expect(body.eligible).toBe(false);
    expect(body.reasons).toEqual(['BIRTH_OUT_OF_RANGE']);
    expect(body.nextWindow).toBeUndefined();
    const capacity = await pair('C000017', addDays(today, 2));
    expectError(await book(token, { clinicId: 'C000017', date: addDays(today, 2) }), 403, 'YEYAK_E_NOT_ELIGIBLE');
    expect(await pair('C000017', addDays(today, 2))).toEqual(capacity);
  });

  it.each(['1940-01-01', '2005-12-31'])('born %s (a range bound) is eligible and can book', async (born) => {
    const token = await t.login(nextRrn(born));
    expect((await eligibility(token)).json()).toMatchObject({ eligible: true, reasons: [] });
    expect((await book(token, { clinicId: 'C000018', date: addDays(today, 2) })).statusCode).toBe(201);
  });
});

describe('idempotency over HTTP', () => {
  it('same key + same body → the same 201 body, one reservation, capacity taken once', async () => {
    const token = await t.login(nextRrn());
    const clinicId = 'C000019';
    const day = addDays(today, 5);
    const key = 'idem-same-body-0001';
    const capacity = await pair(clinicId, day);
    const first = await book(token, { clinicId, date: day }, key);
    expect(first.statusCode, first.body).toBe(201);
    const second = await book(token, { clinicId, date: day }, key);
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json()).toEqual(first.json());
    const n = (first.json() as Reservation).bookingNumber;
    expect(await reservationsOf(n)).toBe(1);
    expect(await pair(clinicId, day)).toEqual([capacity[0] - 1, capacity[1] - 1]);
  });

  it('same key + different body → 409 IDEMPOTENCY_MISMATCH, nothing booked twice', async () => {
    const token = await t.login(nextRrn());
    const clinicId = 'C000020';
    const day = addDays(today, 5);
    const key = 'idem-diff-body-0001';
    const first = await book(token, { clinicId, date: day }, key);
    expect(first.statusCode).toBe(201);
    const capacity = [await pair(clinicId, addDays(day, 1)), await pair('C000021', day)];
    expectError(await book(token, { clinicId, date: addDays(day, 1) }, key), 409, 'YEYAK_E_IDEMPOTENCY_MISMATCH');
    expectError(await book(token, { clinicId: 'C000021', date: day }, key), 409, 'YEYAK_E_IDEMPOTENCY_MISMATCH');
    expect([await pair(clinicId, addDays(day, 1)), await pair('C000021', day)]).toEqual(capacity);
    // The original request still replays.
    expect((await book(token, { clinicId, date: day }, key)).json()).toEqual(first.json());
  });

  it('identical requests sent at once → one booking, every answer the same 201', async () => {
    const token = await t.login(nextRrn());
    const clinicId = 'C000022';
    const day = addDays(today, 6);
    const capacity = await pair(clinicId, day);
    const answers = await Promise.all(Array.from({ length: 5 }, () => book(token, { clinicId, date: day }, 'idem-concurrent-0001')));
    for (const a of answers) expect(a.statusCode, a.body).toBe(201);
    const numbers = new Set(answers.map((a) => (a.json() as Reservation).bookingNumber));
    expect(numbers.size).toBe(1);
    expect(await pair(clinicId, day)).toEqual([capacity[0] - 1, capacity[1] - 1]);
  });

  it("keys are per person: another person's identical key and body is their own booking", async () => {
    const a = await t.login(nextRrn());
    const b = await t.login(nextRrn());
    const body = { clinicId: 'C000023', date: addDays(today, 6) };
    const ra = await book(a, body, 'idem-shared-key-0001');
    const rb = await book(b, body, 'idem-shared-key-0001');
    expect([ra.statusCode, rb.statusCode]).toEqual([201, 201]);
    const na = (ra.json() as Reservation).bookingNumber;
    const nb = (rb.json() as Reservation).bookingNumber;
    expect(na).not.toBe(nb);
    expect((await getReservation(b, nb)).statusCode).toBe(200);
    expect((await getReservation(b, na)).statusCode).toBe(404);
  });
});
