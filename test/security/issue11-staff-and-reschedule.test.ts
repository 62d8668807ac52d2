/**
 * Security review of issue #11's staff surface (issue #11): every new /api/v1/admin route is
 * decided on the matched route, deny by default — clinic staff and agents are refused the outbox,
 * the dose-2 moves, supply and vaccination records; a clinic's own leftover routes refuse another
 * clinic's staff; unknown admin sub-paths answer 401 as existing ones do. And a dose-2 move plan
 * cannot put dose 2 outside the vaccine's allowed interval (a typo of `"days": 1`, or a shift off
 * a holiday that takes it below the minimum, would have booked unsafe second doses in bulk).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff } from '../../src/staff/staff.ts';
import { addDays } from '../../src/rules/time.ts';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../helpers/app.ts';
import { bookBulk } from '../operations/audit-bulk.ts';
import { RescheduleService } from '../../src/reschedule/service.ts';
import { demoPlan, TODAY } from '../reschedule/fixture.ts';

const API = '/api/v1';
const operator = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

describe('issue #11 admin routes: staff roles (deny by default)', () => {
  let t: TestApp;
  let clinicA: string;
  let clinicB: string;
  let clinicToken: string;
  let agentToken: string;

  beforeAll(async () => {
    t = await createTestApp({ clinics: 3 });
    const ids = (await t.db.query<{ id: string }>('SELECT id FROM clinic ORDER BY id LIMIT 2')).rows.map((r) => r.id);
    [clinicA, clinicB] = [ids[0] as string, ids[1] as string];
    clinicToken = (await addStaff(t.db, { role: 'clinic', clinicId: clinicA, name: '보건소 직원' }, t.clock.now())).token;
    agentToken = (await addStaff(t.db, { role: 'agent', clinicId: null, name: '콜센터 상담원' }, t.clock.now())).token;
  }, 120_000);
  afterAll(async () => t?.close());

  const routes = (): { method: 'GET' | 'POST' | 'PUT'; url: string; payload?: unknown; csv?: string }[] => [
    { method: 'GET', url: `${API}/admin/outbox?state=dead` },
    { method: 'POST', url: `${API}/admin/outbox/1/retry` },
    { method: 'POST', url: `${API}/admin/outbox/retry-dead` },
    { method: 'POST', url: `${API}/admin/reschedules`, payload: { plan: demoPlan(), dryRun: true } },
    { method: 'GET', url: `${API}/admin/reschedules` },
    { method: 'GET', url: `${API}/admin/reschedules/1` },
    { method: 'POST', url: `${API}/admin/reschedules/1/pause` },
    { method: 'POST', url: `${API}/admin/reschedules/1/resume` },
    { method: 'GET', url: `${API}/admin/campaigns/demo/supply?clinicId=${clinicA}` },
    { method: 'PUT', url: `${API}/admin/campaigns/demo/supply`, payload: { rows: [] } },
    { method: 'POST', url: `${API}/admin/campaigns/demo/supply.csv`, csv: `clinic_id,week_start,vaccine,doses\n${clinicA},2026-11-30,pfizer,1000\n` },
    { method: 'POST', url: `${API}/admin/vaccination-records`, csv: 'rrn,dose,day,vaccine,source\n' },
  ];
  const send = (r: ReturnType<typeof routes>[number], headers: Record<string, string>) =>
    t.app.inject({
      method: r.method,
      url: r.url,
      headers: { ...headers, ...(r.csv !== undefined ? { 'content-type': 'text/csv; charset=utf-8' } : {}) },
      ...(r.csv !== undefined ? { payload: r.csv } : r.payload !== undefined ? { payload: r.payload as Record<string, unknown> } : {}),
    });

  it('no credential → 401; clinic staff (even of the clinic in the query) and agents → 403 FORBIDDEN on every operator route', async () => {
    for (const r of routes()) {
      const none = await send(r, {});
      expect(none.statusCode, `${r.method} ${r.url} without a credential: ${none.body}`).toBe(401);
      for (const [who, token] of [['clinic', clinicToken], ['agent', agentToken]] as const) {
        const res = await send(r, { authorization: `Bearer ${token}` });
        expect(res.statusCode, `${r.method} ${r.url} as ${who}: ${res.body}`).toBe(403);
        expect(res.json().error.code).toBe('YEYAK_E_FORBIDDEN');
      }
    }
    // Nothing was written by the refused calls: no job, no supply row for the clinic.
    expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reschedule_job')).rows[0]?.n).toBe(0);
  });

  it("a clinic's staff cannot release, list or withdraw another clinic's leftovers; an agent neither", async () => {
    const release = { campaignId: 'demo', vaccineId: 'pfizer', doses: 2, until: '18:00' };
    for (const token of [clinicToken, agentToken]) {
      const h = { authorization: `Bearer ${token}` };
      expect((await t.app.inject({ method: 'POST', url: `${API}/admin/clinics/${clinicB}/leftovers`, headers: h, payload: release })).statusCode).toBe(403);
      expect((await t.app.inject({ method: 'GET', url: `${API}/admin/clinics/${clinicB}/leftovers`, headers: h })).statusCode).toBe(403);
      expect((await t.app.inject({ method: 'DELETE', url: `${API}/admin/clinics/${clinicB}/leftovers/1`, headers: h })).statusCode).toBe(403);
    }
    const own = await t.app.inject({ method: 'POST', url: `${API}/admin/clinics/${clinicA}/leftovers`, headers: { authorization: `Bearer ${clinicToken}` }, payload: release });
    expect(own.statusCode, own.body).toBe(201);
    expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM leftover_release WHERE clinic_id = $1', [clinicB])).rows[0]?.n).toBe(0);
  });

  it('unknown admin sub-paths answer 401 without a credential (existing or not), also dot-segmented or encoded', async () => {
    for (const url of [`${API}/admin/outbox/1/resend`, `${API}/admin/reschedules/1/delete`, `${API}/admin/campaigns/demo/supply.xlsx`,
      `${API}/leftovers/../admin/outbox`, `${API}/%61dmin/vaccination-records/export`]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(401);
    }
  });
});

describe('issue #11 dose-2 move plan: the vaccine interval is a safety limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clinics: 3 });
  }, 120_000);
  afterAll(async () => t?.close());

  const dryRun = (plan: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `${API}/admin/reschedules`, headers: operator, payload: { plan, dryRun: true } });
  const fields = (res: { json(): unknown }) => ((res.json() as { error: { details?: { errors?: { field: string; code: string }[] } } }).error.details?.errors ?? []);

  it("dose 2 one day after dose 1 (below pfizer's 21-day minimum) → 400 RESCHEDULE_PLAN_INVALID interval RANGE, nothing stored", async () => {
    const res = await dryRun(demoPlan({ interval: { days: 1 } }));
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe('YEYAK_E_RESCHEDULE_PLAN_INVALID');
    expect(fields(res)).toContainEqual({ field: 'interval', code: 'RANGE' });
    const job = await t.app.inject({ method: 'POST', url: `${API}/admin/reschedules`, headers: operator, payload: { plan: demoPlan({ interval: { minDays: 14, maxDays: 30 } }) } });
    expect(job.statusCode, job.body).toBe(400);
    expect(fields(job)).toContainEqual({ field: 'interval', code: 'RANGE' });
    expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reschedule_job')).rows[0]?.n).toBe(0);
  });

  it("beyond pfizer's 42-day maximum → 400 interval RANGE", async () => {
    const res = await dryRun(demoPlan({ interval: { minDays: 40, maxDays: 60 } }));
    expect(res.statusCode, res.body).toBe(400);
    expect(fields(res)).toContainEqual({ field: 'interval', code: 'RANGE' });
  });

  it('a day to avoid shifted 5 days earlier from the 21-day minimum (16 days) → 400 shiftDays RANGE', async () => {
    const day1 = addDays(TODAY, 1);
    const res = await dryRun(demoPlan({ dose1From: day1, dose1To: day1, interval: { days: 21 }, avoidDays: [addDays(day1, 21)], shiftDays: -5 }));
    expect(res.statusCode, res.body).toBe(400);
    expect(fields(res)).toContainEqual({ field: 'shiftDays', code: 'RANGE' });
  });

  it('within the vaccine interval the dry run still answers 200', async () => {
    const res = await dryRun(demoPlan({ interval: { minDays: 28, maxDays: 35 } }));
    expect(res.statusCode, res.body).toBe(200);
  });
});

describe('issue #11 dose-2 move plan: given and past doses stay as they are', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clinics: 3 });
    expect(await bookBulk(t.db, 'demo', 60, 'PS')).toBe(60);
  }, 120_000);
  afterAll(async () => t?.close());

  const dryRun = (plan: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `${API}/admin/reschedules`, headers: operator, payload: { plan, dryRun: true } });
  const fields = (res: { json(): unknown }) => ((res.json() as { error: { details?: { errors?: { field: string; code: string }[] } } }).error.details?.errors ?? []);

  it('a plan whose people include a dose 2 already past (given or missed) → 400 dose1From RANGE: a given dose is never moved', async () => {
    const day2s = await t.db.query<{ day: string }>(
      `SELECT min(d2.day)::text AS day FROM reservation_dose d2 JOIN reservation_dose d1 ON d1.reservation_id = d2.reservation_id AND d1.dose = 1
        WHERE d2.dose = 2 AND d1.day BETWEEN $1 AND $2`, [addDays(TODAY, 1), addDays(TODAY, 7)]);
    const first = day2s.rows[0]?.day as string;
    t.clock.set(`${addDays(first, 1)}T10:00:00+09:00`); // the earliest dose 2 in scope was yesterday
    const res = await dryRun(demoPlan({ interval: { minDays: 35, maxDays: 42 } }));
    expect(res.statusCode, res.body).toBe(400);
    expect(fields(res)).toContainEqual({ field: 'dose1From', code: 'RANGE' });
  });

  it('a paused job is not resumed once its plan has gone stale (its days have come since): 400, still paused', async () => {
    t.clock.set(`${TODAY}T10:00:00+09:00`);
    const service = new RescheduleService(t.db, t.clock);
    const job = await service.create(demoPlan({ dose1From: addDays(TODAY, 5), dose1To: addDays(TODAY, 6), interval: { days: 28 } }), 'test');
    expect((await service.pause(job.id))?.state).toBe('paused');
    t.clock.set(`${addDays(TODAY, 40)}T10:00:00+09:00`); // dose 1 + 28 has passed for everyone in scope
    await expect(service.resume(job.id)).rejects.toMatchObject({ code: 'YEYAK_E_RESCHEDULE_PLAN_INVALID' });
    expect((await service.job(job.id))?.state).toBe('paused');
  });

  it('a plan whose new dose-2 days would be in the past → 400 dose1From RANGE', async () => {
    t.clock.set(`${addDays(TODAY, 60)}T10:00:00+09:00`);
    const res = await dryRun(demoPlan({ dose1From: addDays(TODAY, 1), dose1To: addDays(TODAY, 1), interval: { days: 28 } }));
    expect(res.statusCode, res.body).toBe(400);
    expect(fields(res)).toContainEqual({ field: 'dose1From', code: 'RANGE' });
  });
});
