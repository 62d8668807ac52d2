/**
 * Staff roles instead of one admin token. Tricks: clinic staff editing another clinic's capacity
 * (or reaching operator pages, or walking out of their clinic's path with dot segments or
 * percent-encoding), an agent using operator pages, forged or disabled staff tokens, no token at
 * all. YEYAK_ADMIN_TOKEN keeps working as an operator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, phoneOf, syntheticRrn, type TestApp, TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { errorCatalogue, type ErrorCode } from '../../src/core/errors.ts';
import { addStaff } from '../../src/staff/staff.ts';

const API = '/api/v1';
const ADMIN_TOKEN = TEST_ADMIN_TOKEN; // test/helpers/app.ts
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
let serial = 700_000;

function expectError(res: LightMyRequestResponse, status: number, code: ErrorCode): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json()).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(errorCatalogue[code].status).toBe(status);
}

let t: TestApp;
let own = ''; // clinic of the clinic staff
let other = '';
let dates: string[] = [];
const tokens = { clinic: '', agent: '', operator: '', disabled: '' };
let agentId = 0;

beforeAll(async () => {
  t = await createTestApp({ scenario: 'demo', clinics: 4 });
  const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics` })).json() as { id: string; remaining: number }[];
  [own, other] = clinics.filter((c) => c.remaining > 0).map((c) => c.id) as [string, string];
  dates = ((await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/${own}/dates` })).json() as { date: string }[]).map((d) => d.date);
  const now = t.clock.now();
  tokens.clinic = (await addStaff(t.db, { role: 'clinic', clinicId: own, name: '보건소 김간호사' }, now)).token;
  const agent = await addStaff(t.db, { role: 'agent', clinicId: null, name: '콜센터 이상담' }, now);
  tokens.agent = agent.token;
  agentId = agent.staff.id ?? -1;
  tokens.operator = (await addStaff(t.db, { role: 'operator', clinicId: null, name: '질병청 운영자' }, now)).token;
  const disabled = await addStaff(t.db, { role: 'operator', clinicId: null, name: '퇴사자' }, now);
  tokens.disabled = disabled.token;
  await t.db.query('UPDATE staff SET disabled_at = now() WHERE id = $1', [disabled.staff.id]);
});
afterAll(async () => t.close());

const slotPatch = (clinicId: string, token: string | null, capacity: number, date = dates[2] as string) =>
  t.app.inject({
    method: 'PATCH',
    url: `${API}/admin/clinics/${clinicId}/slots/${date}`,
    headers: token === null ? {} : bearer(token),
    payload: { campaignId: 'demo', capacity },
  });

async function slot(clinicId: string, date: string): Promise<{ capacity: number; remaining: number; allocated: number; doses: number }> {
  const r = await t.db.query<{ capacity: number; remaining: number; allocated: number; doses: number }>(
    `SELECT s.capacity, s.remaining, p.allocated, p.doses FROM slot s JOIN supply p ON p.id = s.supply_id
      WHERE s.campaign_id = 'demo' AND s.clinic_id = $1 AND s.day = $2 AND s.dose = 1`, [clinicId, date]);
  const row = r.rows[0];
  if (!row) throw new Error('no slot');
  return row;
}

describe('clinic staff', () => {
  it("editing another clinic's capacity → 403 FORBIDDEN, and the slot is unchanged", async () => {
    const before = await slot(other, dates[2] as string);
    expectError(await slotPatch(other, tokens.clinic, 1), 403, 'YEYAK_E_FORBIDDEN');
    expect(await slot(other, dates[2] as string)).toEqual(before);
    expectError(await t.app.inject({ method: 'GET', url: `${API}/admin/clinics/${other}/reservations`, headers: bearer(tokens.clinic) }), 403, 'YEYAK_E_FORBIDDEN');
  });

  it('walking out of their clinic (dot segments, encoded slashes, operator pages) → 403, never 200', async () => {
    for (const url of [
      `${API}/admin/overview`,
      `${API}/admin/queue/demo`,
      `${API}/admin/clinics/${own}/../${other}/reservations`,
      `${API}/admin/clinics/${own}%2F..%2F${other}/reservations`,
      `${API}/admin/clinics/${own}/%2e%2e/%2e%2e/overview`,
      `${API}/admin/agent/reservations`,
    ]) {
      const res = await t.app.inject({ method: 'GET', url, headers: bearer(tokens.clinic) });
      expect([403, 404], `${url}: ${res.body}`).toContain(res.statusCode);
    }
  });

  it('own clinic: capacity lowered, then raised again within supply → 200 each, slot and supply move together', async () => {
    const before = await slot(own, dates[2] as string);
    const lower = await slotPatch(own, tokens.clinic, before.capacity - 3);
    expect(lower.statusCode, lower.body).toBe(200);
    expect(lower.json()).toMatchObject({ clinicId: own, capacity: before.capacity - 3, remaining: before.remaining - 3 });
    expect(await slot(own, dates[2] as string)).toEqual({ ...before, capacity: before.capacity - 3, remaining: before.remaining - 3, allocated: before.allocated - 3 });
    // The freed supply may be given back to the day (the demo's deliveries are fully allocated).
    const raise = await slotPatch(own, tokens.clinic, before.capacity);
    expect(raise.statusCode, raise.body).toBe(200);
    expect(await slot(own, dates[2] as string)).toEqual(before);
  });

  it('own clinic: beyond confirmed supply, or below what is booked → 409 CAPACITY_OUT_OF_RANGE, nothing changes', async () => {
    const before = await slot(own, dates[2] as string);
    expectError(await slotPatch(own, tokens.clinic, before.capacity + (before.doses - before.allocated) + 1), 409, 'YEYAK_E_CAPACITY_OUT_OF_RANGE');
    // Book one dose there, then try to shrink the day below it.
    const session = await t.login(syntheticRrn('1980-01-01', serial++));
    const b = await t.app.inject({ method: 'POST', url: `${API}/reservations`, headers: { ...bearer(session), 'idempotency-key': `staff-key-${serial}` }, payload: { campaignId: 'demo', clinicId: own, date: dates[2] } });
    expect(b.statusCode, b.body).toBe(201);
    const booked = await slot(own, dates[2] as string);
    expectError(await slotPatch(own, tokens.clinic, booked.capacity - booked.remaining - 1), 409, 'YEYAK_E_CAPACITY_OUT_OF_RANGE');
    expect(await slot(own, dates[2] as string)).toEqual(booked);
  });

  it("own clinic: the day's list → 200 with the bookings of that day", async () => {
    const res = await t.app.inject({ method: 'GET', url: `${API}/admin/clinics/${own}/reservations?date=${dates[2]}`, headers: bearer(tokens.clinic) });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { clinicId: string; date: string; reservations: { dose: number; bookedBy: string }[] };
    expect(body).toMatchObject({ clinicId: own, date: dates[2] });
    expect(body.reservations.filter((r) => r.dose === 1).length).toBeGreaterThanOrEqual(1);
  });
});

describe('call-centre agent', () => {
  const agentBook = (token: string, person: { name: string; rrn: string; phone: string }, date = dates[3]) =>
    t.app.inject({ method: 'POST', url: `${API}/admin/agent/reservations`, headers: bearer(token), payload: { person, campaignId: 'demo', clinicId: own, date } });

  it('books for a citizen by phone → 201; recorded booked_by agent, the agent in the audit row; the citizen finds it as theirs', async () => {
    const rrn = syntheticRrn('1944-04-04', serial++);
    const res = await agentBook(tokens.agent, { name: '박할머니', rrn, phone: phoneOf(rrn) });
    expect(res.statusCode, res.body).toBe(201);
    const { bookingNumber } = res.json() as { bookingNumber: string };
    const row = (await t.db.query<{ booked_by: string; proxy_person_id: number | null; actor: string; detail: { agent: { staffId: number; name: string } } }>(
      `SELECT r.booked_by, r.proxy_person_id, a.actor, a.detail FROM reservation r JOIN audit_log a ON a.reservation_id = r.id WHERE r.booking_number = $1`,
      [bookingNumber],
    )).rows[0];
    expect(row).toMatchObject({ booked_by: 'agent', proxy_person_id: null, actor: `staff:${agentId}` });
    expect(row?.detail.agent).toEqual({ staffId: agentId, name: '콜센터 이상담' });
    const citizen = await t.login(rrn, '박할머니'); // the same name and phone: the same person
    expect((await t.app.inject({ method: 'GET', url: `${API}/reservations/${bookingNumber}`, headers: bearer(citizen) })).statusCode).toBe(200);
    // Still one booking per person.
    expectError(await agentBook(tokens.agent, { name: '박할머니', rrn, phone: phoneOf(rrn) }), 409, 'YEYAK_E_ALREADY_BOOKED');
  });

  it('eligibility still applies: a citizen born 1930 → 403 NOT_ELIGIBLE', async () => {
    expectError(await agentBook(tokens.agent, { name: '최어르신', rrn: syntheticRrn('1930-01-01', serial++), phone: '010-4444-5555' }), 403, 'YEYAK_E_NOT_ELIGIBLE');
  });

  it('operator pages and clinic pages → 403 FORBIDDEN for an agent', async () => {
    expectError(await t.app.inject({ method: 'GET', url: `${API}/admin/overview`, headers: bearer(tokens.agent) }), 403, 'YEYAK_E_FORBIDDEN');
    expectError(await slotPatch(own, tokens.agent, 1), 403, 'YEYAK_E_FORBIDDEN');
  });
});

describe('credentials', () => {
  it('an unauthenticated admin call → 401, on the new paths as on the old', async () => {
    for (const [method, url] of [
      ['GET', `${API}/admin/overview`],
      ['GET', `${API}/admin/clinics/${own}/reservations`],
      ['PATCH', `${API}/admin/clinics/${own}/slots/${dates[2]}`],
      ['POST', `${API}/admin/agent/reservations`],
      ['GET', `${API}/admin/staff/nope`],
    ] as const) {
      expectError(await t.app.inject({ method, url }), 401, 'YEYAK_E_ADMIN_UNAUTHENTICATED');
    }
  });

  it('a forged, disabled or citizen token → 401', async () => {
    const citizen = await t.login(syntheticRrn('1985-05-05', serial++));
    for (const token of ['yks_forged0000000000000000000000000', tokens.disabled, citizen, `${ADMIN_TOKEN}x`]) {
      expectError(await t.app.inject({ method: 'GET', url: `${API}/admin/overview`, headers: bearer(token) }), 401, 'YEYAK_E_ADMIN_UNAUTHENTICATED');
    }
  });

  it('an operator staff token works everywhere under /admin: overview, any clinic, agent booking', async () => {
    expect((await t.app.inject({ method: 'GET', url: `${API}/admin/overview`, headers: bearer(tokens.operator) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `${API}/admin/clinics/${other}/reservations`, headers: bearer(tokens.operator) })).statusCode).toBe(200);
    const before = await slot(other, dates[2] as string);
    expect((await slotPatch(other, tokens.operator, before.capacity)).statusCode).toBe(200);
  });

  it('YEYAK_ADMIN_TOKEN still works, as an operator', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${API}/admin/overview`, headers: bearer(ADMIN_TOKEN) });
    expect(res.statusCode, res.body).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `${API}/admin/clinics/${own}/reservations`, headers: bearer(ADMIN_TOKEN) })).statusCode).toBe(200);
  });
});
