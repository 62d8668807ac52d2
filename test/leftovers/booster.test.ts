/**
 * A leftover of the booster (booster-2021-12, one dose, cohort by earlier doses): the take asks the
 * booster's cohort through the injected eligibility (BookingService.eligibility, cohortOnly), not
 * its windows — someone with an uploaded earlier dose long enough ago takes ONE dose; someone whose
 * last dose was too recent, or who has none, → 403 NOT_ELIGIBLE. PGlite (the rules are in
 * TypeScript and take_leftover's one-dose path; the race is in race.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/core/config.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { openDb, type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { seedScenario } from '../../src/scenarios/seed.ts';
import { BOOSTER_DEMO_PEOPLE } from '../../src/scenarios/booster.ts';
import { TEST_ADMIN_TOKEN, TEST_KEYS } from '../helpers/app.ts';
import { API, bearer, expectError } from './fixture.ts';

const TODAY = '2021-12-14'; // a booster shot day (its first is 13 Dec)

describe('leftover of a one-dose booster (PGlite)', () => {
  let app: FastifyInstance;
  let db: Db;
  let releaseId: number;
  let clinicId: string;
  beforeAll(async () => {
    const config = loadConfig({ dataDir: 'memory:', identity: 'sandbox', ...TEST_KEYS }, {});
    db = await openDb({ databaseUrl: null, dataDir: 'memory:', poolMax: 4 });
    const clock = new FakeClock(`${TODAY}T10:00:00+09:00`);
    await migrate(db);
    await seedScenario(db, { scenario: 'booster-2021-12', clock, seed: 7, clinics: 4, rrnSecret: TEST_KEYS.rrnHashSecret });
    app = await buildApp(config, { db, clock, logger: false, startController: false });
    const supply = (await db.query<{ clinic_id: string; vaccine_id: string }>(
      "SELECT clinic_id, vaccine_id FROM supply WHERE campaign_id = 'booster-2021-12' ORDER BY clinic_id, vaccine_id LIMIT 1",
    )).rows[0];
    if (!supply) throw new Error('no booster supply');
    clinicId = supply.clinic_id;
    const res = await app.inject({
      method: 'POST', url: `${API}/admin/clinics/${clinicId}/leftovers`, headers: bearer(TEST_ADMIN_TOKEN),
      payload: { campaignId: 'booster-2021-12', vaccineId: supply.vaccine_id, doses: 3, until: '18:00' },
    });
    expect(res.statusCode, res.body).toBe(201);
    releaseId = (res.json() as { id: number }).id;
  }, 240_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const login = async (p: { rrn: string; name: string; phone: string }) => {
    const start = await app.inject({ method: 'POST', url: `${API}/identity/challenges`, payload: { method: 'kakao', ...p } });
    expect(start.statusCode, start.body).toBe(201);
    const verify = await app.inject({ method: 'POST', url: `${API}/identity/challenges/${start.json().challengeId}/verify`, payload: { code: '000000' } });
    expect(verify.statusCode, verify.body).toBe(200);
    return verify.json().sessionToken as string;
  };
  const take = async (token: string, key: string) =>
    app.inject({ method: 'POST', url: `${API}/leftovers/${releaseId}/reservations`, headers: { ...bearer(token), 'idempotency-key': key } });

  it('an earlier dose long enough ago (an uploaded record) → 201 with one dose, today, at the clinic', async () => {
    const res = await take(await login(BOOSTER_DEMO_PEOPLE.record), 'booster-leftover-record');
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ campaignId: 'booster-2021-12', doses: [{ dose: 1, date: TODAY, clinicId }], replacedBookingNumber: null });
  });

  it('the last dose too recent, or none known → 403 NOT_ELIGIBLE, nothing taken', async () => {
    for (const [who, reason] of [[BOOSTER_DEMO_PEOPLE.given, 'TOO_SOON'], [BOOSTER_DEMO_PEOPLE.none, 'NO_EARLIER_DOSE']] as const) {
      const token = await login(who);
      const e = await app.inject({ method: 'GET', url: `${API}/campaigns/booster-2021-12/eligibility`, headers: bearer(token) });
      expect((e.json() as { reasons: string[] }).reasons).toContain(reason);
      expectError(await take(token, `booster-leftover-${reason}`), 403, 'YEYAK_E_NOT_ELIGIBLE');
    }
    const row = (await db.query<{ taken: number }>('SELECT taken FROM leftover_release WHERE id = $1', [releaseId])).rows[0];
    expect(row?.taken).toBe(1);
  });
});
