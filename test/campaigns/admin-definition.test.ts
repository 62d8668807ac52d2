/**
 * Campaigns as data (issue #9): GET and PUT /api/v1/admin/campaigns/{id}. A valid definition
 * round-trips and changes what citizens see (GET /campaigns, eligibility) on this node at once; an
 * invalid one answers 400 CAMPAIGN_INVALID listing every problem, and a change that would take
 * away what bookings or capacity hold answers 409 CAMPAIGN_CHANGE_BLOCKED — both changing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticRrn, type TestApp } from '../helpers/app.ts';
import { addStaff } from '../../src/staff/staff.ts';
import { addDays } from '../../src/rules/time.ts';
import type { CampaignDefinition } from '../../src/campaigns/definition.ts';
import { API, appOn, bookDemo, ENGINES, OPERATOR } from './helpers.ts';

const url = (id = 'demo') => `${API}/admin/campaigns/${id}`;

async function definitionOf(t: TestApp, id = 'demo'): Promise<CampaignDefinition> {
  const res = await t.app.inject({ method: 'GET', url: url(id), headers: OPERATOR });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as CampaignDefinition;
}

const put = (t: TestApp, body: unknown, id = 'demo', headers = OPERATOR) => t.app.inject({ method: 'PUT', url: url(id), headers, payload: body as Record<string, unknown> });

type Problem = { path: string; code: string; message: string; messageKo: string };
const problemsOf = (res: { json(): unknown }) => (res.json() as { error: { code: string; details: { errors: Problem[] } } }).error;
const listed = (res: { json(): unknown }) => problemsOf(res).details.errors.map((p) => `${p.path} ${p.code}`);

describe.each(ENGINES)('campaign definition on $name', ({ postgres }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appOn(postgres, { clinics: 3 });
  }, 120_000);
  afterAll(async () => t?.close());

  it('GET answers the editable definition; PUT of it unchanged round-trips', async () => {
    const d = await definitionOf(t);
    expect(d).toMatchObject({
      id: 'demo',
      name: { ko: '데모 접종 예약', en: 'Demo vaccination booking' },
      birthFrom: '1940-01-01',
      rosterRequired: false,
      windows: [{ seq: 1, birthDayDigits: null, opensAt: expect.stringMatching(/\+09:00$/) }],
      vaccineRules: [{ seq: 1, sidoCode: null, dayFrom: null, dayTo: null, vaccineId: 'pfizer' }],
      blackouts: [],
    });
    const res = await put(t, d);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(d);
    expect(await definitionOf(t)).toEqual(d);
  });

  it('a valid edit is stored and changes the windows and eligibility citizens see, at once', async () => {
    const d = await definitionOf(t);
    const today = '2026-11-26';
    const edited: CampaignDefinition = {
      ...d,
      name: { ko: '끝자리 1 먼저', en: 'Digit 1 first' },
      windows: [
        { seq: 1, labelKo: '끝자리 1', labelEn: 'Born on the 1st/11th/21st/31st', opensAt: `${addDays(today, -1)}T20:00:00+09:00`, closesAt: `${addDays(today, 1)}T18:00:00+09:00`, birthDayDigits: [1], birthYearFrom: null, birthYearTo: null },
        { seq: 2, labelKo: '전체', labelEn: 'Everyone', opensAt: `${addDays(today, 2)}T20:00:00+09:00`, closesAt: `${addDays(today, 20)}T18:00:00+09:00`, birthDayDigits: null, birthYearFrom: null, birthYearTo: null },
      ],
      vaccineRules: [
        { seq: 1, sidoCode: '11', dayFrom: d.firstShotDay, dayTo: addDays(d.firstShotDay, 6), vaccineId: 'pfizer' },
        { seq: 2, sidoCode: null, dayFrom: null, dayTo: null, vaccineId: 'pfizer' },
      ],
      // Before any dose-2 day (the first is firstShotDay + 21): no dose 2 moves.
      blackouts: [{ day: addDays(d.firstShotDay, 3), label: '점검일 (maintenance)' }],
    };
    const res = await put(t, edited);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(edited);
    expect(await definitionOf(t)).toEqual(edited);

    const campaigns = await t.app.inject({ method: 'GET', url: `${API}/campaigns` });
    const demo = (campaigns.json() as { id: string; name: { ko: string }; windows: { seq: number; birthDayDigits: number[] | null }[]; openWindows: { seq: number }[] }[]).find((c) => c.id === 'demo');
    expect(demo?.name.ko).toBe('끝자리 1 먼저');
    expect(demo?.windows.map((w) => [w.seq, w.birthDayDigits])).toEqual([[1, [1]], [2, null]]);
    expect(demo?.openWindows.map((w) => w.seq)).toEqual([1]);

    const digitOne = await t.login(syntheticRrn('1981-04-11', 1));
    const digitFour = await t.login(syntheticRrn('1981-04-14', 2));
    const eligibility = async (token: string) => (await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/eligibility`, headers: { authorization: `Bearer ${token}` } })).json() as { eligible: boolean; reasons: string[]; nextWindow?: { seq: number } };
    expect(await eligibility(digitOne)).toMatchObject({ eligible: true, reasons: [] });
    expect(await eligibility(digitFour)).toMatchObject({ eligible: false, reasons: ['WINDOW_NOT_YET_OPEN'], nextWindow: { seq: 2 } });
    // Put the demo back as it was for the cases below.
    expect((await put(t, d)).statusCode).toBe(200);
  });

  it('shape problems are all listed (not only the first), and nothing changes', async () => {
    const d = await definitionOf(t);
    const w = d.windows[0] as CampaignDefinition['windows'][number];
    const { proxyAllowed: _dropped, ...withoutProxy } = d;
    const body = {
      ...withoutProxy,
      doses: 1,
      changeFreezeDays: -1,
      name: { ko: '데모\u202E', en: 'Demo\u0000' },
      windows: [{ ...w, birthDayDigits: [3, 10], birthYearFrom: 1800, seq: 'one' }],
      blackouts: [{ day: '2026/12/30', label: '' }],
    };
    const res = await put(t, body);
    expect(res.statusCode).toBe(400);
    expect(problemsOf(res).code).toBe('YEYAK_E_CAMPAIGN_INVALID');
    expect(listed(res)).toEqual(expect.arrayContaining([
      '/proxyAllowed REQUIRED', '/doses UNKNOWN_FIELD', '/changeFreezeDays BELOW_MINIMUM', '/name/ko TEXT_INVALID', '/name/en TEXT_INVALID',
      '/windows/0/seq TYPE', '/windows/0/birthDayDigits/1 ABOVE_MAXIMUM', '/windows/0/birthYearFrom BELOW_MINIMUM',
      '/blackouts/0/day PATTERN', '/blackouts/0/label TOO_SHORT',
    ]));
    for (const p of problemsOf(res).details.errors) expect(p.messageKo.length).toBeGreaterThan(0);
    expect(await definitionOf(t)).toEqual(d);
  });

  it('rule problems are all listed with their paths, and nothing changes', async () => {
    const d = await definitionOf(t);
    const w = d.windows[0] as CampaignDefinition['windows'][number];
    const body: CampaignDefinition = {
      ...d,
      id: 'other',
      birthFrom: '1990-01-01',
      birthTo: '1980-12-31',
      windows: [
        { ...w, seq: 1, closesAt: w.opensAt },
        { ...w, seq: 3, labelKo: '둘', labelEn: 'two', birthDayDigits: [1, 1] },
        { ...w, seq: 2, labelKo: '셋', labelEn: 'three', opensAt: '2026-11-26T00:00:00+09:00', closesAt: '2026-11-30T00:00:00+09:00', birthDayDigits: [1, 2] },
        { ...w, seq: 4, labelKo: '넷', labelEn: 'four', opensAt: '2027-03-01T00:00:00+09:00', closesAt: '2027-03-02T00:00:00+09:00', birthYearFrom: 2001, birthYearTo: 1999 },
        { ...w, seq: 4, labelKo: '다섯', labelEn: 'five', opensAt: '2027-03-01T00:00:00+09:00', closesAt: '2027-13-02T00:00:00+09:00' },
      ],
      vaccineRules: [
        { seq: 1, sidoCode: '99', dayFrom: null, dayTo: null, vaccineId: 'pfizer' },
        { seq: 2, sidoCode: null, dayFrom: '2026-12-10', dayTo: '2026-12-01', vaccineId: 'sputnik' },
        { seq: 2, sidoCode: null, dayFrom: null, dayTo: null, vaccineId: 'janssen' },
      ],
      blackouts: [{ day: '2026-11-01', label: '너무 이름' }, { day: '2026-12-20', label: '하나' }, { day: '2026-12-20', label: '둘' }],
    };
    const res = await put(t, body);
    expect(res.statusCode).toBe(400);
    expect(listed(res)).toEqual(expect.arrayContaining([
      '/id ID_MISMATCH',
      '/birthTo BIRTH_RANGE_REVERSED',
      '/windows/0/closesAt WINDOW_CLOSES_BEFORE_OPENS',
      '/windows/1/birthDayDigits DIGITS_DUPLICATE',
      '/windows/2 WINDOW_ORDER',
      '/windows/2 WINDOW_OVERLAP',
      '/windows/3/birthYearTo WINDOW_YEARS_REVERSED',
      '/windows/3/opensAt WINDOW_AFTER_SHOT_DAYS',
      '/windows/4/seq SEQ_DUPLICATE',
      '/windows/4/closesAt INSTANT_INVALID',
      '/vaccineRules/0/sidoCode REGION_UNKNOWN',
      '/vaccineRules/1/dayTo RULE_DAYS_REVERSED',
      '/vaccineRules/1/vaccineId VACCINE_UNKNOWN',
      '/vaccineRules/2/seq SEQ_DUPLICATE',
      '/vaccineRules/2/vaccineId VACCINE_DOSES_MISMATCH',
      '/blackouts/0/day BLACKOUT_OUTSIDE_RANGE',
      '/blackouts/2/day BLACKOUT_DUPLICATE',
    ]));
    expect(await definitionOf(t)).toEqual(d);
  });

  it('a blackout day that moves a dose 2 below the vaccine’s interval, and windows for nobody, are refused', async () => {
    const d = await definitionOf(t);
    // Demo: +21 days, a blackout moves dose 2 one day earlier: 20 days is under Pfizer's 21.
    const day2 = addDays(d.firstShotDay, 21);
    const w = d.windows[0] as CampaignDefinition['windows'][number];
    const res = await put(t, { ...d, blackouts: [{ day: day2, label: '휴일' }], windows: [{ ...w, birthYearFrom: 1900, birthYearTo: 1930 }] });
    expect(res.statusCode).toBe(400);
    expect(listed(res)).toEqual(['/windows/0/birthYearFrom WINDOW_ADMITS_NOBODY', '/vaccineRules/0/vaccineId VACCINE_INTERVAL_NOT_ALLOWED']);
    const reversed = await put(t, { ...d, firstShotDay: d.lastShotDay, lastShotDay: d.firstShotDay });
    expect(listed(reversed)).toEqual(['/lastShotDay SHOT_DAYS_REVERSED']);
  });

  it('changes that would take away what bookings hold are 409 CAMPAIGN_CHANGE_BLOCKED, nothing changed', async () => {
    const d = await definitionOf(t);
    const clinic = (await t.db.query<{ id: string }>('SELECT id FROM clinic ORDER BY id LIMIT 1')).rows[0]?.id as string;
    await bookDemo(t, '1985-06-15', 7, clinic, d.lastShotDay);
    const cases: [Partial<CampaignDefinition>, string][] = [
      [{ lastShotDay: addDays(d.lastShotDay, -1) }, '/lastShotDay BOOKED_DAYS_OUTSIDE'],
      [{ birthFrom: '1990-01-01' }, '/birthFrom COHORT_EXCLUDES_BOOKINGS'],
      [{ rosterRequired: true }, '/rosterRequired ROSTER_EXCLUDES_BOOKINGS'],
    ];
    for (const [change, expected] of cases) {
      const res = await put(t, { ...d, ...change });
      expect(res.statusCode, res.body).toBe(409);
      expect(problemsOf(res).code).toBe('YEYAK_E_CAMPAIGN_CHANGE_BLOCKED');
      expect(listed(res)).toEqual([expected]);
      expect(await definitionOf(t)).toEqual(d);
    }
    // What bookings do not hold may still change: a shorter range that keeps the booked day.
    const shorter = await put(t, { ...d, firstShotDay: addDays(d.firstShotDay, 1) });
    expect(shorter.statusCode, shorter.body).toBe(200);
    expect(t.app.yeyak.campaigns.get('demo')?.firstShotDay).toBe(addDays(d.firstShotDay, 1));
    expect((await put(t, d)).statusCode).toBe(200);
  });

  it('operators only; an unknown campaign is 404', async () => {
    const { token } = await addStaff(t.db, { role: 'agent', clinicId: null, name: '상담원' }, t.clock.now());
    const agent = { authorization: `Bearer ${token}` };
    expect((await t.app.inject({ method: 'GET', url: url(), headers: agent })).statusCode).toBe(403);
    expect((await put(t, await definitionOf(t), 'demo', agent)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: url() })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: url('nope-campaign'), headers: OPERATOR })).json()).toMatchObject({ error: { code: 'YEYAK_E_CAMPAIGN_NOT_FOUND' } });
    expect((await put(t, { ...(await definitionOf(t)), id: 'nope-campaign' }, 'nope-campaign')).statusCode).toBe(404);
  });
});

describe('a blackout change under existing capacity (korea-2021-08, PGlite)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appOn(false, { scenario: 'korea-2021-08', clinics: 2 });
  }, 120_000);
  afterAll(async () => t?.close());

  it('the real 2021 definition passes its own checks', async () => {
    const d = await definitionOf(t, 'korea-2021-08');
    expect(d.windows).toHaveLength(13);
    const res = await put(t, d, 'korea-2021-08');
    expect(res.statusCode, res.body).toBe(200);
  });

  it('a blackout day that would move the dose 2 of a day with slots is 409; one that moves none is stored', async () => {
    const d = await definitionOf(t, 'korea-2021-08');
    // 30 Aug (a Monday; Sundays have no slots) + 42 days = 11 Oct: its dose-2 slots are on 11 Oct.
    const moves = await put(t, { ...d, blackouts: [...d.blackouts, { day: '2021-10-11', label: '한글날 대체' }] }, 'korea-2021-08');
    expect(moves.statusCode, moves.body).toBe(409);
    expect(listed(moves)).toEqual(['/blackouts BLACKOUT_MOVES_DOSE2']);
    expect(problemsOf(moves).details.errors[0]?.message).toContain('2021-08-30: 2021-10-11 → 2021-10-06');
    // No dose-1 day's dose 2 falls on 1 Sep.
    const harmless = [...d.blackouts, { day: '2021-09-01', label: '점검' }];
    const stored = await put(t, { ...d, blackouts: harmless }, 'korea-2021-08');
    expect(stored.statusCode, stored.body).toBe(200);
    expect(t.app.yeyak.campaigns.get('korea-2021-08')?.blackoutDays).toContain('2021-09-01');
  });
});
