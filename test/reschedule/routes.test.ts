/**
 * The operators' bulk dose-2 moves over HTTP (issue #11): a dry run answers counts and writes
 * nothing; a job is made (202), run in the background by the node's runner, and read back with its
 * progress, moves per day and unfit list; pause and resume obey the job's state; a bad plan gets
 * every field's code; staff other than operators are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../helpers/app.ts';
import { bookBulk } from '../operations/audit-bulk.ts';
import { demoPlan, expectInvariants, storeFingerprint } from './fixture.ts';

const URL = '/api/v1/admin/reschedules';
const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

describe('POST/GET /api/v1/admin/reschedules', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clinics: 3 });
    expect(await bookBulk(t.db, 'demo', 120, 'RR')).toBe(120);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('a bad plan: 400 with every field and its code', async () => {
    const res = await t.app.inject({ method: 'POST', url: URL, headers: admin, payload: { plan: { ...demoPlan(), interval: { minDays: 40, maxDays: 30 }, campaignId: 7 } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('YEYAK_E_RESCHEDULE_PLAN_INVALID');
    expect(res.json().error.details.errors).toEqual([{ field: 'campaignId', code: 'TYPE' }, { field: 'interval.maxDays', code: 'ORDER' }]);
    expect((await t.app.inject({ method: 'GET', url: URL })).statusCode).toBe(401);
  });

  it('dry run, then the job in the background, its progress and unfit list, pause and resume', async () => {
    const before = await storeFingerprint(t.db);
    const dry = await t.app.inject({ method: 'POST', url: URL, headers: admin, payload: { plan: demoPlan(), dryRun: true } });
    expect(dry.statusCode, dry.body).toBe(200);
    const d = dry.json() as { dryRun: boolean; total: number; moved: number; movedPerDay: { moved: number }[] };
    expect(d.dryRun).toBe(true);
    expect(d.moved).toBeGreaterThan(0);
    expect(await storeFingerprint(t.db)).toEqual(before);

    const made = await t.app.inject({ method: 'POST', url: URL, headers: admin, payload: { plan: demoPlan() } });
    expect(made.statusCode, made.body).toBe(202);
    const id = (made.json() as { job: { id: number } }).job.id;
    await t.app.yeyak.reschedule.runner.idle();
    const got = await t.app.inject({ method: 'GET', url: `${URL}/${id}`, headers: admin });
    expect(got.statusCode, got.body).toBe(200);
    const body = got.json() as { job: { state: string; moved: number; unfit: number; progress: number; total: number }; movedPerDay: { moved: number }[]; unfit: unknown[] };
    expect(body.job).toMatchObject({ state: 'done', progress: 1, moved: d.moved, total: d.total });
    expect(body.movedPerDay).toEqual((dry.json() as { movedPerDay: unknown }).movedPerDay);
    expect(body.unfit).toHaveLength(Math.min(20, body.job.unfit));
    await expectInvariants(t.db, t.clock, id, body.job);

    const list = await t.app.inject({ method: 'GET', url: URL, headers: admin });
    expect((list.json() as { jobs: { id: number }[] }).jobs.map((j) => j.id)).toContain(id);
    expect((await t.app.inject({ method: 'POST', url: `${URL}/${id}/pause`, headers: admin })).json().error.code).toBe('YEYAK_E_RESCHEDULE_JOB_STATE');
    expect((await t.app.inject({ method: 'POST', url: `${URL}/999999/resume`, headers: admin })).statusCode).toBe(404);
  });
});
