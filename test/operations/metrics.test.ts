/**
 * Metrics tell the truth: every metric the app exports (src/core/metrics.ts, the waiting
 * room's gauges, the identity providers') is moved by the action it counts. Each test scrapes
 * GET /metrics before and after the action and asserts the delta.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admit, createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { addDays } from '../../src/rules/time.ts';

const API = '/api/v1';
const CAMPAIGN = 'demo';

let t: TestApp;
let firstShotDay: string;
let serial = 1;

const nextRrn = () => syntheticRrn('1960-03-03', serial++);
/** A distinct phone per person: the sandbox's identity is the name and phone. */
const phoneFor = (n: number) => `010-7${String(n % 1000).padStart(3, '0')}-${String(n % 10_000).padStart(4, '0')}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const admin = () => ({ authorization: `Bearer ${t.config.adminToken}` });

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text → samples. */
async function scrape(): Promise<Sample[]> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  const samples: Sample[] = [];
  for (const line of res.body.split('\n')) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The sum of `name`'s samples whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Runs `action` between two scrapes; returns (name, labels) → after − before. */
async function delta(action: () => Promise<unknown>): Promise<(name: string, labels?: Record<string, string>) => number> {
  const before = await scrape();
  await action();
  const after = await scrape();
  return (name, labels = {}) => total(after, name, labels) - total(before, name, labels);
}

async function login(): Promise<string> {
  const n = serial;
  return t.login(nextRrn(), `테스트${n}`);
}

/** Books dose 1 for a fresh person through the waiting room (the demo's line is on here). */
async function book(session: string, extra: Record<string, unknown> = {}, clinicId = 'C000001') {
  t.clock.advance(1_000); // a second of campaign time: the controller's allowance for one more
  const pass = await admit(t, session, CAMPAIGN);
  if (!pass) throw new Error('not admitted');
  return t.app.inject({
    method: 'POST',
    url: `${API}/reservations`,
    headers: { ...bearer(session), ...pass, 'idempotency-key': `metrics-${serial++}-key` },
    payload: { campaignId: CAMPAIGN, clinicId, date: addDays(firstShotDay, 2), ...extra },
  });
}

beforeAll(async () => {
  t = await createTestApp({
    clinics: 20,
    config: { adminToken: 'metrics-test-operator-Zq8R2vLk5Wp9Xy3T' },
    // The demo's waiting room is switched on, so joins, admissions and passes happen.
    beforeBuild: async (db) => {
      await db.query("UPDATE campaign SET queue_enabled = true, queue_order = 'queue-first' WHERE id = $1", [CAMPAIGN]);
    },
  });
  const campaigns = (await t.app.inject({ method: 'GET', url: `${API}/campaigns` })).json() as { id: string; firstShotDay: string }[];
  firstShotDay = campaigns.find((c) => c.id === CAMPAIGN)?.firstShotDay ?? '';
  expect(firstShotDay).not.toBe('');
});

afterAll(async () => {
  await t?.close();
});

describe('GET /metrics: every metric moves with what it counts', () => {
  it('yeyak_http_requests_total and yeyak_http_request_duration_seconds: one request, one count, by route and status', async () => {
    const d = await delta(() => t.app.inject({ method: 'GET', url: `${API}/campaigns` }));
    expect(d('yeyak_http_requests_total', { method: 'GET', route: `${API}/campaigns`, status: '200' })).toBe(1);
    expect(d('yeyak_http_request_duration_seconds_count', { method: 'GET', route: `${API}/campaigns` })).toBe(1);
  });

  it('yeyak_identity_calls_total and yeyak_identity_provider_seconds: a verification is one start and one check', async () => {
    const d = await delta(() => login());
    expect(d('yeyak_identity_calls_total', { method: 'phone', op: 'start', outcome: 'ok' })).toBe(1);
    expect(d('yeyak_identity_calls_total', { method: 'phone', op: 'check', outcome: 'ok' })).toBe(1);
    expect(d('yeyak_identity_provider_seconds_count', { method: 'phone' })).toBe(2);
  });

  it('yeyak_identity_light, _in_flight and _breaker_state are exported for every configured method', async () => {
    const samples = await scrape();
    for (const name of ['yeyak_identity_light', 'yeyak_identity_in_flight', 'yeyak_identity_breaker_state']) {
      expect(samples.filter((s) => s.name === name && s.labels.method === 'phone'), name).toHaveLength(1);
    }
  });

  it('yeyak_queue_joins_total and yeyak_queue_waiting: a join counts, by campaign', async () => {
    const session = await login();
    const d = await delta(async () => {
      const res = await t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, headers: bearer(session) });
      expect(res.statusCode, res.body).toBe(201);
      t.app.yeyak.waitingRoom.room.invalidate(CAMPAIGN); // the gauge reads the line's (cached) state
    });
    expect(d('yeyak_queue_joins_total', { campaign: CAMPAIGN })).toBe(1);
    expect(d('yeyak_queue_waiting', { campaign: CAMPAIGN })).toBe(1);
  });

  it('yeyak_queue_admissions_total, _active_passes, _eta_error_seconds, _admission_rate: admission and the pass it gives', async () => {
    const session = await login();
    const d = await delta(async () => {
      // The controller measures its rate between ticks, over campaign time.
      await t.app.yeyak.waitingRoom.controller.tickAll();
      t.clock.advance(250);
      expect(await admit(t, session, CAMPAIGN)).not.toBeNull();
    });
    expect(d('yeyak_queue_admissions_total', { campaign: CAMPAIGN })).toBeGreaterThanOrEqual(1);
    expect(d('yeyak_queue_active_passes', { campaign: CAMPAIGN })).toBe(1);
    expect(d('yeyak_queue_eta_error_seconds_count')).toBe(1);
    const after = await scrape();
    expect(total(after, 'yeyak_queue_admission_rate', { campaign: CAMPAIGN })).toBeGreaterThan(0);
  });

  it('yeyak_queue_no_show_ratio: admitted places that nobody takes up', async () => {
    const { room, controller } = t.app.yeyak.waitingRoom;
    const d = await delta(async () => {
      for (let i = 0; i < 5; i++) await room.issue(CAMPAIGN, false); // joined and left
      t.clock.advance(250);
      await controller.tickAll(); // admits them
      t.clock.advance(5_000);
      await controller.tickAll(); // samples: admitted, none claimed
      room.invalidate(CAMPAIGN);
    });
    expect(d('yeyak_queue_no_show_ratio', { campaign: CAMPAIGN })).toBeGreaterThan(0);
  });

  it('yeyak_bookings_total{channel="self"} and the batch histograms: a booking and a refusal', async () => {
    const session = await login();
    const d = await delta(async () => {
      expect((await book(session)).statusCode).toBe(201);
      expect((await book(session)).statusCode).toBe(409); // already booked
    });
    expect(d('yeyak_bookings_total', { outcome: 'ok', channel: 'self' })).toBe(1);
    expect(d('yeyak_bookings_total', { outcome: 'YEYAK_E_ALREADY_BOOKED', channel: 'self' })).toBe(1);
    expect(d('yeyak_booking_batch_size_count')).toBeGreaterThanOrEqual(1);
    expect(d('yeyak_booking_batch_seconds_count')).toBeGreaterThanOrEqual(1);
  });

  // Red-team finding (issue #7): ten retries of one booking counted ten bookings.
  it('yeyak_bookings_total{outcome="replay"}: a retry with the same Idempotency-Key is no new booking', async () => {
    const session = await login();
    t.clock.advance(1_000);
    const pass = await admit(t, session, CAMPAIGN);
    if (!pass) throw new Error('not admitted');
    const again = () =>
      t.app.inject({
        method: 'POST',
        url: `${API}/reservations`,
        headers: { ...bearer(session), ...pass, 'idempotency-key': `metrics-replay-${serial}` },
        payload: { campaignId: CAMPAIGN, clinicId: 'C000004', date: addDays(firstShotDay, 2) },
      });
    const d = await delta(async () => {
      expect((await again()).statusCode).toBe(201);
      expect((await again()).statusCode).toBe(201);
      expect((await again()).statusCode).toBe(201);
    });
    expect(d('yeyak_bookings_total', { outcome: 'ok', channel: 'self' })).toBe(1);
    expect(d('yeyak_bookings_total', { outcome: 'replay', channel: 'self' })).toBe(2);
  });

  it('yeyak_bookings_total{channel="proxy"}: a booking for someone else', async () => {
    const session = await login();
    const n = serial;
    const onBehalfOf = { name: `부모${n}`, rrn: syntheticRrn('1950-01-01', serial++), phone: phoneFor(n), relationship: 'parent' };
    let res: Awaited<ReturnType<typeof book>> | undefined;
    const d = await delta(async () => {
      res = await book(session, { onBehalfOf }, 'C000002');
    });
    expect(res?.statusCode, res?.body).toBe(201);
    expect(d('yeyak_bookings_total', { outcome: 'ok', channel: 'proxy' })).toBe(1);
    expect(d('yeyak_bookings_total', { channel: 'self' })).toBe(0);
  });

  it('yeyak_bookings_total{channel="agent"}: a call-centre booking counts too', async () => {
    const n = serial;
    const person = { name: `어르신${n}`, rrn: syntheticRrn('1945-02-02', serial++), phone: phoneFor(n + 500) };
    let status = 0;
    let body = '';
    const d = await delta(async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: `${API}/admin/agent/reservations`,
        headers: { ...admin(), 'idempotency-key': `agent-metrics-${n}` },
        payload: { person, campaignId: CAMPAIGN, clinicId: 'C000003', date: addDays(firstShotDay, 3) },
      });
      status = res.statusCode;
      body = res.body;
    });
    expect(status, body).toBe(201);
    expect(d('yeyak_bookings_total', { outcome: 'ok', channel: 'agent' })).toBe(1);
  });
});
