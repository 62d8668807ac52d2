/**
 * Idempotency keys are the caller's (issue #7): the session's person — also when booking as a
 * proxy — or the agent; the request hash includes whom the booking is for; a key expires
 * (idempotencyTtlMs); and a replay tells the truth about the reservation (changed, cancelled).
 * Before, a key was stored per BOOKED person: a proxy's key was keyed by the beneficiary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, phoneOf, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { loadConfig, ConfigError } from '../../src/core/config.ts';

const API = '/api/v1';
const TTL_MS = 10 * 60_000;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
let serial = 770_000;

function expectCode(res: LightMyRequestResponse, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect((res.json() as { error: { code: string } }).error.code).toBe(code);
}

const someone = (born: string) => {
  const rrn = syntheticRrn(born, serial++);
  return { name: '김가족', rrn, phone: phoneOf(rrn) };
};

describe('idempotency keys: scope, hash, expiry, truth', () => {
  let t: TestApp;
  let clinicId = '';
  let dates: string[] = [];
  beforeAll(async () => {
    t = await createTestApp({ config: { idempotencyTtlMs: TTL_MS } });
    const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics` })).json() as { id: string }[];
    clinicId = (clinics[4] as { id: string }).id;
    dates = ((await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/${clinicId}/dates` })).json() as { date: string }[]).map((d) => d.date);
  });
  afterAll(async () => t?.close());

  const book = (token: string, key: string, extra: Record<string, unknown> = {}, date = dates[2]) =>
    t.app.inject({ method: 'POST', url: `${API}/reservations`, headers: { ...bearer(token), 'idempotency-key': key }, payload: { campaignId: 'demo', clinicId, date, ...extra } });
  const agentBook = (key: string, person: ReturnType<typeof someone>) =>
    t.app.inject({
      method: 'POST',
      url: `${API}/admin/agent/reservations`,
      headers: { ...bearer(t.config.adminToken), 'idempotency-key': key },
      payload: { person, campaignId: 'demo', clinicId, date: dates[2] },
    });

  it("a proxy's key is the proxy's: the same key for a second beneficiary → 409 IDEMPOTENCY_MISMATCH, nothing booked", async () => {
    const proxy = await t.login(syntheticRrn('1970-03-03', serial++));
    const first = await book(proxy, 'proxy-key-one', { onBehalfOf: { ...someone('1945-01-01'), relationship: 'parent' } });
    expect(first.statusCode, first.body).toBe(201);
    const reservations = async () => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM reservation`)).rows[0]?.n;
    const before = await reservations();
    expectCode(await book(proxy, 'proxy-key-one', { onBehalfOf: { ...someone('1946-02-02'), relationship: 'parent' } }), 409, 'YEYAK_E_IDEMPOTENCY_MISMATCH');
    // …and the proxy's own booking with that key too (the hash says for whom).
    expectCode(await book(proxy, 'proxy-key-one'), 409, 'YEYAK_E_IDEMPOTENCY_MISMATCH');
    expect(await reservations()).toBe(before);
  });

  it("two proxies, one key, one beneficiary: the second is not shown the first's booking → 409 ALREADY_BOOKED", async () => {
    const parent = someone('1947-03-03');
    const sister = await t.login(syntheticRrn('1972-04-04', serial++));
    const brother = await t.login(syntheticRrn('1974-05-05', serial++));
    const first = await book(sister, 'family-key-1', { onBehalfOf: { ...parent, relationship: 'parent' } });
    expect(first.statusCode, first.body).toBe(201);
    expectCode(await book(brother, 'family-key-1', { onBehalfOf: { ...parent, relationship: 'parent' } }), 409, 'YEYAK_E_ALREADY_BOOKED');
  });

  it("an agent's key is the agent's: one key for two citizens → the second 409 IDEMPOTENCY_MISMATCH; a citizen's own key is theirs", async () => {
    const [a, b] = [someone('1940-06-06'), someone('1941-07-07')];
    expect((await agentBook('agent-key-1', a)).statusCode).toBe(201);
    expectCode(await agentBook('agent-key-1', b), 409, 'YEYAK_E_IDEMPOTENCY_MISMATCH');
    // b books by themself with the key the agent used: their own scope, a fresh booking.
    const own = await t.login(b.rrn, b.name);
    expect((await book(own, 'agent-key-1')).statusCode).toBe(201);
  });

  it('a replay after a cancel → 409 RESERVATION_CANCELLED with the booking number (not the old "confirmed")', async () => {
    const token = await t.login(syntheticRrn('1975-08-08', serial++));
    const booked = await book(token, 'cancel-then-retry');
    expect(booked.statusCode, booked.body).toBe(201);
    const { bookingNumber } = booked.json() as { bookingNumber: string };
    expect((await t.app.inject({ method: 'DELETE', url: `${API}/reservations/${bookingNumber}`, headers: bearer(token) })).statusCode).toBe(200);
    const replay = await book(token, 'cancel-then-retry');
    expectCode(replay, 409, 'YEYAK_E_RESERVATION_CANCELLED');
    expect((replay.json() as { error: { details: { bookingNumber: string } } }).error.details.bookingNumber).toBe(bookingNumber);
  });

  it('a replay after a change answers the reservation as it is now', async () => {
    const token = await t.login(syntheticRrn('1976-09-09', serial++));
    const booked = await book(token, 'change-then-retry');
    const { bookingNumber } = booked.json() as { bookingNumber: string };
    const changed = await t.app.inject({ method: 'PATCH', url: `${API}/reservations/${bookingNumber}`, headers: bearer(token), payload: { date: dates[4] } });
    expect(changed.statusCode, changed.body).toBe(200);
    const replay = await book(token, 'change-then-retry');
    expect(replay.statusCode, replay.body).toBe(201);
    expect(replay.json()).toEqual(changed.json());
  });

  it('a key expires after idempotencyTtlMs: the same key and body then book afresh', async () => {
    const token = await t.login(syntheticRrn('1977-10-10', serial++));
    const booked = await book(token, 'expiring-key-1');
    const { bookingNumber } = booked.json() as { bookingNumber: string };
    await t.app.inject({ method: 'DELETE', url: `${API}/reservations/${bookingNumber}`, headers: bearer(token) });
    t.clock.advance(TTL_MS - 1);
    expectCode(await book(token, 'expiring-key-1'), 409, 'YEYAK_E_RESERVATION_CANCELLED');
    t.clock.advance(1);
    const again = await book(token, 'expiring-key-1');
    expect(again.statusCode, again.body).toBe(201);
    expect((again.json() as { bookingNumber: string }).bookingNumber).not.toBe(bookingNumber);
    const keys = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM idempotency_key WHERE key = 'expiring-key-1'`);
    expect(keys.rows[0]?.n).toBe(1); // taken over in place
  });
});

describe('config idempotencyTtlMs', () => {
  it('defaults to 24 h, reads YEYAK_IDEMPOTENCY_TTL_MS, refuses less than a minute', () => {
    expect(loadConfig({ dataDir: 'memory:' }, {}).idempotencyTtlMs).toBe(24 * 3600 * 1000);
    expect(loadConfig({ dataDir: 'memory:' }, { YEYAK_IDEMPOTENCY_TTL_MS: '600000' }).idempotencyTtlMs).toBe(600_000);
    expect(() => loadConfig({ dataDir: 'memory:' }, { YEYAK_IDEMPOTENCY_TTL_MS: '10' })).toThrow(ConfigError);
  });
});
