/**
 * Joining the waiting room of a closed campaign is refused with when it opens (issue #7): closed =
 * no window open now and the next opening more than the join lead away (default 1 h), or none at
 * all. Joins within the lead before the first opening still form the pre-queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { closedForJoin } from '../../src/rules/join-window.ts';
import { korea202108Campaign } from '../../src/rules/korea-2021-08.ts';

const CAMPAIGN = 'korea-2021-08';
const HOUR_MS = 3_600_000;
let t: TestApp;
let serial = 8800;

beforeAll(async () => {
  t = await createTestApp({ scenario: CAMPAIGN, clinics: 10, now: '2021-08-09T18:00:00+09:00', config: { joinPerIpPerMin: 1_000_000 } });
});
afterAll(() => t?.close());

async function joinAt(at: string, born = '1990-08-19') {
  t.clock.set(at);
  const token = await t.login(syntheticRrn(born, serial++));
  return t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${CAMPAIGN}/queue`, headers: { authorization: `Bearer ${token}` } });
}

async function issued(): Promise<number> {
  const s = await t.app.yeyak.waitingRoom.store.read(CAMPAIGN);
  return s.lastSeq + s.preCount;
}

describe('POST /campaigns/{id}/queue on a closed campaign', () => {
  it('more than an hour before the first opening → 409 YEYAK_E_CAMPAIGN_CLOSED {opensAt, joinFrom}; nothing is issued', async () => {
    const before = await issued();
    const res = await joinAt('2021-08-09T18:59:59+09:00');
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'YEYAK_E_CAMPAIGN_CLOSED',
      details: { opensAt: '2021-08-09T20:00:00+09:00', joinFrom: '2021-08-09T19:00:00+09:00' },
    });
    // The message says when, too (red-team finding, issue #7).
    expect(res.json().error.message).toContain('from 2021-08-09T19:00:00+09:00');
    expect(await issued()).toBe(before);
  });

  it('from an hour before the first opening the pre-queue forms (201, no position until the shuffle)', async () => {
    const res = await joinAt('2021-08-09T19:00:00+09:00');
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ position: null, opening: expect.any(String) });
  });

  it('between two windows (18:00–20:00): closed until 19:00, then joins are taken again', async () => {
    const early = await joinAt('2021-08-10T18:30:00+09:00');
    expect(early.statusCode, early.body).toBe(409);
    expect(early.json().error.details).toEqual({ opensAt: '2021-08-10T20:00:00+09:00', joinFrom: '2021-08-10T19:00:00+09:00' });
    // Someone whose window is the one about to open (born on the 10th/20th/30th).
    expect((await joinAt('2021-08-10T19:30:00+09:00', '1990-08-20')).statusCode).toBe(201);
    // Someone whose window has passed is refused personally (issue #7: no place for who cannot book).
    expect((await joinAt('2021-08-10T19:30:00+09:00')).json().error.code).toBe('YEYAK_E_WINDOW_CLOSED');
    expect((await joinAt('2021-08-10T17:59:59+09:00')).statusCode).toBe(201); // window 1 still open
  });

  it('after the last window → 409 with opensAt null and when it ended', async () => {
    const res = await joinAt('2021-09-18T18:00:00+09:00');
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.details).toEqual({ opensAt: null, joinFrom: null, endedAt: '2021-09-18T18:00:00+09:00' });
  });
});

describe('closedForJoin (the rule, with a configured lead)', () => {
  const c = korea202108Campaign();
  const opening = Date.parse('2021-08-09T20:00:00+09:00');
  it.each([
    { leadMs: 0, at: opening - 1, closed: true },
    { leadMs: 0, at: opening, closed: false },
    { leadMs: 2 * HOUR_MS, at: opening - 2 * HOUR_MS, closed: false },
    { leadMs: 2 * HOUR_MS, at: opening - 2 * HOUR_MS - 1, closed: true },
  ])('lead $leadMs ms, $at → closed $closed', ({ leadMs, at, closed }) => {
    expect(closedForJoin(c, at, leadMs) !== null).toBe(closed);
  });
});
