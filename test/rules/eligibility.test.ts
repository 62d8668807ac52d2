import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { korea202108Campaign } from '../../src/rules/korea-2021-08.ts';
import type { Campaign, PersonFacts } from '../../src/rules/campaign.ts';
import { evaluateEligibility, type EligibilityReason } from '../../src/rules/eligibility.ts';
import { currentWindowFor, nextWindowFor, openWindows, windowAdmits } from '../../src/rules/windows.ts';

const person = (birthDate: string): PersonFacts => ({ birthDate, sex: 'F', foreignResident: false });

function evaluate(c: Campaign, birthDate: string, at: string, opts: { inRoster?: boolean; alreadyBooked?: boolean } = {}) {
  return evaluateEligibility({
    campaign: c,
    person: person(birthDate),
    inRoster: opts.inRoster ?? false,
    alreadyBooked: opts.alreadyBooked ?? false,
    now: new Date(at),
  });
}

/** The August day whose window admits a person born on day 1..31 (index 0 = born on the 1st). */
const WINDOW_DAY_FOR_BIRTH_DAY = [
  11, 12, 13, 14, 15, 16, 17, 18, 9, 10, // 1st–10th
  11, 12, 13, 14, 15, 16, 17, 18, 9, 10, // 11th–20th
  11, 12, 13, 14, 15, 16, 17, 18, 9, 10, // 21st–30th
  11, // 31st
];
const pad = (n: number) => String(n).padStart(2, '0');
const ROTATION_DAYS = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18];

interface Expect {
  reasons: EligibilityReason[];
  windowSeq?: number;
  nextOpensAt?: string;
}

