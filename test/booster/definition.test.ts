/**
 * The booster as data (issue #11): its cohort in GET / PUT /api/v1/admin/campaigns/{id} (checked
 * with stable codes, changed and read back, kept when a PUT leaves it out), one dose of a
 * two-dose vaccine allowed for a booster only; a one-dose booking changed and cancelled as any
 * other (one dose row throughout, the auditor green).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignDefinition } from '../../src/campaigns/definition.ts';
import { runAudit } from '../../src/operations/audit.ts';
import { BOOSTER_DEMO_PEOPLE } from '../../src/scenarios/booster.ts';
import { TEST_ADMIN_TOKEN, type TestApp } from '../helpers/app.ts';
import { BOOSTER, boosterApp } from './helpers.ts';

const API = '/api/v1';
const OPERATOR = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const url = (id: string) => `${API}/admin/campaigns/${id}`;

describe('booster definition and one-dose changes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await boosterApp('2021-12-10T10:00:00+09:00');
  }, 120_000);
  afterAll(async () => t?.close());

  const get = async (id = BOOSTER) => (await t.app.inject({ method: 'GET', url: url(id), headers: OPERATOR })).json() as CampaignDefinition;
  const put = (body: unknown, id = BOOSTER) => t.app.inject({ method: 'PUT', url: url(id), headers: OPERATOR, payload: body as Record<string, unknown> });

  it('GET shows the cohort; a PUT of it unchanged round-trips; korea-2021-08 has none', async () => {
    const d = await get();
    expect(d.cohort).toEqual({ kind: 'after-doses', minDaysSinceLastDose: 90, sourceCampaigns: ['korea-2021-08'] });
    expect((await get('korea-2021-08')).cohort).toBeNull();
    const res = await put(d);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(d);
  });

  it('bad cohorts are listed with stable codes and nothing is stored', async () => {
    const d = await get();
    const res = await put({ ...d, cohort: { kind: 'after-doses', minDaysSinceLastDose: 90, sourceCampaigns: ['nope-campaign', BOOSTER, 'nope-campaign'] } });
    expect(res.statusCode).toBe(400);
    const codes = (res.json().error.details.errors as { path: string; code: string }[]).map((e) => `${e.path}:${e.code}`);
    expect(codes).toEqual(['/cohort/sourceCampaigns/0:COHORT_SOURCE_UNKNOWN', '/cohort/sourceCampaigns/1:COHORT_SOURCE_SELF', '/cohort/sourceCampaigns/2:COHORT_SOURCE_UNKNOWN', '/cohort/sourceCampaigns/2:COHORT_SOURCE_DUPLICATE']);
    const shape = await put({ ...d, cohort: { kind: 'before-doses', minDaysSinceLastDose: -1, sourceCampaigns: [] } });
    expect(shape.statusCode).toBe(400);
    expect((shape.json().error.details.errors as { code: string }[]).map((e) => e.code).sort()).toEqual(['BELOW_MINIMUM', 'NOT_ALLOWED', 'TOO_FEW']);
    expect((await get()).cohort).toEqual(d.cohort);
  });

  it('the day count is changed and served at once; a PUT without the field keeps it; null removes it', async () => {
    const d = await get();
    const changed = await put({ ...d, cohort: { ...d.cohort, minDaysSinceLastDose: 120, sourceCampaigns: null } });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((changed.json() as CampaignDefinition).cohort).toEqual({ kind: 'after-doses', minDaysSinceLastDose: 120, sourceCampaigns: null });
    const token = await t.login(BOOSTER_DEMO_PEOPLE.record.rrn);
    const e = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/${BOOSTER}/eligibility`, headers: { authorization: `Bearer ${token}` } })).json();
    expect(e.cohort).toEqual({ minDaysSinceLastDose: 120, lastDoseDay: '2021-06-10', eligibleFrom: '2021-10-08' });
    const { cohort: _omitted, ...withoutCohort } = await get();
    expect((await put(withoutCohort)).statusCode).toBe(200);
    expect((await get()).cohort?.minDaysSinceLastDose).toBe(120);
    const restored = await put({ ...d });
    expect((restored.json() as CampaignDefinition).cohort).toEqual(d.cohort);
  });

  it('one dose of a two-dose vaccine: allowed for the booster, refused for a one-dose campaign without a cohort', async () => {
    const d = await get();
    const none = await put({ ...d, cohort: null });
    expect(none.statusCode).toBe(400);
    expect((none.json().error.details.errors as { code: string }[]).map((x) => x.code)).toContain('VACCINE_DOSES_MISMATCH');
    expect((await get()).cohort).toEqual(d.cohort);
  });

  it('a booster booking is changed (one dose moves) and cancelled (its unit returns); one dose row throughout', async () => {
    const token = await t.login(BOOSTER_DEMO_PEOPLE.record.rrn);
    const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/${BOOSTER}/clinics` })).json() as { id: string }[];
    const clinicId = clinics[0]?.id ?? '';
    const dates = ((await t.app.inject({ method: 'GET', url: `${API}/campaigns/${BOOSTER}/clinics/${clinicId}/dates` })).json() as { date: string; dose2Date?: string }[]);
    expect(dates.every((x) => x.dose2Date === undefined)).toBe(true);
    const auth = { authorization: `Bearer ${token}` };
    const booked = await t.app.inject({ method: 'POST', url: `${API}/reservations`, headers: { ...auth, 'idempotency-key': 'booster-change-1' }, payload: { campaignId: BOOSTER, clinicId, date: dates[0]?.date } });
    expect(booked.statusCode, booked.body).toBe(201);
    const bn = booked.json().bookingNumber as string;
    const changed = await t.app.inject({ method: 'PATCH', url: `${API}/reservations/${bn}`, headers: auth, payload: { date: dates[3]?.date } });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().doses).toEqual([{ dose: 1, date: dates[3]?.date, clinicId }]);
    expect((await runAudit(t.db, { clock: t.clock })).ok).toBe(true);
    const cancelled = await t.app.inject({ method: 'DELETE', url: `${API}/reservations/${bn}`, headers: auth });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    const audit = await runAudit(t.db, { clock: t.clock });
    expect(audit.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
