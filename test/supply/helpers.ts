/**
 * Shared by the supply tests: booking in the demo, the supply routes, and the invariants a supply
 * change must keep (checked on the whole store, not on what the test expects to have changed).
 */
import { expect } from 'vitest';
import { syntheticRrn, type TestApp } from '../helpers/app.ts';
import type { Queryable } from '../../src/core/db.ts';
import { API, OPERATOR } from '../campaigns/helpers.ts';

export { API, OPERATOR };

/** A new person born on birthDate books dose 1 at the clinic on the day: the answer's status and body. */
export async function book(t: TestApp, serial: number, clinicId: string, day: string, campaignId = 'demo', headers: Record<string, string> = {}) {
  const token = await t.login(syntheticRrn('1980-05-05', serial));
  const res = await t.app.inject({
    method: 'POST',
    url: `${API}/reservations`,
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': `supply-test-${serial}`, ...headers },
    payload: { campaignId, clinicId, date: day },
  });
  return { status: res.statusCode, body: res.json() as { bookingNumber?: string; error?: { code: string } }, token };
}

export function putSupply(t: TestApp, campaignId: string, rows: { clinicId: string; vaccineId: string; weekStart: string; doses: number }[]) {
  return t.app.inject({ method: 'PUT', url: `${API}/admin/campaigns/${campaignId}/supply`, headers: OPERATOR, payload: { rows } });
}

export function postSupplyCsv(t: TestApp, campaignId: string, body: string) {
  return t.app.inject({
    method: 'POST',
    url: `${API}/admin/campaigns/${campaignId}/supply.csv`,
    headers: { ...OPERATOR, 'content-type': 'text/csv; charset=utf-8' },
    payload: body,
  });
}

export interface SupplyRowDb {
  id: number;
  week_start: string;
  doses: number;
  allocated: number;
  uncovered: number;
}

export async function supplyOf(q: Queryable, campaignId: string, clinicId: string): Promise<SupplyRowDb[]> {
  const r = await q.query<SupplyRowDb>('SELECT id, week_start, doses, allocated, uncovered FROM supply WHERE campaign_id = $1 AND clinic_id = $2 ORDER BY week_start', [campaignId, clinicId]);
  return r.rows;
}

/**
 * What no supply change may break, over the whole store:
 * - per slot: capacity − remaining = its confirmed doses (nothing booked is lost or invented);
 * - per supply row: allocated = the capacity of its slots, ≤ doses; uncovered ≤ doses;
 * - per dose-2 slot: its remaining ≥ the remaining of the dose-1 days feeding it (dose2Of), so
 *   every dose 1 still offered has its dose 2.
 */
export async function expectSupplyInvariants(q: Queryable, dose2Of: (day1: string) => string): Promise<void> {
  const slots = await q.query<{ id: number; booked: number; doses: number }>(
    `SELECT s.id, s.capacity - s.remaining AS booked,
            (SELECT count(*)::int FROM reservation_dose d JOIN reservation r ON r.id = d.reservation_id AND r.status = 'confirmed' WHERE d.slot_id = s.id) AS doses
       FROM slot s`,
  );
  for (const s of slots.rows) expect(s.booked, `slot ${s.id}`).toBe(s.doses);
  const supply = await q.query<{ id: number; doses: number; allocated: number; uncovered: number; slots: number }>(
    `SELECT p.id, p.doses, p.allocated, p.uncovered, COALESCE((SELECT sum(s.capacity) FROM slot s WHERE s.supply_id = p.id), 0)::int AS slots FROM supply p`,
  );
  for (const p of supply.rows) {
    expect(p.allocated, `supply ${p.id}`).toBe(p.slots);
    expect(p.allocated).toBeLessThanOrEqual(p.doses);
    expect(p.uncovered).toBeLessThanOrEqual(p.doses);
  }
  const all = await q.query<{ campaign_id: string; clinic_id: string; vaccine_id: string; day: string; dose: number; remaining: number }>(
    'SELECT campaign_id, clinic_id, vaccine_id, day, dose, remaining FROM slot',
  );
  const dose2 = new Map<string, number>();
  const feeding = new Map<string, number>();
  for (const s of all.rows) {
    if (s.dose === 2) dose2.set(`${s.campaign_id}|${s.clinic_id}|${s.vaccine_id}|${s.day}`, s.remaining);
  }
  for (const s of all.rows) {
    if (s.dose !== 1 || s.remaining === 0) continue;
    const key = `${s.campaign_id}|${s.clinic_id}|${s.vaccine_id}|${dose2Of(s.day)}`;
    feeding.set(key, (feeding.get(key) ?? 0) + s.remaining);
  }
  for (const [key, remaining1] of feeding) expect(dose2.get(key) ?? 0, `dose 2 behind ${key}`).toBeGreaterThanOrEqual(remaining1);
}
