/**
 * Property (issue #11): any mix of takes (repeated people included) and withdrawals of one
 * release, sent at once — interleaved by PostgreSQL's 20 connections, or in some order on PGlite —
 * keeps taken ≤ doses, and taken = the OK answers = the release's confirmed leftover doses; nobody
 * gets two; a refusal is GONE only when the release was full or withdrawn, and ALREADY_TODAY only
 * for a person who won. Takes go straight to take_leftover (a one-dose take: no dose-2 day).
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { takeLeftover, type TakeCode } from '../../src/leftovers/sql.ts';
import { withdrawLeftover } from '../../src/staff/clinic-sql.ts';
import { newBookingNumber } from '../../src/booking/booking-number.ts';
import { withDbRetry } from '../../src/core/retry.ts';
import { onBothStores, TODAY, type LeftoverFixture } from './fixture.ts';

const PEOPLE = 6;

type Op = { kind: 'take'; person: number } | { kind: 'withdraw' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('take' as const), person: fc.nat(PEOPLE - 1) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'withdraw' as const }) },
);

onBothStores('leftover takes and withdrawals (property)', (fixture) => {
  let f: LeftoverFixture;
  beforeAll(() => {
    f = fixture();
  });

  const newPeople = async (): Promise<number[]> => {
    const r = await f.t.db.query<{ id: number }>(
      `INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone)
       SELECT $1 || g, '1980-01-01', 'M', false, '속성', '010-0000-0000' FROM generate_series(1, ${PEOPLE}) g RETURNING id`,
      [randomBytes(8).toString('hex')],
    );
    return r.rows.map((row) => Number(row.id));
  };

  it('taken ≤ doses and equals the winners, whatever the interleaving', async () => {
    const clinic = f.clinics[50]?.id as string;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(opArb, { minLength: 1, maxLength: 12 }), async (doses, ops) => {
        const people = await newPeople();
        const releaseId = await f.release(clinic, doses);
        const now = f.t.clock.now();
        const answers = await Promise.all(
          ops.map(async (op, i): Promise<{ op: Op; code: TakeCode | 'WITHDRAWN' }> => {
            if (op.kind === 'withdraw') {
              await withdrawLeftover(f.t.db, { clinicId: clinic, id: releaseId }, { staffId: null, name: 'test', actor: 'staff:admin-token' }, now);
              return { op, code: 'WITHDRAWN' };
            }
            const personId = people[op.person] as number;
            const { code } = await withDbRetry(() =>
              takeLeftover(f.t.db, {
                releaseId, personId, eligible: true, today: TODAY, day2: null, bookingNumber: newBookingNumber(),
                caller: `person:${personId}`, key: `prop-${releaseId}-${i}`, requestHash: 'h', keyTtlMs: 60_000, now,
              }),
            );
            return { op, code };
          }),
        );
        const row = (await f.t.db.query<{ taken: number; withdrawn: boolean }>(
          'SELECT taken, withdrawn_at IS NOT NULL AS withdrawn FROM leftover_release WHERE id = $1', [releaseId],
        )).rows[0];
        const live = await f.t.db.query<{ person_id: string }>(
          `SELECT r.person_id::text FROM reservation_dose d JOIN reservation r ON r.id = d.reservation_id
            WHERE d.leftover_release_id = $1 AND r.status = 'confirmed'`,
          [releaseId],
        );
        const winners = answers.filter((a) => a.code === 'OK').map((a) => (a.op.kind === 'take' ? people[a.op.person] : -1));
        expect(row?.taken).toBeLessThanOrEqual(doses);
        expect(row?.taken).toBe(winners.length);
        expect(live.rows.map((r) => Number(r.person_id)).sort()).toEqual([...winners].sort());
        expect(new Set(winners).size).toBe(winners.length);
        for (const a of answers) {
          if (a.code === 'GONE') expect(row?.taken === doses || row?.withdrawn).toBe(true);
          if (a.code === 'ALREADY_TODAY' && a.op.kind === 'take') expect(winners).toContain(people[a.op.person]);
          expect(['OK', 'GONE', 'ALREADY_TODAY', 'WITHDRAWN']).toContain(a.code);
        }
        // No withdrawal: the release fills as far as distinct people allow.
        if (!ops.some((o) => o.kind === 'withdraw')) {
          const distinct = new Set(ops.map((o) => (o.kind === 'take' ? o.person : -1))).size;
          expect(winners.length).toBe(Math.min(doses, distinct));
        }
      }),
      { numRuns: 25 },
    );
  }, 300_000);
});
