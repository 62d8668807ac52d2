/**
 * The capacity import's all-or-nothing rule as a property (issue #9): for any file of good and bad
 * rows (shuffled quoting, blank lines between rows), a file with at least one bad row answers 422,
 * lists every bad row by the row a spreadsheet shows it on, and leaves every slot and supply row
 * as it was; a file of good rows only sets exactly the capacities it names, dose 2 stays the sum
 * of its dose-1 days and supply the sum of its slots.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { dose2Day } from '../../src/rules/dose-dates.ts';
import { appOn, capacitySnapshot, csvPost } from './helpers.ts';

const BAD_KINDS = ['clinic', 'date', 'outside', 'vaccine', 'negative', 'fraction', 'fields', 'duplicate'] as const;
type BadKind = (typeof BAD_KINDS)[number];

interface Ask {
  clinic: number;
  day: number;
  /** The new capacity as a fraction of the current one (lowering never needs more supply). */
  share: number;
  bad: BadKind | null;
  quoted: boolean;
  blankBefore: boolean;
}

const askArb: fc.Arbitrary<Ask> = fc.record({
  clinic: fc.nat(2),
  day: fc.nat(20),
  share: fc.double({ min: 0, max: 1, noNaN: true }),
  // Mostly good rows, so that both sides of the property (some bad row / all good) are exercised.
  bad: fc.oneof({ arbitrary: fc.constant(null), weight: 6 }, { arbitrary: fc.constantFrom(...BAD_KINDS), weight: 1 }),
  quoted: fc.boolean(),
  blankBefore: fc.boolean(),
});

const replay: fc.Parameters<unknown> = process.env.FC_SEED
  ? { seed: Number(process.env.FC_SEED), ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}) }
  : {};

interface Slot1 {
  clinic_id: string;
  day: string;
  capacity: number;
}

function line(a: Ask, slot: Slot1, previousKey: string | null): string[] {
  const capacity = String(Math.floor(a.share * slot.capacity));
  const fields: Record<BadKind | 'good', string[]> = {
    good: [slot.clinic_id, slot.day, 'pfizer', capacity],
    clinic: ['C777777', slot.day, 'pfizer', capacity],
    date: [slot.clinic_id, '2026-11-31', 'pfizer', capacity],
    outside: [slot.clinic_id, '2027-06-01', 'pfizer', capacity],
    vaccine: [slot.clinic_id, slot.day, 'moderna', capacity],
    negative: [slot.clinic_id, slot.day, 'pfizer', '-3'],
    fraction: [slot.clinic_id, slot.day, 'pfizer', '1.5'],
    fields: [slot.clinic_id, slot.day, 'pfizer'],
    duplicate: previousKey ? [...previousKey.split('|'), capacity] : ['C777777', slot.day, 'pfizer', capacity],
  };
  return fields[a.bad ?? 'good'];
}

describe('capacity import, any file: one bad row imports nothing (PGlite)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appOn(false, { clinics: 3 });
  }, 120_000);
  afterAll(async () => t?.close());

  it('422 naming every bad row and nothing changed; or, all good, exactly the named capacities', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(askArb, { minLength: 1, maxLength: 12 }), async (asks) => {
        runs++;
        const slots = (await t.db.query<Slot1>("SELECT clinic_id, day, capacity FROM slot WHERE campaign_id = 'demo' AND dose = 1 ORDER BY clinic_id, day")).rows;
        const clinics = [...new Set(slots.map((s) => s.clinic_id))];
        const lines = ['clinic_id,date,vaccine,capacity'];
        const badRows: number[] = [];
        const wanted = new Map<string, number>();
        // The importer calls a row a duplicate when an earlier row (good or not) named the same clinic, day and vaccine.
        const keysSeen = new Set<string>();
        let previousKey: string | null = null;
        for (const a of asks) {
          const days = slots.filter((s) => s.clinic_id === clinics[a.clinic]);
          const slot = days[a.day % days.length] as Slot1;
          if (a.blankBefore) lines.push('');
          const fields = line(a, slot, previousKey);
          lines.push(fields.map((f) => (a.quoted ? `"${f}"` : f)).join(','));
          const key = fields.slice(0, 3).join('|');
          const duplicate = fields.length === 4 && keysSeen.has(key);
          if (fields.length === 4) keysSeen.add(key);
          if (a.bad === null && !duplicate) {
            wanted.set(key, Number(fields[3]));
            previousKey = key;
          } else badRows.push(lines.length);
        }
        const before = await capacitySnapshot(t.db, 'demo');
        const res = await csvPost(t, 'demo', 'capacity', `${lines.join('\n')}\n`);
        if (badRows.length > 0) {
          expect(res.statusCode, res.body).toBe(422);
          const reported = new Set((res.json() as { error: { details: { errors: { row: number }[] } } }).error.details.errors.map((e) => e.row));
          for (const row of badRows) expect(reported.has(row), `row ${row} not reported: ${res.body}`).toBe(true);
          expect(await capacitySnapshot(t.db, 'demo')).toBe(before);
          return;
        }
        expect(res.statusCode, res.body).toBe(200);
        await expectInvariants(t, wanted);
      }),
      { numRuns: 40, ...replay },
    );
    expect(runs).toBeGreaterThanOrEqual(replay.path ? 1 : 40);
  }, 300_000);
});

async function expectInvariants(t: TestApp, wanted: ReadonlyMap<string, number>): Promise<void> {
  const slots = (await t.db.query<{ clinic_id: string; day: string; dose: number; capacity: number; remaining: number }>(
    "SELECT clinic_id, day, dose, capacity, remaining FROM slot WHERE campaign_id = 'demo'",
  )).rows;
  const dose1 = slots.filter((s) => s.dose === 1);
  for (const [key, capacity] of wanted) {
    const [clinicId, day] = key.split('|');
    expect(dose1.find((s) => s.clinic_id === clinicId && s.day === day)?.capacity).toBe(capacity);
  }
  // Dose 2 = the sum of the dose-1 capacity whose dose-2 day it is (demo: +21 days, no blackouts).
  for (const s2 of slots.filter((s) => s.dose === 2)) {
    const sum = dose1.filter((s) => s.clinic_id === s2.clinic_id && dose2Day(s.day, 21, [], -1) === s2.day).reduce((n, s) => n + s.capacity, 0);
    expect(s2.capacity, `${s2.clinic_id} ${s2.day}`).toBe(sum);
  }
  const supply = await t.db.query<{ allocated: number; slots: number }>(
    "SELECT p.allocated, (SELECT coalesce(sum(capacity), 0)::int FROM slot s WHERE s.supply_id = p.id) AS slots FROM supply p WHERE p.campaign_id = 'demo'",
  );
  for (const p of supply.rows) expect(p.allocated).toBe(p.slots);
}
