/**
 * Devices are the server's (issue #7): a device id is minted and signed by the server, never
 * chosen by the client, and a session is bound to the device it was verified on. A chosen id is
 * ignored where a device is given out (verification, joining the line) and refused where one is
 * used (a booking write); a request from another device than its session's is refused on every
 * session-authenticated write (403 YEYAK_E_DEVICE_MISMATCH). A request with no device at all (a
 * bearer API client) counts as the session's own device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { admit, createTestApp, phoneOf, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { DeviceIds } from '../../src/identity/devices.ts';

const API = '/api/v1';
const CHOSEN = 'device-A-aaaaaaaaaaaaaaaa'; // what a client could pick (the old id format)
let serial = 7100;
let keySeq = 0;
const newKey = () => `device-key-${++keySeq}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function expectMismatch(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body).toBe(403);
  expect(res.json().error.code).toBe('YEYAK_E_DEVICE_MISMATCH');
}

/** Verifies through the sandbox; `headers` carry the device (or not). */
async function verify(t: TestApp, rrn: string, headers: Record<string, string> = {}) {
  const start = await t.app.inject({ method: 'POST', url: `${API}/identity/challenges`, payload: { method: 'phone', name: '한', rrn, phone: phoneOf(rrn) } });
  expect(start.statusCode, start.body).toBe(201);
  const res = await t.app.inject({ method: 'POST', url: `${API}/identity/challenges/${start.json().challengeId}/verify`, headers, payload: { code: '000000' } });
  expect(res.statusCode, res.body).toBe(200);
  return { body: res.json() as { sessionToken: string; device: string }, cookie: res.cookies.find((c) => c.name === 'yeyak_device')?.value };
}

describe('device ids (unit)', () => {
  const ids = new DeviceIds('a-device-secret-of-sufficient-length');

  it('minted ids are genuine and distinct; chosen, altered or foreign ones are not', () => {
    const a = ids.mint();
    const b = ids.mint();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{44}$/);
    expect(ids.isGenuine(a)).toBe(true);
    const altered = `${a.slice(0, 5)}${a[5] === 'A' ? 'B' : 'A'}${a.slice(6)}`;
    const foreign = new DeviceIds('another-secret-of-sufficient-length').mint();
    for (const bad of [CHOSEN, 'x'.repeat(44), altered, `${a.slice(0, 22)}${b.slice(22)}`, foreign, a.slice(0, 43), `${a}A`, '', undefined]) {
      expect(ids.isGenuine(bad), String(bad)).toBe(false);
    }
  });

  it('the device derived from address and User-Agent is signed too, stable per client, different per client', () => {
    const d = ids.derive('203.0.113.9', 'phone A');
    expect(ids.isGenuine(d)).toBe(true);
    expect(ids.derive('203.0.113.9', 'phone A')).toBe(d);
    expect(ids.derive('203.0.113.9', 'phone B')).not.toBe(d);
    expect(ids.derive('203.0.113.10', 'phone A')).not.toBe(d);
  });
});

