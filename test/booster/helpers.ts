/** The booster tests' store: korea-2021-08 (few clinics) and booster-2021-12 seeded from it. */
import { FakeClock } from '../../src/core/clock.ts';
import { seedScenario } from '../../src/scenarios/seed.ts';
import { createTestApp, TEST_KEYS, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/pg.ts';

export const BOOSTER = 'booster-2021-12';
export const CLINICS = 4;

/** A test app on PGlite (or PostgreSQL) holding both campaigns, its clock at `now`. */
export async function boosterApp(now: string, postgres = false): Promise<TestApp> {
  const database = postgres ? await createTestDatabase('yeyak_booster') : null;
  const t = await createTestApp({
    now,
    scenario: 'korea-2021-08',
    clinics: CLINICS,
    ...(database ? { databaseUrl: database.url } : {}),
    beforeBuild: async (db) => {
      await seedScenario(db, { scenario: 'booster-2021-12', clock: new FakeClock(now), seed: 7, clinics: CLINICS, rrnSecret: TEST_KEYS.rrnHashSecret });
    },
  });
  if (!database) return t;
  return { ...t, close: async () => { await t.close(); await database.drop(); } };
}
