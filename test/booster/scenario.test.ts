/**
 * The booster-2021-12 scenario (issue #11): seeded from korea-2021-08's bookings as given (seeding
 * korea-2021-08 first into a store that lacks it), deterministic for a seed, the invariants hold
 * after it, and `yeyak serve --scenario booster-2021-12` starts on an empty store and serves it.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.ts';
import type { Db } from '../../src/core/db.ts';
import { freePort } from '../../src/core/net.ts';
import { migrate } from '../../src/core/migrate.ts';
import { runAudit } from '../../src/operations/audit.ts';
import { seedScenario, type SeedSummary } from '../../src/scenarios/seed.ts';
import { BOOSTER_GIVEN_PEOPLE, BOOSTER_RECORD_PEOPLE } from '../../src/scenarios/booster.ts';
import { openEmptyPglite } from '../helpers/pglite-copies.ts';

const clock = new FakeClock('2021-12-10T10:00:00+09:00');
const SECRET = 'booster-scenario-test-key-not-secret-0123456789';

async function seeded(seed: number): Promise<{ db: Db; summary: SeedSummary }> {
  const db = await openEmptyPglite();
  await migrate(db);
  const summary = await seedScenario(db, { scenario: 'booster-2021-12', clock, seed, clinics: 3, rrnSecret: SECRET });
  return { db, summary };
}

/** What the scenario wrote, as counts and the seeded booking numbers and hashes (ordered). */
async function fingerprint(db: Db) {
  const one = async (sql: string) => (await db.query<{ v: unknown }>(sql)).rows.map((r) => r.v);
  return {
    campaigns: await one('SELECT id AS v FROM campaign ORDER BY id'),
    reservations: await one("SELECT count(*)::int AS v FROM reservation WHERE campaign_id = 'korea-2021-08'"),
    administered: await one("SELECT count(*)::int AS v FROM dose_outcome WHERE outcome = 'administered'"),
    records: await one('SELECT count(*)::int AS v FROM vaccination_record'),
    boosterSlots: await one("SELECT count(*)::int AS v FROM slot WHERE campaign_id = 'booster-2021-12'"),
    boosterCapacity: await one("SELECT sum(capacity)::int AS v FROM slot WHERE campaign_id = 'booster-2021-12'"),
    bookingNumbers: await one("SELECT string_agg(booking_number, ',' ORDER BY booking_number) AS v FROM reservation"),
    hashes: await one("SELECT md5(string_agg(rrn_hash, ',' ORDER BY rrn_hash)) AS v FROM vaccination_record"),
  };
}

describe('booster-2021-12 seeding', () => {
  let a: { db: Db; summary: SeedSummary };
  let b: { db: Db; summary: SeedSummary };
  beforeAll(async () => {
    a = await seeded(5);
    b = await seeded(5);
  }, 240_000);
  afterAll(async () => {
    await a?.db.close();
    await b?.db.close();
  });

  it('seeds korea-2021-08 first, then the booster; same seed → the same store', async () => {
    expect(a.summary).toMatchObject({ campaignId: 'booster-2021-12', seeded: ['korea-2021-08', 'booster-2021-12'], clinics: 3, earlierDosesGiven: BOOSTER_GIVEN_PEOPLE, vaccinationRecords: BOOSTER_RECORD_PEOPLE });
    expect(b.summary).toEqual(a.summary);
    const fa = await fingerprint(a.db);
    expect(fa).toMatchObject({ campaigns: ['booster-2021-12', 'korea-2021-08'], reservations: [BOOSTER_GIVEN_PEOPLE], administered: [2 * BOOSTER_GIVEN_PEOPLE], records: [BOOSTER_RECORD_PEOPLE] });
    expect(await fingerprint(b.db)).toEqual(fa);
  });

  it('given doses: dose 1 from 26 Aug to 30 Sep 2021, each administered on its day; the booster has one dose per slot, no dose 2', async () => {
    const r = await a.db.query<{ first: string; last: string; mismatched: number; dose2: number }>(
      `SELECT min(d.day)::text AS first, max(d.day)::text AS last,
              (SELECT count(*)::int FROM dose_outcome o JOIN reservation_dose x USING (reservation_id, dose) WHERE o.day <> x.day) AS mismatched,
              (SELECT count(*)::int FROM slot WHERE campaign_id = 'booster-2021-12' AND dose = 2) AS dose2
         FROM reservation_dose d WHERE d.dose = 1`,
    );
    expect(r.rows[0]).toEqual({ first: '2021-08-26', last: expect.stringMatching(/^2021-(08|09)-/), mismatched: 0, dose2: 0 });
    const vaccines = await a.db.query<{ vaccine_id: string }>("SELECT DISTINCT vaccine_id FROM campaign_vaccine_rule WHERE campaign_id = 'booster-2021-12' ORDER BY 1");
    expect(vaccines.rows.map((v) => v.vaccine_id)).toEqual(['moderna', 'pfizer']);
  });

  it('the invariants hold after seeding (slots, one reservation, dose 2, supply)', async () => {
    const audit = await runAudit(a.db, { clock });
    expect(audit.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('seeding it again is refused; into a store holding korea-2021-08 it adds only the booster', async () => {
    await expect(seedScenario(a.db, { scenario: 'booster-2021-12', clock, seed: 5, clinics: 3, rrnSecret: SECRET })).rejects.toThrow(/already exists/);
    const db = await openEmptyPglite();
    await migrate(db);
    try {
      await seedScenario(db, { scenario: 'korea-2021-08', clock, seed: 5, clinics: 3 });
      const s = await seedScenario(db, { scenario: 'booster-2021-12', clock, seed: 5, clinics: 3, rrnSecret: SECRET });
      expect(s.seeded).toEqual(['booster-2021-12']);
      expect(await fingerprint(db)).toEqual(await fingerprint(a.db));
    } finally {
      await db.close();
    }
  });

  it('without the RRN key it refuses before writing anything', async () => {
    const db = await openEmptyPglite();
    await migrate(db);
    try {
      await expect(seedScenario(db, { scenario: 'booster-2021-12', clock })).rejects.toThrow(/RRN key/);
      expect((await db.query('SELECT 1 FROM campaign')).rows).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

describe('yeyak serve --scenario booster-2021-12', () => {
  it('seeds an empty store (korea-2021-08 first) and serves the booster', async () => {
    const port = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(YEYAK_.*|DATABASE_URL|REDIS_URL|PORT|HOST|NODE_ENV)$/.test(k)));
    const child = spawn(process.execPath, ['bin/yeyak.js', 'serve', '--scenario', 'booster-2021-12', '--clinics', '3', '--port', String(port)], {
      env: { ...env, YEYAK_DATA_DIR: 'memory:', YEYAK_NOW: '2021-12-10T10:00:00+09:00', YEYAK_AUDIT_INTERVAL_MS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('yeyak is serving on')) resolve();
        });
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        void exited.then((code) => reject(new Error(`serve exited (${code}): ${out}`)));
      });
      expect(out).toContain('Seeded booster-2021-12');
      const campaigns = (await (await fetch(`http://127.0.0.1:${port}/api/v1/campaigns`)).json()) as { id: string; doses: number; openWindows: unknown[] }[];
      const booster = campaigns.find((c) => c.id === 'booster-2021-12');
      expect(booster).toMatchObject({ doses: 1 });
      expect(booster?.openWindows).toHaveLength(1);
      expect(campaigns.map((c) => c.id).sort()).toEqual(['booster-2021-12', 'korea-2021-08']);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 240_000);
});
