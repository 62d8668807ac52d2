/**
 * What the citizen pages read before booking (issue #9): the regions with what is left in each,
 * one clinic with its address, dates with the dose-2 day a booking of each gets, and the campaign's
 * change and cancel windows and waiting-room settings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';

const API = '/api/v1';

interface Region { code: string; parentCode: string | null; level: 1 | 2; nameKo: string; nameEn: string; remaining: number }
interface Clinic { id: string; name: string; region: string; district: string; address: string; remaining: number }
interface DateView { date: string; remaining: number; vaccine: string; dose2Date?: string }

let t: TestApp;
const get = async <T>(url: string): Promise<T> => {
  const res = await t.app.inject({ method: 'GET', url: `${API}${url}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
};

beforeAll(async () => {
  t = await createTestApp({ clinics: 12 });
});
afterAll(() => t?.close());

describe('GET /campaigns/{id}/regions', () => {
  it('lists the 시/도 and 시/군/구 with clinics, each with the sum of its clinics’ remaining first doses', async () => {
    const regions = await get<Region[]>('/campaigns/demo/regions');
    const clinics = await get<Clinic[]>('/campaigns/demo/clinics');
    const sidos = regions.filter((r) => r.level === 1);
    expect(sidos.length).toBeGreaterThan(0);
    expect(new Set(sidos.map((r) => r.code))).toEqual(new Set(clinics.map((c) => c.region)));
    expect(new Set(regions.filter((r) => r.level === 2).map((r) => r.code))).toEqual(new Set(clinics.map((c) => c.district)));
    for (const r of regions) {
      const inIt = clinics.filter((c) => c.region === r.code || c.district === r.code);
      expect(r.remaining, r.code).toBe(inIt.reduce((a, c) => a + c.remaining, 0));
      expect(r.nameKo.length).toBeGreaterThan(0);
      expect(r.nameEn.length).toBeGreaterThan(0);
      if (r.level === 2) expect(sidos.map((s) => s.code)).toContain(r.parentCode);
      else expect(r.parentCode).toBeNull();
    }
  });

  it('drops by one in the booked clinic’s 시/도 and 시/군/구 after a booking', async () => {
    const [clinic] = await get<Clinic[]>('/campaigns/demo/clinics');
    if (!clinic) throw new Error('no clinic');
    const before = await get<Region[]>('/campaigns/demo/regions');
    const [day] = await get<DateView[]>(`/campaigns/demo/clinics/${clinic.id}/dates`);
    const token = await t.login(syntheticRrn('1980-05-05', 501));
    const res = await t.app.inject({
      method: 'POST',
      url: `${API}/reservations`,
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'regions-test-1' },
      payload: { campaignId: 'demo', clinicId: clinic.id, date: day?.date },
    });
    expect(res.statusCode, res.body).toBe(201);
    await t.app.yeyak.availability.refresh();
    const after = await get<Region[]>('/campaigns/demo/regions');
    const left = (rs: Region[], code: string) => rs.find((r) => r.code === code)?.remaining;
    expect(left(after, clinic.region)).toBe((left(before, clinic.region) ?? 0) - 1);
    expect(left(after, clinic.district)).toBe((left(before, clinic.district) ?? 0) - 1);
  });

  it('answers 404 YEYAK_E_CAMPAIGN_NOT_FOUND for an unknown campaign', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${API}/campaigns/nope/regions` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('YEYAK_E_CAMPAIGN_NOT_FOUND');
  });
});

describe('GET /campaigns/{id}/clinics/{clinicId}', () => {
  it('answers the clinic as the list does, address included', async () => {
    const clinics = await get<Clinic[]>('/campaigns/demo/clinics');
    const one = clinics[1];
    if (!one) throw new Error('no clinic');
    expect(one.address.length).toBeGreaterThan(0);
    expect(await get<Clinic>(`/campaigns/demo/clinics/${one.id}`)).toEqual(one);
  });

  it('answers 404 YEYAK_E_CLINIC_NOT_FOUND for a clinic outside the campaign', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/C999999` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('YEYAK_E_CLINIC_NOT_FOUND');
  });
});

describe('GET /campaigns/{id}/clinics/{clinicId}/dates', () => {
  it('gives each date the dose-2 day that booking it gets', async () => {
    const [, , clinic] = await get<Clinic[]>('/campaigns/demo/clinics');
    if (!clinic) throw new Error('no clinic');
    const dates = await get<DateView[]>(`/campaigns/demo/clinics/${clinic.id}/dates`);
    const pick = dates[2];
    if (!pick?.dose2Date) throw new Error(`no dose2Date: ${JSON.stringify(dates[2])}`);
    const token = await t.login(syntheticRrn('1981-06-06', 502));
    const res = await t.app.inject({
      method: 'POST',
      url: `${API}/reservations`,
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'regions-test-2' },
      payload: { campaignId: 'demo', clinicId: clinic.id, date: pick.date },
    });
    expect(res.statusCode, res.body).toBe(201);
    const doses = (res.json() as { doses: { dose: number; date: string }[] }).doses;
    expect(doses.find((d) => d.dose === 1)?.date).toBe(pick.date);
    expect(doses.find((d) => d.dose === 2)?.date).toBe(pick.dose2Date);
  });
});

describe('GET /campaigns: the rules a citizen is told before acting', () => {
  it('carries the change and cancel windows and the waiting room (off in the demo)', async () => {
    const [demo] = await get<{ id: string; changeFreezeDays: number; cancelUntilDays: number; waitingRoom: unknown }[]>('/campaigns');
    expect(demo).toMatchObject({ id: 'demo', changeFreezeDays: 1, cancelUntilDays: 1, waitingRoom: { enabled: false, order: 'queue-first' } });
  });

  it('shows a campaign’s waiting room on, with its order', async () => {
    const q = await createTestApp({
      clinics: 3,
      beforeBuild: async (db) => {
        await db.query(`UPDATE campaign SET queue_enabled = true, queue_order = 'verify-first', change_freeze_days = 14, cancel_until_days = 2 WHERE id = 'demo'`);
      },
    });
    try {
      const res = await q.app.inject({ method: 'GET', url: `${API}/campaigns` });
      expect(res.json()[0]).toMatchObject({ changeFreezeDays: 14, cancelUntilDays: 2, waitingRoom: { enabled: true, order: 'verify-first' } });
    } finally {
      await q.close();
    }
  });
});
