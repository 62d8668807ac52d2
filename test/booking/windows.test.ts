/**
 * The change and cancel windows have one home, change_reservation and cancel_reservation (SQL):
 * these cases drive them through HTTP on PGlite with a fake clock at the instants either side of
 * each boundary — Seoul midnight, since "today" is the campaign's local day (changeFreezeDays 14:
 * a shot on 26 Aug can be changed until 12 Aug 23:59:59.999 KST; cancelUntilDays 2: cancelled
 * until 24 Aug 23:59:59.999 KST), across a year end and a short February too. (They replace the
 * TypeScript copies canChange/canCancel that only tests called.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';
import type { ErrorCode } from '../../src/core/errors.ts';

const FREEZE_DAYS = 14;
const UNTIL_DAYS = 2;

let serial = 0;

/** A demo store whose campaign has the 2021 windows, seeded on `now` (shots from the next day for three weeks). */
async function windowsApp(now: string): Promise<TestApp> {
  return createTestApp({
    now,
    clinics: 3,
    beforeBuild: async (db) => {
      await db.query(`UPDATE campaign SET change_freeze_days = $1, cancel_until_days = $2 WHERE id = 'demo'`, [FREEZE_DAYS, UNTIL_DAYS]);
    },
  });
}

/** A person with a confirmed booking on `day` at the first clinic, made at the app's current instant. */
async function booked(t: TestApp, day: string): Promise<{ rrn: string; bookingNumber: string; clinics: string[] }> {
  const rrn = syntheticRrn('1985-03-14', 9100 + ++serial);
  const token = await t.login(rrn);
  const clinics = (await t.app.inject({ method: 'GET', url: '/api/v1/campaigns/demo/clinics' })).json().map((c: { id: string }) => c.id) as string[];
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/reservations',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': `windows-${serial}-key` },
    payload: { campaignId: 'demo', clinicId: clinics[0], date: day },
  });
  expect(res.statusCode, res.body).toBe(201);
  return { rrn, bookingNumber: res.json().bookingNumber as string, clinics };
}

