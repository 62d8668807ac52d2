/**
 * The clinic portal's reads (issue #9): the clinic's own record, and its capacity per date, dose
 * and vaccine with the confirmed supply per vaccine and week; and the dose-1 capacity change of a
 * chosen vaccine on a day that has two.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { addDays } from '../../src/rules/time.ts';
import { API, bearer, expectError, onBothStores, type ClinicFixture } from './clinic-fixture.ts';

const TODAY = '2026-11-26'; // test/helpers/app.ts's clock

interface Capacity {
  clinicId: string; campaignId: string; from: string; to: string;
  slots: { date: string; vaccineId: string; dose: number; capacity: number; remaining: number; booked: number }[];
  supply: { vaccineId: string; weekStart: string; doses: number; allocated: number }[];
}

onBothStores('clinic record and capacity', (fixture) => {
  let f: ClinicFixture;
  beforeAll(() => {
    f = fixture();
  });
  const get = (url: string, token = f.clinicStaff.token) => f.t.app.inject({ method: 'GET', url: `${API}${url}`, headers: bearer(token) });

  describe('GET /admin/clinics/{id}', () => {
    it("→ the clinic's own record", async () => {
      const res = await get(`/admin/clinics/${f.own}`);
      expect(res.statusCode, res.body).toBe(200);
      const row = (await f.t.db.query<{ name: string; address: string; phone: string; sido_code: string; sigungu_code: string }>(
        'SELECT name, address, phone, sido_code, sigungu_code FROM clinic WHERE id = $1', [f.own])).rows[0];
      expect(res.json()).toEqual({ id: f.own, name: row?.name, address: row?.address, phone: row?.phone, sidoCode: row?.sido_code, sigunguCode: row?.sigungu_code });
    });

    it("another clinic's staff → 403; an operator → any clinic, an unknown one 404", async () => {
      expectError(await get(`/admin/clinics/${f.own}`, f.otherClinicStaff.token), 403, 'YEYAK_E_FORBIDDEN');
      expect((await get(`/admin/clinics/${f.other}`, TEST_ADMIN_TOKEN)).statusCode).toBe(200);
      expectError(await get('/admin/clinics/C999999', TEST_ADMIN_TOKEN), 404, 'YEYAK_E_CLINIC_NOT_FOUND');
    });
  });

  describe('GET /admin/clinics/{id}/capacity', () => {
    it('defaults to 4 weeks from today (Korea): every slot of the range, booked = capacity − remaining, and the supply weeks behind them', async () => {
      const res = await get(`/admin/clinics/${f.own}/capacity?campaignId=demo`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as Capacity;
      expect(body).toMatchObject({ clinicId: f.own, campaignId: 'demo', from: TODAY, to: addDays(TODAY, 27) });
      const slots = (await f.t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM slot WHERE clinic_id = $1 AND campaign_id = 'demo' AND day BETWEEN $2::date AND $3::date`, [f.own, TODAY, addDays(TODAY, 27)])).rows[0]?.n;
      expect(body.slots).toHaveLength(slots as number);
      expect(body.slots.some((s) => s.dose === 1) && body.slots.some((s) => s.dose === 2)).toBe(true);
      for (const s of body.slots) expect(s.booked).toBe(s.capacity - s.remaining);
      expect(body.supply.length).toBeGreaterThan(0);
      for (const w of body.supply) expect(w.allocated).toBeLessThanOrEqual(w.doses);
      // Sorted by date, dose, vaccine; every slot's Monday week has its supply row.
      const keys = body.slots.map((s) => `${s.date}/${s.dose}/${s.vaccineId}`);
      expect(keys).toEqual([...keys].sort());
      const weeks = new Set(body.supply.map((w) => `${w.vaccineId}/${w.weekStart}`));
      const monday = (day: string) => addDays(day, -((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7));
      for (const s of body.slots) expect(weeks.has(`${s.vaccineId}/${monday(s.date)}`), s.date).toBe(true);
    });

    it('a booking shows: booked +1 and remaining −1 on its dose-1 day', async () => {
      const day = f.dates[4] as string;
      const read = async () => ((await get(`/admin/clinics/${f.own}/capacity?campaignId=demo&from=${day}&to=${day}`)).json() as Capacity).slots.find((s) => s.dose === 1);
      const before = await read();
      await f.book(f.own, day);
      expect(await read()).toEqual({ ...before, booked: (before?.booked as number) + 1, remaining: (before?.remaining as number) - 1 });
    });

    it('range: from after to, or more than 92 days → 400 DATE_RANGE_INVALID; 92 days is fine; an unreal date → 400 DATE_INVALID', async () => {
      const url = (q: string) => `/admin/clinics/${f.own}/capacity?campaignId=demo&${q}`;
      expectError(await get(url(`from=${TODAY}&to=${addDays(TODAY, -1)}`)), 400, 'YEYAK_E_DATE_RANGE_INVALID');
      expectError(await get(url(`from=${TODAY}&to=${addDays(TODAY, 92)}`)), 400, 'YEYAK_E_DATE_RANGE_INVALID');
      expect((await get(url(`from=${TODAY}&to=${addDays(TODAY, 91)}`))).statusCode).toBe(200);
      expectError(await get(url('from=2026-02-30')), 400, 'YEYAK_E_DATE_INVALID');
      expectError(await get(url('to=2026-13-01')), 400, 'YEYAK_E_DATE_INVALID');
      expectError(await get(url('from=26-11-01')), 400, 'YEYAK_E_VALIDATION');
    });

    it('campaignId is required; an unknown campaign → 404; an empty range of a real campaign → 200 empty', async () => {
      expectError(await get(`/admin/clinics/${f.own}/capacity`), 400, 'YEYAK_E_VALIDATION');
      expectError(await get(`/admin/clinics/${f.own}/capacity?campaignId=no-such`), 404, 'YEYAK_E_CAMPAIGN_NOT_FOUND');
      const empty = await get(`/admin/clinics/${f.own}/capacity?campaignId=demo&from=2020-01-01&to=2020-01-31`);
      expect(empty.statusCode, empty.body).toBe(200);
      expect(empty.json()).toMatchObject({ slots: [], supply: [] });
    });

    it("another clinic's staff → 403", async () => {
      expectError(await get(`/admin/clinics/${f.own}/capacity?campaignId=demo`, f.otherClinicStaff.token), 403, 'YEYAK_E_FORBIDDEN');
    });
  });

  describe('PATCH /admin/clinics/{id}/slots/{date} with vaccineId', () => {
    let day = '';
    beforeAll(async () => {
      // A second dose-1 vaccine on one day (moderna sorts before the demo's pfizer), with its own delivery.
      day = f.dates[6] as string;
      await f.t.db.query(`INSERT INTO supply (campaign_id, clinic_id, vaccine_id, week_start, doses) VALUES ('demo', $1, 'moderna', $2, 10)`, [f.own, day]);
      await f.t.db.query(
        `INSERT INTO slot (campaign_id, clinic_id, day, dose, vaccine_id, supply_id, capacity, remaining)
         SELECT 'demo', $1, $2, 1, 'moderna', id, 4, 4 FROM supply WHERE campaign_id = 'demo' AND clinic_id = $1 AND vaccine_id = 'moderna' AND week_start = $2`,
        [f.own, day],
      );
    });
    const patch = (body: Record<string, unknown>) =>
      f.t.app.inject({ method: 'PATCH', url: `${API}/admin/clinics/${f.own}/slots/${day}`, headers: bearer(f.clinicStaff.token), payload: { campaignId: 'demo', ...body } });
    const dose1 = async () =>
      ((await get(`/admin/clinics/${f.own}/capacity?campaignId=demo&from=${day}&to=${day}`)).json() as Capacity).slots
        .filter((s) => s.dose === 1)
        .map((s) => [s.vaccineId, s.capacity]);

    it('unset: the first dose-1 vaccine by id (as before); vaccineId chooses the other; an unknown one → 409 DATE_NOT_OFFERED', async () => {
      const before = await dose1();
      const pfizer = before.find(([v]) => v === 'pfizer')?.[1] as number;
      expect(before).toEqual([['moderna', 4], ['pfizer', pfizer]]);
      const first = await patch({ capacity: 3 });
      expect(first.statusCode, first.body).toBe(200);
      expect(first.json()).toMatchObject({ vaccineId: 'moderna', capacity: 3 });
      const chosen = await patch({ capacity: pfizer - 1, vaccineId: 'pfizer' });
      expect(chosen.statusCode, chosen.body).toBe(200);
      expect(chosen.json()).toMatchObject({ vaccineId: 'pfizer', capacity: pfizer - 1 });
      expect(await dose1()).toEqual([['moderna', 3], ['pfizer', pfizer - 1]]);
      expectError(await patch({ capacity: 1, vaccineId: 'janssen' }), 409, 'YEYAK_E_DATE_NOT_OFFERED');
      // Beyond moderna's own delivery (10) → out of range, whatever pfizer has left.
      expectError(await patch({ capacity: 11, vaccineId: 'moderna' }), 409, 'YEYAK_E_CAPACITY_OUT_OF_RANGE');
    });
  });
});
