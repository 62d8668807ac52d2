/**
 * Opening night of the August 2021 campaign, through HTTP, on a FakeClock: the rotation window for
 * birth days ending in 9 opens at 2021-08-09 20:00 Seoul time — not a second earlier — whatever the
 * process time zone (this file runs under UTC+14, where that instant is already 10 August).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { admit, createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { addDays } from '../../src/rules/time.ts';
import { errorCatalogue, type ErrorCode } from '../../src/core/errors.ts';

const API = '/api/v1';
const CAMPAIGN = 'korea-2021-08';
const BEFORE_OPENING = '2021-08-09T19:59:59+09:00';
const OPENING = '2021-08-09T20:00:00+09:00';

interface WindowView { seq: number; opensAt: string; closesAt: string }
interface Eligibility { eligible: boolean; reasons: string[]; window?: WindowView; nextWindow?: WindowView }
interface Reservation { bookingNumber: string; doses: { dose: number; date: string; clinicId: string }[] }

let t: TestApp;
const originalTz = process.env.TZ;

let serial = 1;
const rrn = (born: string) => syntheticRrn(born, serial++);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const eligibility = async (token: string): Promise<Eligibility> => {
  const res = await t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/eligibility`, headers: bearer(token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Eligibility;
};

// Booking goes through the waiting room first, as a citizen would; before the opening nobody is
// admitted, so the booking is tried without a pass. `admitted`: headers of an earlier admission.
/**
 * Books as a citizen: through the waiting room unless `admitted` headers are given. A verify-first
 * line refuses someone who could not book now at its door, with the answer the booking would give
 * (issue #7): that refusal is returned as the answer.
 */
const book = async (token: string, clinicId: string, date: string, admitted?: Record<string, string> | null) => {
  let headers = admitted;
  if (headers === undefined) {
    const join = await t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, headers: bearer(token) });
    if (join.statusCode !== 201) return join;
    headers = await admit(t, token, CAMPAIGN);
  }
  return t.app.inject({
    method: 'POST',
    url: `${API}/reservations`,
    headers: { ...bearer(token), 'idempotency-key': `korea-${serial}-${date}`, ...(headers ?? {}) },
    payload: { campaignId: CAMPAIGN, clinicId, date },
  });
};

function expectError(res: LightMyRequestResponse, status: number, code: ErrorCode): { details?: Record<string, unknown> } {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json() as { error: { code: string; message: string; details?: Record<string, unknown> } };
  expect(body.error).toMatchObject({ code, message: expect.any(String) });
  expect(errorCatalogue[code].status).toBe(status);
  return body.error;
}

/** A clinic and a date the API offers now: the first clinic of 서울 and its first date. */
async function pickSlot(): Promise<{ clinicId: string; date: string }> {
  const clinics = await t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/clinics?region=11` });
  expect(clinics.statusCode).toBe(200);
  const list = clinics.json() as { id: string; remaining: number }[];
  const clinic = list.find((c) => c.remaining > 0);
  expect(clinic, 'a 서울 clinic with capacity').toBeDefined();
  const dates = await t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/clinics/${clinic?.id}/dates` });
  expect(dates.statusCode).toBe(200);
  const date = (dates.json() as { date: string; remaining: number }[]).find((d) => d.remaining > 0);
  expect(date, 'a date with capacity').toBeDefined();
  return { clinicId: clinic?.id as string, date: date?.date as string };
}

beforeAll(async () => {
  // A zone where 20:00 Seoul is the next calendar day: a local-time bug shows up as a wrong day.
  process.env.TZ = 'Pacific/Kiritimati';
  t = await createTestApp({ scenario: 'korea-2021-08', clinics: 50, now: BEFORE_OPENING });
});