/** Logs in again at the clock's instant (sessions last 30 minutes) and sends one change or cancel. */
async function send(t: TestApp, at: string, rrn: string, method: 'PATCH' | 'DELETE', bookingNumber: string, payload?: object): Promise<LightMyRequestResponse> {
  t.clock.set(at);
  const token = await t.login(rrn);
  return t.app.inject({ method, url: `/api/v1/reservations/${bookingNumber}`, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
}

function expectRefused(res: LightMyRequestResponse, code: ErrorCode): void {
  expect(res.statusCode, res.body).toBe(409);
  expect(res.json().error.code).toBe(code);
}

async function statusOf(t: TestApp, rrn: string, bookingNumber: string): Promise<{ status: string; doses: { date: string; clinicId: string }[] }> {
  const token = await t.login(rrn);
  return (await t.app.inject({ method: 'GET', url: `/api/v1/reservations/${bookingNumber}`, headers: { authorization: `Bearer ${token}` } })).json();
}

describe('change and cancel windows on PGlite (freeze 14 days, cancel until 2 days before)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await windowsApp('2021-08-06T12:00:00+09:00');
  });
  afterAll(async () => t?.close());

  it('change: the shot day 14 days ahead is the last; 13 days ahead, on the shot day and after it is too late', async () => {
    const { rrn, bookingNumber, clinics } = await booked(t, '2021-08-26');
    const [a, b] = clinics as [string, string];
    // Well ahead (20 days).
    expect((await send(t, '2021-08-06T12:00:00+09:00', rrn, 'PATCH', bookingNumber, { clinicId: b })).statusCode).toBe(200);
    // Exactly 14 days ahead, to the last millisecond of 12 Aug in Seoul.
    const last = await send(t, '2021-08-12T23:59:59.999+09:00', rrn, 'PATCH', bookingNumber, { clinicId: a });
    expect(last.statusCode, last.body).toBe(200);
    // 13 days ahead from Seoul's midnight (still 12 Aug in UTC: the campaign's day counts).
    expectRefused(await send(t, '2021-08-12T15:00:00.000Z', rrn, 'PATCH', bookingNumber, { clinicId: b }), 'YEYAK_E_CHANGE_TOO_LATE');
    expectRefused(await send(t, '2021-08-26T09:00:00+09:00', rrn, 'PATCH', bookingNumber, { clinicId: b }), 'YEYAK_E_CHANGE_TOO_LATE');
    expectRefused(await send(t, '2021-08-30T09:00:00+09:00', rrn, 'PATCH', bookingNumber, { clinicId: b }), 'YEYAK_E_CHANGE_TOO_LATE');
    expect(await statusOf(t, rrn, bookingNumber)).toMatchObject({ status: 'confirmed', doses: [{ date: '2021-08-26', clinicId: a }, { clinicId: a }] });
  });

  it('change: the new dose-1 day is held to the freeze too (13 days ahead refused, 14 taken)', async () => {
    t.clock.set('2021-08-06T12:00:00+09:00');
    const { rrn, bookingNumber } = await booked(t, '2021-08-26');
    expectRefused(await send(t, '2021-08-06T12:00:00+09:00', rrn, 'PATCH', bookingNumber, { date: '2021-08-19' }), 'YEYAK_E_CHANGE_TOO_LATE');
    const moved = await send(t, '2021-08-06T12:00:00+09:00', rrn, 'PATCH', bookingNumber, { date: '2021-08-20' });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().doses[0]).toMatchObject({ date: '2021-08-20' });
  });

  it('change: a date that is no calendar day is refused before the window is asked', async () => {
    t.clock.set('2021-08-06T12:00:00+09:00');
    const { rrn, bookingNumber } = await booked(t, '2021-08-26');
    for (const date of ['2021-13-01', '2021-02-29']) {
      const res = await send(t, '2021-08-06T12:00:00+09:00', rrn, 'PATCH', bookingNumber, { date });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('YEYAK_E_DATE_INVALID');
    }
  });

  it('cancel: until 2 days before (24 Aug for 26 Aug, to its last millisecond in Seoul); 1 day before and on the shot day too late', async () => {
    t.clock.set('2021-08-06T12:00:00+09:00');
    const early = await booked(t, '2021-08-26');
    const last = await booked(t, '2021-08-26');
    const late = await booked(t, '2021-08-26');
    expect((await send(t, '2021-08-06T12:00:00+09:00', early.rrn, 'DELETE', early.bookingNumber)).statusCode).toBe(200);
    const ok = await send(t, '2021-08-24T23:59:59.999+09:00', last.rrn, 'DELETE', last.bookingNumber);
    expect(ok.statusCode, ok.body).toBe(200);
    expectRefused(await send(t, '2021-08-24T15:00:00.000Z', late.rrn, 'DELETE', late.bookingNumber), 'YEYAK_E_CANCEL_TOO_LATE');
    expectRefused(await send(t, '2021-08-26T09:00:00+09:00', late.rrn, 'DELETE', late.bookingNumber), 'YEYAK_E_CANCEL_TOO_LATE');
    expect((await statusOf(t, late.rrn, late.bookingNumber)).status).toBe('confirmed');
  });
});

describe('the windows count calendar days across a year end and a short February (PGlite)', () => {
  it('change: 18 Dec 2021 is 14 days before 1 Jan 2022; from 19 Dec it is too late', async () => {
    const t = await windowsApp('2021-12-16T12:00:00+09:00');
    try {
      const { rrn, bookingNumber, clinics } = await booked(t, '2022-01-01');
      const ok = await send(t, '2021-12-18T23:59:59.999+09:00', rrn, 'PATCH', bookingNumber, { clinicId: clinics[1] });
      expect(ok.statusCode, ok.body).toBe(200);
      expectRefused(await send(t, '2021-12-19T00:00:00+09:00', rrn, 'PATCH', bookingNumber, { clinicId: clinics[0] }), 'YEYAK_E_CHANGE_TOO_LATE');
    } finally {
      await t.close();
    }
  });

  it('cancel: 27 Feb 2021 is 2 days before 1 Mar; 28 Feb is too late', async () => {
    const t = await windowsApp('2021-02-20T12:00:00+09:00');
    try {
      const last = await booked(t, '2021-03-01');
      const late = await booked(t, '2021-03-01');
      const ok = await send(t, '2021-02-27T23:59:59.999+09:00', last.rrn, 'DELETE', last.bookingNumber);
      expect(ok.statusCode, ok.body).toBe(200);
      expectRefused(await send(t, '2021-02-28T00:00:00+09:00', late.rrn, 'DELETE', late.bookingNumber), 'YEYAK_E_CANCEL_TOO_LATE');
    } finally {
      await t.close();
    }
  });
});
