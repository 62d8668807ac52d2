/**
 * Bulk dose-2 moves on PGlite (issue #11): a dry run writes nothing; a move keeps every invariant
 * and is told once per person; days to avoid shift by the plan's rule; a range takes the first day
 * with room (or spreads); the people who do not fit are listed; a batch that throws before its
 * commit rolls back whole and a resume finishes the job without moving anyone twice.
 * The kill of a real process, and a live booking during a batch, are on PostgreSQL
 * (kill-resume.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { addDays, daysBetween } from '../../src/rules/time.ts';
import { RescheduleService } from '../../src/reschedule/service.ts';
import { parsePlan } from '../../src/reschedule/plan.ts';
import { candidateDays } from '../../src/reschedule/candidates.ts';
import { YeyakError } from '../../src/core/errors.ts';
import { openPglite, type PgliteDb } from '../../src/core/db.ts';
import { bookBulk } from '../operations/audit-bulk.ts';
import { demoPlan, expectInvariants, storeFingerprint, TODAY } from './fixture.ts';

describe('bulk dose-2 moves on PGlite', () => {
  let t: TestApp;
  let service: RescheduleService;
  /** Each test works on a store copy rolled back to this state: the moves of one don't feed the next. */
  let base: Blob;
  const opened: PgliteDb[] = [];

  /** A copy of the booked store, for a test whose moves must not meet another's. */
  async function freshService(): Promise<{ db: PgliteDb; service: RescheduleService }> {
    const db = await openPglite('memory:', { loadDataDir: base });
    opened.push(db);
    return { db, service: new RescheduleService(db, t.clock) };
  }

  beforeAll(async () => {
    t = await createTestApp({ clinics: 3 });
    expect(await bookBulk(t.db, 'demo', 150, 'RS')).toBe(150);
    service = new RescheduleService(t.db, t.clock);
    base = await (t.db as PgliteDb).dumpDataDir();
  }, 120_000);

  afterAll(async () => {
    for (const db of opened) await db.close();
    await t?.close();
  });

  /** Reservations in the demo plan's scope (dose 1 on +1…+7). */
  async function inScope(): Promise<number> {
    const r = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM reservation r JOIN reservation_dose d ON d.reservation_id = r.id AND d.dose = 1
        WHERE r.status = 'confirmed' AND d.day BETWEEN $1 AND $2`,
      [addDays(TODAY, 1), addDays(TODAY, 7)],
    );
    return r.rows[0]?.n ?? 0;
  }

  it('a plan is refused with every field and its stable code', async () => {
    expect(parsePlan({ campaignId: 'demo', dose1From: '2026-02-30', dose1To: '2026-01-01', interval: { minDays: 42, maxDays: 35 }, pick: 'most', batchSize: 0, shiftDays: 0, extra: 1 })).toEqual({
      ok: false,
      issues: [
        { field: 'extra', code: 'UNKNOWN_FIELD' },
        { field: 'vaccineId', code: 'REQUIRED' },
        { field: 'dose1From', code: 'FORMAT' },
        { field: 'interval.maxDays', code: 'ORDER' },
        { field: 'pick', code: 'FORMAT' },
        { field: 'shiftDays', code: 'RANGE' },
        { field: 'batchSize', code: 'RANGE' },
      ],
    });
    const e = await service.validate(demoPlan({ campaignId: 'nope', vaccineId: 'nope', clinicIds: ['C000001', 'C999999'] })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(YeyakError);
    expect((e as YeyakError).code).toBe('YEYAK_E_RESCHEDULE_PLAN_INVALID');
    expect((e as YeyakError).details).toEqual({ errors: [{ field: 'campaignId', code: 'UNKNOWN' }, { field: 'vaccineId', code: 'UNKNOWN' }, { field: 'clinicIds[1]', code: 'UNKNOWN' }] });
  });

  it('the plan days: a range in order, a day to avoid shifted by the rule (5 days earlier), repeats dropped', () => {
    const parsed = parsePlan(demoPlan({ dose1From: '2021-08-16', dose1To: '2021-08-16', interval: { minDays: 35, maxDays: 37 }, avoidDays: ['2021-09-21'], shiftDays: -5 }));
    if (!parsed.ok) throw new Error('plan');
    // 16 Aug + 35 = 20 Sep, + 36 = 21 Sep (Chuseok: → 16 Sep), + 37 = 22 Sep
    expect(candidateDays(parsed.plan)).toEqual([
      { day1: '2021-08-16', rank: 1, day2: '2021-09-20' },
      { day1: '2021-08-16', rank: 2, day2: '2021-09-16' },
      { day1: '2021-08-16', rank: 3, day2: '2021-09-22' },
    ]);
  });

  it('a dry run counts what would move and writes nothing', async () => {
    const before = await storeFingerprint(t.db);
    const dry = await service.dryRun(demoPlan());
    expect(await storeFingerprint(t.db)).toEqual(before);
    expect(dry.total).toBe(await inScope());
    expect(dry.moved + dry.unfit + dry.skipped).toBe(dry.total);
    expect(dry.moved).toBeGreaterThan(0);
    expect(dry.movedPerDay.reduce((n, d) => n + d.moved, 0)).toBe(dry.moved);
    for (const d of dry.movedPerDay) expect(daysBetween(TODAY, d.day)).toBeGreaterThanOrEqual(29);
    // The real run then does what the dry run said (nothing else changed in between).
    const job = await service.create(demoPlan(), 'test');
    expect(await service.run(job.id)).toBe('done');
    const done = await service.job(job.id);
    expect({ moved: done?.moved, unfit: done?.unfit, skipped: done?.skipped }).toEqual({ moved: dry.moved, unfit: dry.unfit, skipped: dry.skipped });
    expect(await service.movedPerDay(job.id)).toEqual(dry.movedPerDay);
    await expectInvariants(t.db, t.clock, job.id, { moved: done?.moved ?? -1, unfit: done?.unfit ?? -1 });
  });

  it('a day to avoid is shifted by the plan rule; nobody lands on it', async () => {
    const { db, service } = await freshService();
    // dose 1 on +3 → +31; +31 avoided, shifted -2 → +29 (where dose 1 of +8 has its dose 2 today)
    const avoid = addDays(TODAY, 31);
    const plan = demoPlan({ dose1From: addDays(TODAY, 3), dose1To: addDays(TODAY, 3), avoidDays: [avoid], shiftDays: -2 });
    const job = await service.create(plan, 'test');
    expect(await service.run(job.id)).toBe('done');
    const done = await service.job(job.id);
    expect(done?.moved).toBeGreaterThan(0);
    expect(await service.movedPerDay(job.id)).toEqual([{ day: addDays(TODAY, 29), moved: done?.moved }]);
    const on = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM reservation_dose WHERE dose = 2 AND moved_job_id = $1 AND day = $2`, [job.id, avoid]);
    expect(on.rows[0]?.n).toBe(0);
    await expectInvariants(db, t.clock, job.id, { moved: done?.moved ?? -1, unfit: done?.unfit ?? -1 });
  });

  it('a range takes the first day with room, and the rest are listed as unfit when every day is full', async () => {
    const { db, service } = await freshService();
    // Dose 1 on +1 at C000001, 35–37 days: +36, +37, +38. Leave room for 2 on +36 and 1 on +37, none on +38.
    const day1 = addDays(TODAY, 1);
    const clinic = 'C000001';
    const people = (await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM reservation r JOIN reservation_dose d ON d.reservation_id = r.id AND d.dose = 1 WHERE d.day = $1 AND d.clinic_id = $2`, [day1, clinic],
    )).rows[0]?.n ?? 0;
    expect(people).toBeGreaterThanOrEqual(3);
    // Shrink the three slots to leave that room (capacity and the delivery's allocation follow, so the books still balance).
    for (const [offset, room] of [[36, 1], [37, 1], [38, 0]] as const) {
      const at = [clinic, addDays(TODAY, offset), room];
      await db.query(`UPDATE supply p SET allocated = p.allocated - (s.remaining - $3) FROM slot s WHERE s.supply_id = p.id AND s.clinic_id = $1 AND s.day = $2 AND s.dose = 2`, at);
      await db.query(`UPDATE slot SET capacity = capacity - remaining + $3, remaining = $3 WHERE clinic_id = $1 AND day = $2 AND dose = 2`, at);
    }
    const job = await service.create(demoPlan({ dose1From: day1, dose1To: day1, clinicIds: [clinic], interval: { minDays: 35, maxDays: 37 }, batchSize: 2 }), 'test');
    expect(await service.run(job.id)).toBe('done');
    const done = await service.job(job.id);
    expect({ moved: done?.moved, unfit: done?.unfit, skipped: done?.skipped, total: done?.total }).toEqual({ moved: 2, unfit: people - 2, skipped: 0, total: people });
    expect(await service.movedPerDay(job.id)).toEqual([{ day: addDays(TODAY, 36), moved: 1 }, { day: addDays(TODAY, 37), moved: 1 }]);
    // The unfit are listed with the day they keep.
    const unfit = await service.unfit(job.id, 100);
    expect(unfit).toHaveLength(people - 2);
    expect(new Set(unfit.map((u) => u.reason))).toEqual(new Set(['FULL']));
    expect(new Set(unfit.map((u) => u.day2))).toEqual(new Set([addDays(TODAY, 22)]));
    await expectInvariants(db, t.clock, job.id, { moved: 2, unfit: people - 2 });
  });

  it('spread: the moves fill the range evenly instead of the first day first', async () => {
    const { db, service } = await freshService();
    const job = await service.create(demoPlan({ dose1From: addDays(TODAY, 1), dose1To: addDays(TODAY, 1), interval: { minDays: 28, maxDays: 31 }, pick: 'spread', batchSize: 50 }), 'test');
    expect(await service.run(job.id)).toBe('done');
    const done = await service.job(job.id);
    const days = await service.movedPerDay(job.id);
    expect(days.map((d) => d.day)).toEqual([29, 30, 31, 32].map((n) => addDays(TODAY, n)));
    const counts = days.map((d) => d.moved);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(Math.ceil((done?.moved ?? 0) / 4));
    await expectInvariants(db, t.clock, job.id, { moved: done?.moved ?? -1, unfit: done?.unfit ?? -1 });
  });

  it('a batch that throws before its commit moves nobody; the resume finishes without moving anyone twice', async () => {
    const { db, service } = await freshService();
    const job = await service.create(demoPlan({ batchSize: 5 }), 'test');
    const crash = new Error('killed inside batch 3');
    await expect(service.run(job.id, { inBatch: async (_tx, n) => { if (n === 3) throw crash; } })).rejects.toBe(crash);
    const failed = await service.job(job.id);
    expect(failed?.state).toBe('failed');
    expect(failed?.batches).toBe(2); // batch 3 rolled back whole
    expect(failed?.examined).toBe(10);
    await expectInvariants(db, t.clock, job.id, { moved: failed?.moved ?? -1, unfit: failed?.unfit ?? -1 });
    // Paused by an operator between batches, then resumed to the end.
    expect(await service.resume(job.id)).not.toBeNull();
    expect(await service.run(job.id, { batchesMax: 1 })).toBe('paused');
    expect((await service.job(job.id))?.state).toBe('paused');
    expect(await service.run(job.id)).toBe('not_runnable');
    await service.resume(job.id);
    expect(await service.run(job.id)).toBe('done');
    const done = await service.job(job.id);
    expect(done?.state).toBe('done');
    expect(done?.examined).toBe(done?.total);
    await expectInvariants(db, t.clock, job.id, { moved: done?.moved ?? -1, unfit: done?.unfit ?? -1 });
    // A second job on the same plan finds everyone already on a plan day: skipped, nobody told again.
    const again = await service.create(demoPlan({ batchSize: 5 }), 'test');
    expect(await service.run(again.id)).toBe('done');
    expect(await service.job(again.id)).toMatchObject({ moved: 0, skipped: (done?.moved ?? 0) + (done?.skipped ?? 0) });
  });
});