describe('verification and booking writes (demo)', () => {
  let t: TestApp;
  let ids: DeviceIds;
  let clinicId: string;
  let dates: string[];

  beforeAll(async () => {
    t = await createTestApp();
    ids = new DeviceIds(t.config.sessionSecret);
    const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics` })).json() as { id: string; remaining: number }[];
    clinicId = (clinics.find((c) => c.remaining > 10) as { id: string }).id;
    const open = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/${clinicId}/dates` })).json() as { date: string; remaining: number }[];
    dates = open.filter((d) => d.remaining > 5).map((d) => d.date);
    expect(dates.length).toBeGreaterThanOrEqual(2);
  });
  afterAll(async () => {
    await t?.close();
  });

  const book = (token: string, headers: Record<string, string> = {}, date = dates[0] as string) =>
    t.app.inject({ method: 'POST', url: `${API}/reservations`, headers: { ...bearer(token), 'idempotency-key': newKey(), ...headers }, payload: { campaignId: 'demo', clinicId, date } });
  const reservations = async () => {
    const r = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reservation');
    return r.rows[0]?.n ?? -1;
  };

  it('a chosen device id at verification is ignored: a fresh signed one is minted, set as the cookie, and bound to the session', async () => {
    const { body, cookie } = await verify(t, syntheticRrn('1990-01-01', serial++), { 'yeyak-device': CHOSEN });
    expect(body.device).not.toBe(CHOSEN);
    expect(ids.isGenuine(body.device)).toBe(true);
    expect(cookie).toBe(body.device);
    // The session is that device's: presenting the chosen id on a write is refused.
    expectMismatch(await book(body.sessionToken, { 'yeyak-device': CHOSEN }));
  });

  it('a genuine device at verification is kept (no new cookie)', async () => {
    const mine = ids.mint();
    const { body, cookie } = await verify(t, syntheticRrn('1990-01-01', serial++), { 'yeyak-device': mine });
    expect(body.device).toBe(mine);
    expect(cookie).toBeUndefined();
  });

  it('booking POST with a forged device id, or from another device than the session’s → 403 DEVICE_MISMATCH and nothing written; with none or its own → 201', async () => {
    const mine = ids.mint();
    const { body } = await verify(t, syntheticRrn('1990-01-01', serial++), { 'yeyak-device': mine });
    const token = body.sessionToken;
    const before = await reservations();
    expectMismatch(await book(token, { 'yeyak-device': CHOSEN }));
    expectMismatch(await book(token, { 'yeyak-device': ids.mint() }));
    expectMismatch(await book(token, { cookie: `yeyak_device=${ids.mint()}` }));
    expectMismatch(await book(token, { 'yeyak-device': new DeviceIds('another-secret-of-sufficient-length').mint() }));
    expect(await reservations()).toBe(before);
    const ok = await book(token); // a bearer API client sends no device: it is the session's
    expect(ok.statusCode, ok.body).toBe(201);

    const other = await verify(t, syntheticRrn('1990-01-01', serial++), { 'yeyak-device': ids.mint() });
    const own = await book(other.body.sessionToken, { 'yeyak-device': other.body.device });
    expect(own.statusCode, own.body).toBe(201);
  });

  it('PATCH and DELETE from another device → 403 DEVICE_MISMATCH, the reservation untouched; from its own device → 200', async () => {
    const { body } = await verify(t, syntheticRrn('1990-01-01', serial++), { 'yeyak-device': ids.mint() });
    const token = body.sessionToken;
    const made = await book(token);
    expect(made.statusCode, made.body).toBe(201);
    const n = made.json().bookingNumber as string;
    const elsewhere = { 'yeyak-device': ids.mint() };
    expectMismatch(await t.app.inject({ method: 'PATCH', url: `${API}/reservations/${n}`, headers: { ...bearer(token), ...elsewhere }, payload: { date: dates[1] } }));
    expectMismatch(await t.app.inject({ method: 'DELETE', url: `${API}/reservations/${n}`, headers: { ...bearer(token), 'yeyak-device': CHOSEN } }));
    expectMismatch(await t.app.inject({ method: 'DELETE', url: `${API}/reservations/${n}`, headers: { ...bearer(token), ...elsewhere } }));
    const still = await t.app.inject({ method: 'GET', url: `${API}/reservations/${n}`, headers: bearer(token) });
    expect(still.json()).toMatchObject({ status: 'confirmed', doses: [expect.objectContaining({ date: dates[0] }), expect.anything()] });
    const changed = await t.app.inject({ method: 'PATCH', url: `${API}/reservations/${n}`, headers: { ...bearer(token), 'yeyak-device': body.device }, payload: { date: dates[1] } });
    expect(changed.statusCode, changed.body).toBe(200);
    const cancelled = await t.app.inject({ method: 'DELETE', url: `${API}/reservations/${n}`, headers: bearer(token) });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
  });
});

