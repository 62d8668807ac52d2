/**
 * The sold-out notices (issue #11), straight on the store: one 'campaign.sold_out' row per person
 * admitted and not booked — main-line and pre-queue places alike — across batch boundaries,
 * written once however often the leader runs it; nobody waiting, nobody booked; nothing for a
 * queue-first campaign. PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { appOn, ENGINES } from '../campaigns/helpers.ts';
import { admittedPreNumbers, tellAdmittedSoldOut } from '../../src/waiting-room/sold-out.ts';
import type { Campaign } from '../../src/rules/campaign.ts';
import type { QueueState } from '../../src/waiting-room/store.ts';

describe.each(ENGINES)('sold-out notices on $name', ({ postgres }) => {
  let t: TestApp;
  let campaign: Campaign;
  const people: number[] = [];
  beforeAll(async () => {
    t = await appOn(postgres, { clinics: 1 });
    campaign = { ...(t.app.yeyak.campaigns.get('demo') as Campaign), queueEnabled: true, queueOrder: 'verify-first' };
    // 20 people: numbers 1–6 in the pre-queue, 1–14 on the main line.
    for (let i = 0; i < 20; i++) {
      const r = await t.db.query<{ id: string }>(
        `INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone) VALUES ($1, '1980-01-01', 'M', false, '테스트', '010-0000-0000') RETURNING id`,
        [`sold-out-notice-${i}`],
      );
      const id = Number(r.rows[0]?.id);
      people.push(id);
      const pre = i < 6;
      await t.db.query('INSERT INTO queue_person_ticket (campaign_id, person_id, seq, pre, issued_at) VALUES ($1, $2, $3, $4, now())', ['demo', id, pre ? i + 1 : i - 5, pre]);
    }
    // The 8th person (main-line number 2) has booked: a confirmed reservation of the campaign.
    const slot = (await t.db.query<{ id: string; clinic_id: string; day: string }>("SELECT id, clinic_id, day FROM slot WHERE campaign_id = 'demo' AND dose = 1 LIMIT 1")).rows[0];
    const res = await t.db.query<{ id: string }>(
      `INSERT INTO reservation (booking_number, campaign_id, person_id, clinic_id, status, created_at, updated_at) VALUES ('SOLDOUT-TEST-1', 'demo', $1, $2, 'confirmed', now(), now()) RETURNING id`,
      [people[7], slot?.clinic_id],
    );
    expect(res.rows.length).toBe(1);
  }, 120_000);
  afterAll(async () => t?.close());

  const told = async () => (await t.db.query<{ person_id: string }>("SELECT payload->>'personId' AS person_id FROM outbox WHERE topic = 'campaign.sold_out' ORDER BY id")).rows.map((r) => Number(r.person_id));

  it('admitted and not booked, across batches, once', async () => {
    // Frozen pre-queue of 6, shuffled; admitted up to position 10: 6 pre-queue places + main-line numbers 1–4.
    const state = { admittedUpTo: 10, preCount: 6, frozenPreCount: 6, shuffleSeed: 12345 } as QueueState;
    expect(admittedPreNumbers(state)).toBe('all');
    const now = t.clock.now();
    const written = await tellAdmittedSoldOut(t.db, campaign, state, now, 3);
    const expected = [...people.slice(0, 6), ...people.slice(6, 10).filter((p) => p !== people[7])];
    expect(written).toBe(expected.length);
    expect((await told()).sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
    expect(await tellAdmittedSoldOut(t.db, campaign, state, now, 3)).toBe(0);
    // The line moved on: only the newly admitted are told.
    const later = { ...state, admittedUpTo: 12 } as QueueState;
    expect(await tellAdmittedSoldOut(t.db, campaign, later, now, 4)).toBe(2);
    expect(new Set(await told()).size).toBe((await told()).length);
    // A part-admitted pre-queue: exactly the numbers the permutation places at or below the counter.
    const partial = { admittedUpTo: 3, preCount: 6, frozenPreCount: 6, shuffleSeed: 999 } as QueueState;
    const numbers = admittedPreNumbers(partial);
    expect(Array.isArray(numbers) && numbers.length).toBe(3);
  });

  it('nothing for a queue-first campaign (its places carry no person)', async () => {
    const before = (await told()).length;
    const state = { admittedUpTo: 100, preCount: 6, frozenPreCount: 6, shuffleSeed: 1 } as QueueState;
    expect(await tellAdmittedSoldOut(t.db, { ...campaign, queueOrder: 'queue-first' }, state, t.clock.now(), 3)).toBe(0);
    expect((await told()).length).toBe(before);
  });
});