/** [what, birth date, instant, expected] — instants carry the Seoul offset, so they are absolute. */
const BOUNDARIES: Array<[string, string, string, Expect]> = [
  ['born 9th, one second before Aug 9 opening', '1990-01-09', '2021-08-09T19:59:59+09:00', { reasons: ['WINDOW_NOT_YET_OPEN'], nextOpensAt: '2021-08-09T20:00:00+09:00' }],
  ['born 9th, 1 ms before opening', '1990-01-09', '2021-08-09T19:59:59.999+09:00', { reasons: ['WINDOW_NOT_YET_OPEN'], nextOpensAt: '2021-08-09T20:00:00+09:00' }],
  ['born 9th, at opening', '1990-01-29', '2021-08-09T20:00:00+09:00', { reasons: [], windowSeq: 1 }],
  ['born 19th, opening instant given in UTC', '1990-01-19', '2021-08-09T11:00:00Z', { reasons: [], windowSeq: 1 }],
  ['born 9th, last ms of the window', '1990-01-09', '2021-08-10T17:59:59.999+09:00', { reasons: [], windowSeq: 1 }],
  ['born 9th (1990), at closing → catch-up for 1986–2003', '1990-01-09', '2021-08-10T18:00:00+09:00', { reasons: ['WINDOW_NOT_YET_OPEN'], nextOpensAt: '2021-08-20T20:00:00+09:00' }],
  ['born 9th (1980), at closing → catch-up for 1972–1985', '1980-01-09', '2021-08-10T18:00:00+09:00', { reasons: ['WINDOW_NOT_YET_OPEN'], nextOpensAt: '2021-08-19T20:00:00+09:00' }],
  ['born 10th while the Aug 9 window is open', '1990-01-10', '2021-08-09T20:00:00+09:00', { reasons: ['WINDOW_NOT_YET_OPEN'], nextOpensAt: '2021-08-10T20:00:00+09:00' }],
  ['born 10th in the gap 18:00–20:00 on Aug 10', '1990-01-30', '2021-08-10T19:00:00+09:00', { reasons: ['WINDOW_NOT_YET_OPEN'], nextOpensAt: '2021-08-10T20:00:00+09:00' }],
  ['born 31st on Aug 11', '1995-03-31', '2021-08-11T20:00:00+09:00', { reasons: [], windowSeq: 3 }],
  // Catch-up windows by birth year.
  ['born 1985 at Aug 19 catch-up opening', '1985-12-31', '2021-08-19T20:00:00+09:00', { reasons: [], windowSeq: 11 }],
  ['born 1986 at Aug 19 catch-up opening', '1986-01-01', '2021-08-19T20:00:00+09:00', { reasons: ['WINDOW_NOT_YET_OPEN'], nextOpensAt: '2021-08-20T20:00:00+09:00' }],
  ['born 1972 in the last ms of the Aug 19 catch-up', '1972-01-01', '2021-08-20T17:59:59.999+09:00', { reasons: [], windowSeq: 11 }],
  ['born 1972 at the Aug 19 catch-up close', '1972-01-01', '2021-08-20T18:00:00+09:00', { reasons: ['WINDOW_NOT_YET_OPEN'], nextOpensAt: '2021-08-21T20:00:00+09:00' }],
  ['born 1986 at Aug 20 catch-up opening', '1986-01-01', '2021-08-20T20:00:00+09:00', { reasons: [], windowSeq: 12 }],
  ['born 1985 at Aug 20 catch-up opening', '1985-12-31', '2021-08-20T20:00:00+09:00', { reasons: ['WINDOW_NOT_YET_OPEN'], nextOpensAt: '2021-08-21T20:00:00+09:00' }],
  ['born 2003 in the last ms of the Aug 20 catch-up', '2003-12-31', '2021-08-21T17:59:59.999+09:00', { reasons: [], windowSeq: 12 }],
  ['born 2003 at the Aug 20 catch-up close', '2003-12-31', '2021-08-21T18:00:00+09:00', { reasons: ['WINDOW_NOT_YET_OPEN'], nextOpensAt: '2021-08-21T20:00:00+09:00' }],
  // Everyone from Aug 21 20:00 until Sep 18 18:00.
  ['anyone 1 ms before Aug 21 20:00', '1990-01-05', '2021-08-21T19:59:59.999+09:00', { reasons: ['WINDOW_NOT_YET_OPEN'], nextOpensAt: '2021-08-21T20:00:00+09:00' }],
  ['anyone at Aug 21 20:00', '1990-01-05', '2021-08-21T20:00:00+09:00', { reasons: [], windowSeq: 13 }],
  ['born 2003-12-31 on Sep 1', '2003-12-31', '2021-09-01T09:00:00+09:00', { reasons: [], windowSeq: 13 }],
  ['born 1972-01-01 in the last ms', '1972-01-01', '2021-09-18T17:59:59.999+09:00', { reasons: [], windowSeq: 13 }],
  ['anyone at Sep 18 18:00', '1972-01-01', '2021-09-18T18:00:00+09:00', { reasons: ['CAMPAIGN_CLOSED'] }],
  ['anyone in December', '1990-01-09', '2021-12-01T12:00:00+09:00', { reasons: ['CAMPAIGN_CLOSED'] }],
  // Birth range, checked before any window.
  ['born 1971-12-31 while everyone may book', '1971-12-31', '2021-08-21T20:00:00+09:00', { reasons: ['BIRTH_OUT_OF_RANGE'] }],
  ['born 2004-01-01 while everyone may book', '2004-01-01', '2021-08-21T20:00:00+09:00', { reasons: ['BIRTH_OUT_OF_RANGE'] }],
  ['born 1971-12-31 before any window: no promise of one', '1971-12-31', '2021-08-01T12:00:00+09:00', { reasons: ['BIRTH_OUT_OF_RANGE'] }],
];

const ZONES = ['Asia/Seoul', 'UTC', 'America/Los_Angeles'] as const;
/** Local hour of 2021-08-09T20:00+09:00 in each process zone: proves TZ really took effect. */
const LOCAL_HOUR_AT_OPENING: Record<(typeof ZONES)[number], number> = { 'Asia/Seoul': 20, UTC: 11, 'America/Los_Angeles': 4 };

