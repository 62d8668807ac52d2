/**
 * Security review of the citizens' leftover doses (issue #11), as an attacker would try them:
 * - the take is not behind the waiting room, so one verified person with a script could call
 *   take_leftover (a row lock on the hot release) as fast as the network allows: it is limited
 *   per person (whatever their sessions or addresses), and one person's limit is not another's;
 * - the public list is cached per region and campaign: made-up campaign ids must not turn every
 *   request into a query (nor flush everyone's cache when the cache fills) — none is asked;
 * - another person's Idempotency-Key never replays that person's booking;
 * - the public list names no person and no booking.
 */
import { beforeAll, expect, it } from 'vitest';
import { LEFTOVER_TAKES_PER_PERSON_PER_MIN } from '../../src/leftovers/routes.ts';
import { addStaff } from '../../src/staff/staff.ts';
import { TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { API, bearer, expectError, NOW, onBothStores, type LeftoverFixture } from '../leftovers/fixture.ts';

onBothStores('leftovers under attack', (fixture) => {
  let f: LeftoverFixture;
  beforeAll(() => {
    f = fixture();
  });

  it(`a person's takes are limited to ${LEFTOVER_TAKES_PER_PERSON_PER_MIN} a minute (fresh keys, new sessions alike) → 429 RATE_LIMITED; another person from the same address is not`, async () => {
    const clinic = f.clinics[3]?.id as string;
    const releaseId = await f.release(clinic, 1);
    const winner = await f.citizen();
    expect((await f.take(winner, releaseId)).statusCode).toBe(201);
    const bot = await f.citizen();
    for (let i = 0; i < LEFTOVER_TAKES_PER_PERSON_PER_MIN - 1; i++) expectError(await f.take(bot, releaseId, `bot-key-${i}`), 409, 'YEYAK_E_LEFTOVER_GONE');
    // A second session of the same person (verified again) shares the person's limit.
    await f.at(new Date(f.t.clock.nowMs()).toISOString(), bot);
    expectError(await f.take(bot, releaseId, 'bot-key-last'), 409, 'YEYAK_E_LEFTOVER_GONE');
    expectError(await f.take(bot, releaseId, 'bot-key-over'), 429, 'YEYAK_E_RATE_LIMITED');
    const other = await f.citizen();
    expectError(await f.take(other, releaseId, 'other-key-1'), 409, 'YEYAK_E_LEFTOVER_GONE');
  });

  it("made-up campaign ids on the public list → [] without a query; the region's cached list stays cached", async () => {
    const clinic = f.clinics[4];
    if (!clinic) throw new Error('no clinic');
    await f.release(clinic.id, 2);
    const first = await f.t.app.inject({ method: 'GET', url: `${API}/leftovers?region=${clinic.sigungu}` });
    expect(first.statusCode, first.body).toBe(200);
    let listQueries = 0;
    const query = f.t.db.query.bind(f.t.db);
    f.t.db.query = ((text: string, params?: unknown[]) => {
      if (typeof text === 'string' && text.includes('FROM g')) listQueries++;
      return query(text, params);
    }) as typeof f.t.db.query;
    try {
      for (let i = 0; i < 50; i++) {
        const res = await f.t.app.inject({ method: 'GET', url: `${API}/leftovers?region=${clinic.sigungu}&campaign=nope-${i}` });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toEqual([]);
      }
      const again = await f.t.app.inject({ method: 'GET', url: `${API}/leftovers?region=${clinic.sigungu}` });
      expect(again.json()).toEqual(first.json());
      expect(listQueries).toBe(0);
    } finally {
      f.t.db.query = query;
    }
  });

  it("another person's Idempotency-Key takes their own dose or is refused, never answers with the first person's booking", async () => {
    const releaseId = await f.release(f.clinics[5]?.id as string, 2);
    const a = await f.citizen();
    const b = await f.citizen();
    const first = await f.take(a, releaseId, 'shared-key-0001');
    expect(first.statusCode, first.body).toBe(201);
    const second = await f.take(b, releaseId, 'shared-key-0001');
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json().bookingNumber).not.toBe(first.json().bookingNumber);
  });

  it('the public list carries no person, phone, booking number or taken count', async () => {
    const clinic = f.clinics[6];
    if (!clinic) throw new Error('no clinic');
    await f.release(clinic.id, 3);
    const res = await f.t.app.inject({ method: 'GET', url: `${API}/leftovers?region=${clinic.sido}` });
    expect(res.statusCode).toBe(200);
    const keys = new Set((res.json() as Record<string, unknown>[]).flatMap((r) => Object.keys(r)));
    expect([...keys].sort()).toEqual(['campaignId', 'clinicId', 'clinicName', 'dosesLeft', 'nearby', 'releaseId', 'sidoCode', 'sigunguCode', 'until', 'vaccineEn', 'vaccineId', 'vaccineKo']);
  });

  it('a staff credential (an agent, the operator) is no citizen session: take → 401, nothing taken', async () => {
    const releaseId = await f.release(f.clinics[7]?.id as string, 2);
    const agent = await addStaff(f.t.db, { role: 'agent', clinicId: null, name: '콜센터 상담원' }, f.t.clock.now());
    for (const token of [agent.token, TEST_ADMIN_TOKEN]) {
      const res = await f.t.app.inject({ method: 'POST', url: `${API}/leftovers/${releaseId}/reservations`, headers: { ...bearer(token), 'idempotency-key': `staff-${token.slice(0, 8)}` } });
      expect(res.statusCode, res.body).toBe(401);
    }
    expect((await f.t.db.query<{ taken: number }>('SELECT taken FROM leftover_release WHERE id = $1', [releaseId])).rows[0]?.taken).toBe(0);
  });

  it('the no-show ban survives cancelling the missed booking first', async () => {
    const clinic = f.clinics[8]?.id as string;
    const c = await f.citizen();
    const missed = await f.book(c, clinic, '2026-11-28');
    await f.at('2026-11-28T17:00:00+09:00', c);
    try {
      const ns = await f.t.app.inject({ method: 'PUT', url: `${API}/admin/clinics/${clinic}/doses/${missed}/1`, headers: bearer(TEST_ADMIN_TOKEN), payload: { outcome: 'no_show' } });
      expect(ns.statusCode, ns.body).toBe(200);
      // Whether the cancel is allowed or not (past its window), the ban stays.
      await f.t.app.inject({ method: 'DELETE', url: `${API}/reservations/${missed}`, headers: { ...bearer(c.token), 'idempotency-key': `cancel-${missed}` } });
      const releaseId = await f.release(clinic, 2, '18:00');
      expectError(await f.take(c, releaseId), 403, 'YEYAK_E_LEFTOVER_BARRED');
    } finally {
      await f.at(NOW);
    }
  });
});