describe('the waiting room (korea-2021-08, queue-first)', () => {
  const CAMPAIGN = 'korea-2021-08';
  let t: TestApp;
  let ids: DeviceIds;
  let slot: { clinicId: string; date: string };

  beforeAll(async () => {
    t = await createTestApp({
      scenario: 'korea-2021-08',
      clinics: 30,
      now: '2021-08-09T20:00:05+09:00',
      config: { joinPerIpPerMin: 1_000_000 },
      beforeBuild: async (db) => {
        await db.query(`UPDATE campaign SET queue_order = 'queue-first' WHERE id = $1`, [CAMPAIGN]);
      },
    });
    ids = new DeviceIds(t.config.sessionSecret);
    const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/clinics?region=11` })).json() as { id: string; remaining: number }[];
    const clinic = clinics.find((c) => c.remaining > 0) as { id: string };
    const dates = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/${CAMPAIGN}/clinics/${clinic.id}/dates` })).json() as { date: string; remaining: number }[];
    slot = { clinicId: clinic.id, date: (dates.find((d) => d.remaining > 5) as { date: string }).date };
  });
  afterAll(async () => {
    await t?.close();
  });

  const join = (headers: Record<string, string>) => t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, headers });
  const ticketDevice = (ticket: string) => (JSON.parse(Buffer.from(ticket.split('.')[1] as string, 'base64url').toString('utf8')) as { d: string }).d;

  it('an anonymous join with a chosen device id gets a fresh signed one instead (answer, cookie and ticket)', async () => {
    const res = await join({ 'yeyak-device': CHOSEN });
    expect(res.statusCode, res.body).toBe(201);
    const { device, ticket } = res.json() as { device: string; ticket: string };
    expect(device).not.toBe(CHOSEN);
    expect(ids.isGenuine(device)).toBe(true);
    expect(res.cookies.find((c) => c.name === 'yeyak_device')?.value).toBe(device);
    expect(ticketDevice(ticket)).toBe(device);
    // A genuine device is kept.
    const again = await join({ 'yeyak-device': device });
    expect(again.json().device).toBe(device);
  });

  it("a join with a session is the session's device: none or a chosen id → its device; another genuine device → 403 DEVICE_MISMATCH", async () => {
    const { body } = await verify(t, syntheticRrn('1990-08-19', serial++), { 'yeyak-device': ids.mint() });
    const none = await join(bearer(body.sessionToken));
    expect(none.statusCode, none.body).toBe(201);
    expect(none.json().device).toBe(body.device);
    const chosen = await join({ ...bearer(body.sessionToken), 'yeyak-device': CHOSEN });
    expect(chosen.json().device).toBe(body.device);
    expectMismatch(await join({ ...bearer(body.sessionToken), 'yeyak-device': ids.mint() }));
  });

  it("the pass check sees the resolved device: a pass taken with the session, booked with no device header → 201", async () => {
    const token = await t.login(syntheticRrn('1990-08-19', serial++));
    const headers = await admit(t, token, CAMPAIGN);
    if (!headers) throw new Error('not admitted');
    const res = await t.app.inject({
      method: 'POST',
      url: `${API}/reservations`,
      headers: { ...bearer(token), 'idempotency-key': newKey(), 'yeyak-pass': headers['yeyak-pass'] as string },
      payload: { campaignId: CAMPAIGN, ...slot },
    });
    expect(res.statusCode, res.body).toBe(201);
  });

  it('a pass bound to one device, booked by the same person from another device → 403 DEVICE_MISMATCH', async () => {
    const token = await t.login(syntheticRrn('1990-08-29', serial++));
    const headers = await admit(t, token, CAMPAIGN);
    if (!headers) throw new Error('not admitted');
    const res = await t.app.inject({
      method: 'POST',
      url: `${API}/reservations`,
      headers: { ...bearer(token), 'idempotency-key': newKey(), 'yeyak-pass': headers['yeyak-pass'] as string, 'yeyak-device': ids.mint() },
      payload: { campaignId: CAMPAIGN, ...slot },
    });
    expectMismatch(res);
  });
});
