import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openDb, type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { seedScenario } from '../../src/scenarios/seed.ts';
import { loadCampaigns } from '../../src/campaigns/store.ts';
import { AvailabilityView } from '../../src/availability/view.ts';
import { createTestDatabase } from '../helpers/pg.ts';
import { openEmptyPglite } from '../helpers/pglite-copies.ts';

const clock = new FakeClock('2026-11-26T12:00:00+09:00');

async function firstSlots(db: Db, n: number) {
  const r = await db.query<{ id: number; clinic_id: string; day: string; remaining: number }>(
    `SELECT id, clinic_id, day, remaining FROM slot WHERE campaign_id = 'demo' AND dose = 1 ORDER BY id LIMIT $1`,
    [n],
  );
  return r.rows;
}

describe('availability view on PGlite', () => {
  let db: Db;
  let view: AvailabilityView;
  let monotonic = 0;
  beforeAll(async () => {
    db = await openEmptyPglite();
    await migrate(db);
    await seedScenario(db, { scenario: 'demo', clock, seed: 3, clinics: 20 });
    view = new AvailabilityView(db, { refreshMs: 500, overlapMs: 6_000, monotonicMs: () => monotonic });
    await view.load(await loadCampaigns(db));
  });
  afterAll(async () => db?.close());

  it('follows changes committed after the load, and counts dose 2 behind each date', async () => {
    const [a] = await firstSlots(db, 1);
    if (!a) throw new Error('no slot');
    const before = view.dates('demo', a.clinic_id, '2000-01-01')?.find((d) => d.date === a.day)?.remaining;
    expect(before).toBe(a.remaining);
    await db.query('UPDATE slot SET remaining = remaining - 3 WHERE id = $1', [a.id]);
    monotonic += 500;
    expect(await view.refresh()).toBeGreaterThan(0);
    expect(view.dates('demo', a.clinic_id, '2000-01-01')?.find((d) => d.date === a.day)?.remaining).toBe(a.remaining - 3);
    // Emptying the dose-2 slot behind that date makes the date unbookable.
    await db.query(
      `UPDATE slot s2 SET remaining = 0 FROM slot s1
       WHERE s1.id = $1 AND s2.campaign_id = s1.campaign_id AND s2.clinic_id = s1.clinic_id AND s2.dose = 2
         AND s2.day = s1.day + 21`,
      [a.id],
    );
    monotonic += 500;
    await view.refresh();
    expect(view.dates('demo', a.clinic_id, '2000-01-01')?.find((d) => d.date === a.day)?.remaining).toBe(0);
  });
});

describe('availability view feed pruning', () => {
  it('deletes only rows far behind the newest, and keeps following changes after', async () => {
    const db = await openEmptyPglite();
    try {
      await migrate(db);
      await seedScenario(db, { scenario: 'demo', clock, seed: 3, clinics: 5 });
      let monotonic = 0;
      const view = new AvailabilityView(db, { refreshMs: 500, overlapMs: 6_000, monotonicMs: () => monotonic });
      await view.load(await loadCampaigns(db));
      const [a] = await firstSlots(db, 1);
      if (!a) throw new Error('no slot');
      for (let i = 0; i < 10; i++) await db.query('UPDATE slot SET remaining = remaining - 1 WHERE id = $1', [a.id]);
      monotonic += 500;
      await view.refresh();
      expect(await view.prune(4)).toBe(6);
      const left = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM slot_change');
      expect(left.rows[0]?.n).toBe(4);
      await db.query('UPDATE slot SET remaining = remaining - 1 WHERE id = $1', [a.id]);
      monotonic += 500;
      await view.refresh();
      expect(view.dates('demo', a.clinic_id, '2000-01-01')?.find((d) => d.date === a.day)?.remaining).toBe(a.remaining - 11);
      expect(await view.prune()).toBe(0); // far fewer rows than the default keep
    } finally {
      await db.close();
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)('availability view on PostgreSQL', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let url: string;
  let monotonic = 0;
  beforeAll(async () => {
    ({ url, drop } = await createTestDatabase());
    db = await openDb({ databaseUrl: url, dataDir: 'memory:' });
    await migrate(db);
    await seedScenario(db, { scenario: 'demo', clock, seed: 3, clinics: 20 });
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('does not lose a change whose transaction took its seq first but committed last', async () => {
    const view = new AvailabilityView(db, { refreshMs: 500, overlapMs: 6_000, monotonicMs: () => monotonic });
    await view.load(await loadCampaigns(db));
    const [x, y] = await firstSlots(db, 2);
    if (!x || !y) throw new Error('no slots');
    const slow = new pg.Client({ connectionString: url });
    const fast = new pg.Client({ connectionString: url });
    await slow.connect();
    await fast.connect();
    try {
      await slow.query('BEGIN');
      await slow.query('UPDATE slot SET remaining = remaining - 1 WHERE id = $1', [x.id]); // takes seq n
      await fast.query('UPDATE slot SET remaining = remaining - 2 WHERE id = $1', [y.id]); // seq n+1, commits first
      monotonic += 500;
      await view.refresh();
      const at = (s: typeof x) => view.dates('demo', s.clinic_id, '2000-01-01')?.find((d) => d.date === s.day)?.remaining;
      expect(at(y)).toBe(y.remaining - 2);
      expect(at(x)).toBe(x.remaining);
      await slow.query('COMMIT');
      monotonic += 500;
      await view.refresh();
      expect(at(x)).toBe(x.remaining - 1);
      expect(at(y)).toBe(y.remaining - 2);
    } finally {
      await slow.end();
      await fast.end();
    }
  });
});