afterAll(async () => {
  await t?.close();
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

// How long seeding takes is measured by `npm run bench:seed`, not asserted here.
it('runs under a process time zone far from Seoul', () => {
  expect(new Date(Date.parse(OPENING)).getTimezoneOffset()).toBe(-14 * 60);
});

it('opens at 20:00:00 sharp: at 19:59:59 WINDOW_NOT_YET_OPEN and no admission (403 PASS_REQUIRED); one second later admitted, eligible and booked', async () => {
  t.clock.set(BEFORE_OPENING);
  const person = rrn('1990-08-19');
  const token = await t.login(person);

  const campaigns = (await t.app.inject({ method: 'GET', url: `${API}/campaigns` })).json() as { id: string; openWindows: WindowView[]; now: string }[];
  const korea = campaigns.find((c) => c.id === CAMPAIGN);
  expect(korea?.now).toBe(BEFORE_OPENING);
  expect(korea?.openWindows).toEqual([]);

  const before = await eligibility(token);
  expect(before.eligible).toBe(false);
  expect(before.reasons).toEqual(['WINDOW_NOT_YET_OPEN']);
  expect(before.nextWindow?.opensAt).toBe(OPENING);
  expect(before.nextWindow?.closesAt).toBe('2021-08-10T18:00:00+09:00');
  expect(before.window).toBeUndefined();

  const slot = await pickSlot();
  // Nobody is admitted before the opening, so the direct link is refused at the gate.
  expectError(await book(token, slot.clinicId, slot.date), 403, 'YEYAK_E_PASS_REQUIRED');
  const none = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reservation');
  expect(none.rows[0]?.n).toBe(0);

  t.clock.advance(1000);
  const after = await eligibility(token);
  expect(after.eligible).toBe(true);
  expect(after.reasons).toEqual([]);
  expect(after.window).toMatchObject({ seq: 1, opensAt: OPENING, closesAt: '2021-08-10T18:00:00+09:00' });
  const open = (await t.app.inject({ method: 'GET', url: `${API}/campaigns` })).json() as { id: string; openWindows: WindowView[]; now: string }[];
  expect(open.find((c) => c.id === CAMPAIGN)?.openWindows.map((w) => w.seq)).toEqual([1]);

  const fresh = await pickSlot();
  const booked = await book(token, fresh.clinicId, fresh.date);
  expect(booked.statusCode, booked.body).toBe(201);
  const r = booked.json() as Reservation;
  expect(r.doses).toEqual([
    { dose: 1, date: fresh.date, clinicId: fresh.clinicId },
    { dose: 2, date: addDays(fresh.date, 42), clinicId: fresh.clinicId },
  ]);
  expect(fresh.date >= '2021-08-26').toBe(true);
  expect((await eligibility(token)).reasons).toEqual(['ALREADY_BOOKED']);
});

describe('at 2021-08-09 20:00:00 only birth days ending in 9 may book', () => {
  it.each([
    { born: '1990-08-09', opensAt: null },
    { born: '1972-01-29', opensAt: null },
    { born: '2003-12-19', opensAt: null },
    { born: '1990-08-11', opensAt: '2021-08-11T20:00:00+09:00' },
    { born: '1995-03-01', opensAt: '2021-08-11T20:00:00+09:00' },
    { born: '1988-10-31', opensAt: '2021-08-11T20:00:00+09:00' },
    { born: '1990-08-10', opensAt: '2021-08-10T20:00:00+09:00' },
    { born: '1990-08-30', opensAt: '2021-08-10T20:00:00+09:00' },
    { born: '1990-08-18', opensAt: '2021-08-18T20:00:00+09:00' },
  ])('born $born → next window $opensAt', async ({ born, opensAt }) => {
    t.clock.set(OPENING);
    const token = await t.login(rrn(born));
    const e = await eligibility(token);
    const slot = await pickSlot();
    if (opensAt === null) {
      expect(e).toMatchObject({ eligible: true, reasons: [], window: { opensAt: OPENING } });
      return;
    }
    expect(e.eligible).toBe(false);
    expect(e.reasons).toEqual(['WINDOW_NOT_YET_OPEN']);
    expect(e.nextWindow?.opensAt).toBe(opensAt);
    const refused = expectError(await book(token, slot.clinicId, slot.date), 403, 'YEYAK_E_WINDOW_CLOSED');
    expect(refused.details).toMatchObject({ nextWindow: { opensAt } });
  });

  it('born outside 1972–2003 → BIRTH_OUT_OF_RANGE even in the matching window; booking → 403 NOT_ELIGIBLE', async () => {
    t.clock.set(OPENING);
    for (const born of ['1971-12-29', '2004-01-09']) {
      const token = await t.login(rrn(born));
      const e = await eligibility(token);
      expect(e).toMatchObject({ eligible: false, reasons: ['BIRTH_OUT_OF_RANGE'] });
      expect(e.nextWindow).toBeUndefined();
      const slot = await pickSlot();
      expectError(await book(token, slot.clinicId, slot.date), 403, 'YEYAK_E_NOT_ELIGIBLE');
    }
  });
});

describe('the window closes at 18:00 the next day', () => {
  it.each([
    { born: '1990-08-29', catchUp: '2021-08-20T20:00:00+09:00' }, // born 1986–2003: catch-up 8/20
    { born: '1980-08-29', catchUp: '2021-08-19T20:00:00+09:00' }, // born 1972–1985: catch-up 8/19
  ])('born $born: eligible at 17:59:59, then WINDOW_NOT_YET_OPEN until the catch-up $catchUp', async ({ born, catchUp }) => {
    const person = rrn(born);
    t.clock.set('2021-08-10T17:59:59+09:00');
    const token = await t.login(person);
    expect(await eligibility(token)).toMatchObject({ eligible: true, window: { seq: 1 } });
    const slot = await pickSlot();
    const admitted = await admit(t, token, CAMPAIGN); // admitted in the last second of the window
    expect(admitted).not.toBeNull();
    t.clock.set('2021-08-10T18:00:00+09:00');
    const e = await eligibility(token);
    expect(e).toMatchObject({ eligible: false, reasons: ['WINDOW_NOT_YET_OPEN'], nextWindow: { opensAt: catchUp } });
    expectError(await book(token, slot.clinicId, slot.date, admitted), 403, 'YEYAK_E_WINDOW_CLOSED');
    // With no window open and the next (for anyone) two hours away, the waiting room is closed too.
    const join = await t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, headers: bearer(token) });
    const closed = expectError(join, 409, 'YEYAK_E_CAMPAIGN_CLOSED');
    expect(closed.details).toEqual({ opensAt: '2021-08-10T20:00:00+09:00', joinFrom: '2021-08-10T19:00:00+09:00' });
  });
});

// Last: the clock only moves forward through this file (the line's controller, like time, does not go back).
describe('the 11 August window', () => {
  it('a person born on the 11th is still refused at 20:00, and can book at 8/11 20:00', async () => {
    t.clock.set(OPENING);
    const person = rrn('1993-05-11');
    const token = await t.login(person);
    expect((await eligibility(token)).nextWindow?.opensAt).toBe('2021-08-11T20:00:00+09:00');
    const slot = await pickSlot();
    expectError(await book(token, slot.clinicId, slot.date), 403, 'YEYAK_E_WINDOW_CLOSED');

    t.clock.set('2021-08-11T19:59:59+09:00');
    const early = await t.login(person);
    expectError(await book(early, slot.clinicId, slot.date), 403, 'YEYAK_E_WINDOW_CLOSED');
    t.clock.set('2021-08-11T20:00:00+09:00');
    const onTime = await t.login(person);
    expect(await eligibility(onTime)).toMatchObject({ eligible: true, window: { opensAt: '2021-08-11T20:00:00+09:00' } });
    const booked = await book(onTime, slot.clinicId, slot.date);
    expect(booked.statusCode, booked.body).toBe(201);
  });
});
