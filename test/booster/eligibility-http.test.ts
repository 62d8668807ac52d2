/**
 * The booster's cohort through HTTP (issue #11): GET /campaigns/booster-2021-12/eligibility for a
 * person whose korea-2021-08 booking was seeded as given, one with only a vaccination record, one
 * too soon and one with nothing; a one-dose booking through POST /reservations (one dose row, the
 * auditor green).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOSTER_DEMO_PEOPLE } from '../../src/scenarios/booster.ts';
import { runAudit } from '../../src/operations/audit.ts';
import { syntheticRrn, TEST_ADMIN_TOKEN, type TestApp } from '../helpers/app.ts';
import { ENGINES } from '../campaigns/helpers.ts';
import { BOOSTER, boosterApp } from './helpers.ts';

const API = '/api/v1';
const { given, record, none } = BOOSTER_DEMO_PEOPLE;

async function eligibility(t: TestApp, token: string) {
  const res = await t.app.inject({ method: 'GET', url: `${API}/campaigns/${BOOSTER}/eligibility`, headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { eligible: boolean; reasons: string[]; cohort?: { lastDoseDay: string | null; eligibleFrom?: string; minDaysSinceLastDose: number }; message: { ko: string; en: string } };
}

async function bookFirstDate(t: TestApp, token: string, key: string) {
  const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/${BOOSTER}/clinics` })).json() as { id: string; remaining: number }[];
  const clinic = clinics.find((c) => c.remaining > 0);
  if (!clinic) throw new Error('no booster clinic with capacity');
  const dates = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/${BOOSTER}/clinics/${clinic.id}/dates` })).json() as { date: string }[];
  const date = dates[0]?.date ?? '';
  return t.app.inject({
    method: 'POST',
    url: `${API}/reservations`,
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
    payload: { campaignId: BOOSTER, clinicId: clinic.id, date },
  });
}

describe.each(ENGINES)('booster eligibility in December 2021 on $name', ({ postgres }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await boosterApp('2021-12-10T10:00:00+09:00', postgres);
  }, 120_000);
  afterAll(async () => t?.close());

  it('GET /campaigns lists the booster with its cohort, one dose', async () => {
    const list = (await t.app.inject({ method: 'GET', url: `${API}/campaigns` })).json() as { id: string; doses: number; cohort: unknown }[];
    const b = list.find((c) => c.id === BOOSTER);
    expect(b?.doses).toBe(1);
    expect(b?.cohort).toEqual({ kind: 'after-doses', minDaysSinceLastDose: 90, sourceCampaigns: ['korea-2021-08'] });
    expect(list.find((c) => c.id === 'korea-2021-08')?.cohort).toBeNull();
  });

  it('a korea-2021-08 booking given (dose 2 on 7 Oct) is too soon, with the day it becomes eligible', async () => {
    const e = await eligibility(t, await t.login(given.rrn, given.name));
    expect(e.eligible).toBe(false);
    expect(e.reasons).toEqual(['TOO_SOON']);
    expect(e.cohort).toEqual({ minDaysSinceLastDose: 90, lastDoseDay: '2021-10-07', eligibleFrom: '2022-01-05' });
    expect(e.message.en).toContain('2022-01-05');
  });

  it('a person with only an uploaded record (Janssen, 10 Jun) is eligible, and books ONE dose; the auditor holds', async () => {
    const token = await t.login(record.rrn, record.name);
    const e = await eligibility(t, token);
    expect(e).toMatchObject({ eligible: true, reasons: [], cohort: { lastDoseDay: '2021-06-10', eligibleFrom: '2021-09-08' } });
    const res = await bookFirstDate(t, token, 'booster-record-1');
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { bookingNumber: string; doses: { dose: number }[] };
    expect(body.doses.map((d) => d.dose)).toEqual([1]);
    const rows = await t.db.query<{ dose: number }>(
      'SELECT d.dose FROM reservation r JOIN reservation_dose d ON d.reservation_id = r.id WHERE r.booking_number = $1',
      [body.bookingNumber],
    );
    expect(rows.rows).toEqual([{ dose: 1 }]);
    const audit = await runAudit(t.db, { clock: t.clock });
    expect(audit.checks.filter((c) => !c.ok).map((c) => c.check)).toEqual([]);
    expect(audit.ok).toBe(true);
    // Booked: the next answer says so.
    expect((await eligibility(t, token)).reasons).toEqual(['ALREADY_BOOKED']);
  });

  it('a person with no earlier dose is not in the cohort; booking is refused', async () => {
    const token = await t.login(none.rrn, none.name);
    const e = await eligibility(t, token);
    expect(e).toMatchObject({ eligible: false, reasons: ['NO_EARLIER_DOSE'], cohort: { lastDoseDay: null } });
    const res = await bookFirstDate(t, token, 'booster-none-1');
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('YEYAK_E_NOT_ELIGIBLE');
  });

  it('too soon is refused at booking too, and eligible exactly from 5 Jan 2022 00:00 in Seoul', async () => {
    const token = await t.login(given.rrn, given.name);
    const early = await bookFirstDate(t, token, 'booster-given-1');
    expect(early.statusCode).toBe(403);
    expect(early.json().error.details.reasons).toEqual(['TOO_SOON']);
    // A session lasts minutes: verify again after each jump of the clock.
    t.clock.set('2022-01-04T23:59:59+09:00');
    expect((await eligibility(t, await t.login(given.rrn, given.name))).reasons).toEqual(['TOO_SOON']);
    t.clock.set('2022-01-05T00:00:00+09:00');
    const later = await t.login(given.rrn, given.name);
    const e = await eligibility(t, later);
    expect(e).toMatchObject({ eligible: true, reasons: [] });
    const res = await bookFirstDate(t, later, 'booster-given-2');
    expect(res.statusCode, res.body).toBe(201);
    expect((res.json() as { doses: unknown[] }).doses).toHaveLength(1);
    expect((await runAudit(t.db, { clock: t.clock })).ok).toBe(true);
  });

  it('a record uploaded by an operator makes a new person eligible; leftovers of the booster are released and taken as ONE dose', async () => {
    const rrn = syntheticRrn('1983-04-05', 811, 'F');
    const upload = await t.app.inject({
      method: 'POST',
      url: `${API}/admin/vaccination-records`,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'text/csv' },
      payload: `rrn,dose,day,vaccine,source\n${rrn},1,2021-05-20,astrazeneca,KDCA\n${rrn},2,2021-08-12,astrazeneca,KDCA\n`,
    });
    expect(upload.statusCode, upload.body).toBe(200);
    const token = await t.login(rrn);
    expect(await eligibility(t, token)).toMatchObject({ eligible: true, cohort: { lastDoseDay: '2021-08-12', eligibleFrom: '2021-11-10' } });
    // The clinic releases today's leftovers of the booster's vaccine there (the staff route needs its supply: seeded).
    const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/${BOOSTER}/clinics` })).json() as { id: string }[];
    const clinicId = clinics[0]?.id ?? '';
    const vaccine = await t.db.query<{ vaccine_id: string }>('SELECT vaccine_id FROM supply WHERE campaign_id = $1 AND clinic_id = $2 LIMIT 1', [BOOSTER, clinicId]);
    const release = await t.app.inject({
      method: 'POST',
      url: `${API}/admin/clinics/${clinicId}/leftovers`,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      payload: { campaignId: BOOSTER, vaccineId: vaccine.rows[0]?.vaccine_id, doses: 2, until: '18:00' },
    });
    expect(release.statusCode, release.body).toBe(201);
    const releaseId = (release.json() as { id: string | number }).id;
    const take = await t.app.inject({ method: 'POST', url: `${API}/leftovers/${releaseId}/reservations`, headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'booster-leftover-1' } });
    expect(take.statusCode, take.body).toBe(201);
    expect((take.json() as { doses: { dose: number }[] }).doses.map((d) => d.dose)).toEqual([1]);
    // Not in the booster's cohort (no earlier dose): no leftover either.
    const outside = await t.app.inject({ method: 'POST', url: `${API}/leftovers/${releaseId}/reservations`, headers: { authorization: `Bearer ${await t.login(none.rrn, none.name)}`, 'idempotency-key': 'booster-leftover-2' } });
    expect(outside.statusCode).toBe(403);
    // Last in this file: the auditor's dose-1 check does not know leftover doses yet (no slot behind them; migration 018).
  });
});