describe.each(ZONES)('korea-2021-08 with the server in TZ=%s', (zone) => {
  const savedTz = process.env.TZ;
  let c: Campaign;
  beforeAll(() => {
    process.env.TZ = zone;
    c = korea202108Campaign(); // built after TZ is set: construction must not depend on it either
  });
  afterAll(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it('runs in that zone', () => {
    expect(new Date('2021-08-09T20:00:00+09:00').getHours()).toBe(LOCAL_HOUR_AT_OPENING[zone]);
  });

  it.each(BOUNDARIES)('%s', (_what, birthDate, at, exp) => {
    const r = evaluate(c, birthDate, at);
    expect(r.reasons).toEqual(exp.reasons);
    expect(r.eligible).toBe(exp.reasons.length === 0);
    expect(r.window?.seq).toBe(exp.windowSeq);
    expect(r.nextWindow?.opensAt).toBe(exp.nextOpensAt);
  });

  it.each(Array.from({ length: 31 }, (_, i) => i + 1))('born on day %i books only in its rotation window', (day) => {
    const birthDate = `1990-01-${pad(day)}`;
    const own = WINDOW_DAY_FOR_BIRTH_DAY[day - 1];
    for (const d of ROTATION_DAYS) {
      const r = evaluate(c, birthDate, `2021-08-${pad(d)}T20:00:00+09:00`);
      if (d === own) {
        expect(r.eligible).toBe(true);
        expect(r.window).toMatchObject({
          seq: d - 8,
          opensAt: `2021-08-${pad(d)}T20:00:00+09:00`,
          closesAt: `2021-08-${pad(d + 1)}T18:00:00+09:00`,
        });
        expect(r.window?.label.en).toContain(`(Aug ${d})`);
      } else {
        expect(r.eligible).toBe(false);
        expect(r.reasons).toEqual(['WINDOW_NOT_YET_OPEN']);
      }
    }
    const before = evaluate(c, birthDate, '2021-08-09T19:59:59+09:00');
    expect(before.nextWindow?.opensAt).toBe(`2021-08-${pad(own ?? 0)}T20:00:00+09:00`);
  });

  it('tells a waiting person when, in both languages', () => {
    const r = evaluate(c, '1990-01-11', '2021-08-10T12:00:00+09:00');
    expect(r.message).toEqual({
      ko: '아직 예약 기간이 아닙니다: 8월 11일 20:00에 열립니다',
      en: 'Not yet: your window opens Aug 11, 20:00',
    });
    expect(r.nextWindow).toEqual({
      seq: 3,
      label: { ko: '1·11·21·31일생 (8/11)', en: 'Born on the 1st/11th/21st/31st (Aug 11)' },
      opensAt: '2021-08-11T20:00:00+09:00',
      closesAt: '2021-08-12T18:00:00+09:00',
    });
  });

  it('says until when an open window runs', () => {
    const r = evaluate(c, '1990-01-09', '2021-08-09T21:00:00+09:00');
    expect(r.message.en).toBe('You can book now, until Aug 10, 18:00');
    expect(r.message.ko).toBe('지금 예약할 수 있습니다 (8월 10일 18:00까지)');
  });

  it('already booked: reported, window still shown, message about the booking', () => {
    const open = evaluate(c, '1990-01-09', '2021-08-09T20:00:00+09:00', { alreadyBooked: true });
    expect(open.eligible).toBe(false);
    expect(open.reasons).toEqual(['ALREADY_BOOKED']);
    expect(open.window?.seq).toBe(1);
    expect(open.message.en).toMatch(/already hold a reservation/);
    const closed = evaluate(c, '1990-01-09', '2021-09-19T12:00:00+09:00', { alreadyBooked: true });
    expect(closed.reasons).toEqual(['ALREADY_BOOKED', 'CAMPAIGN_CLOSED']);
  });

  it('roster: ignored unless the campaign requires one', () => {
    const at = '2021-08-21T20:00:00+09:00';
    expect(evaluate(c, '1990-01-09', at, { inRoster: false }).eligible).toBe(true);
    const rostered: Campaign = { ...c, rosterRequired: true };
    const out = evaluate(rostered, '1990-01-09', at, { inRoster: false });
    expect(out.reasons).toEqual(['NOT_IN_ROSTER']);
    expect(out.window).toBeUndefined();
    expect(evaluate(rostered, '1990-01-09', at, { inRoster: true }).eligible).toBe(true);
    expect(evaluate(rostered, '1971-12-31', at, { inRoster: false }).reasons).toEqual(['BIRTH_OUT_OF_RANGE', 'NOT_IN_ROSTER']);
  });

  it('NOT_YOUR_WINDOW when only other cohorts have windows left', () => {
    const rotationOnly: Campaign = { ...c, windows: c.windows.slice(0, 10) };
    const passed = evaluate(rotationOnly, '1990-01-09', '2021-08-10T20:00:00+09:00');
    expect(passed.reasons).toEqual(['NOT_YOUR_WINDOW']);
    expect(passed.nextWindow).toBeUndefined();
    expect(evaluate(rotationOnly, '1990-01-09', '2021-08-10T19:00:00+09:00').reasons).toEqual(['NOT_YOUR_WINDOW']);
    expect(evaluate(rotationOnly, '1990-01-09', '2021-08-19T18:00:00+09:00').reasons).toEqual(['CAMPAIGN_CLOSED']);
  });

  it('openWindows is half-open to the millisecond', () => {
    const seqs = (at: string) => openWindows(c, new Date(at)).map((w) => w.seq);
    expect(seqs('2021-08-09T19:59:59.999+09:00')).toEqual([]);
    expect(seqs('2021-08-09T20:00:00+09:00')).toEqual([1]);
    expect(seqs('2021-08-10T17:59:59.999+09:00')).toEqual([1]);
    expect(seqs('2021-08-10T18:00:00+09:00')).toEqual([]);
    expect(seqs('2021-08-18T20:00:00+09:00')).toEqual([10]);
    expect(seqs('2021-09-01T00:00:00+09:00')).toEqual([13]);
  });
});

describe('windows', () => {
  const c = korea202108Campaign();
  const w = (seq: number) => {
    const found = c.windows.find((x) => x.seq === seq);
    if (!found) throw new Error(`no window ${seq}`);
    return found;
  };

  it('windowAdmits by birth-day digit and birth year', () => {
    expect(windowAdmits(w(2), person('1990-01-10'))).toBe(true);
    expect(windowAdmits(w(2), person('1990-01-30'))).toBe(true);
    expect(windowAdmits(w(2), person('1990-01-03'))).toBe(false);
    expect(windowAdmits(w(11), person('1972-05-05'))).toBe(true);
    expect(windowAdmits(w(11), person('1986-05-05'))).toBe(false);
    expect(windowAdmits(w(12), person('1986-05-05'))).toBe(true);
    expect(windowAdmits(w(12), person('2004-01-01'))).toBe(false);
    expect(windowAdmits(w(13), person('1900-01-01'))).toBe(true);
  });

  it('currentWindowFor / nextWindowFor do not rely on window order', () => {
    const shuffled: Campaign = { ...c, windows: [...c.windows].reverse() };
    const now = new Date('2021-08-01T00:00:00+09:00');
    expect(nextWindowFor(shuffled, person('1990-01-19'), now)?.seq).toBe(1);
    expect(nextWindowFor(shuffled, person('1990-01-19'), new Date('2021-09-18T18:00:00+09:00'))).toBeNull();
    expect(currentWindowFor(shuffled, person('1990-01-19'), new Date('2021-08-09T20:00:00+09:00'))?.seq).toBe(1);
    expect(currentWindowFor(shuffled, person('1990-01-18'), new Date('2021-08-09T20:00:00+09:00'))).toBeNull();
  });

  it('nextWindowFor is strictly after now', () => {
    expect(nextWindowFor(c, person('1990-01-09'), new Date('2021-08-09T20:00:00+09:00'))?.seq).toBe(12);
  });

  it('the campaign matches the contract', () => {
    expect(c).toMatchObject({
      id: 'korea-2021-08',
      timeZone: 'Asia/Seoul',
      birthFrom: '1972-01-01',
      birthTo: '2003-12-31',
      proxyAllowed: false,
      doses: 2,
      dose2IntervalDays: 42,
      changeFreezeDays: 14,
      cancelUntilDays: 2,
      blackoutShiftDays: -5,
      blackoutDays: ['2021-09-20', '2021-09-21', '2021-09-22'],
      firstShotDay: '2021-08-26',
      lastShotDay: '2021-10-02',
      queueEnabled: true,
    });
    expect(c.windows.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    for (let i = 1; i < c.windows.length; i++) {
      const prev = c.windows[i - 1];
      const cur = c.windows[i];
      // Sorted and non-overlapping, so at most one window is open at any instant.
      expect(prev && cur && prev.closesAt.getTime() < cur.opensAt.getTime()).toBe(true);
    }
    expect(korea202108Campaign().windows[0]?.opensAt).not.toBe(c.windows[0]?.opensAt); // fresh objects
  });
});
