/**
 * The staff pages in a real browser (issue #9), on one server and one browser for the file:
 * - the operator console (/ops/, a desktop at 1280×800 as operators use it, and a phone): the
 *   admin token becomes an httpOnly session and is kept nowhere in the page; the feed is pushed;
 * - a pause with a Korean and English notice set in the console; people join through the API
 *   (the console's waiting count moves), then a citizen on a phone, whose waiting page shows the
 *   notice; resume in the console moves the line, the count falls and the citizen's page moves on
 *   to booking by itself;
 * - a capacity CSV with one bad row: the report names the row and nothing is imported (the
 *   clinic's slots before and after, by the API and by SQL); a good file imports, its count shown;
 * - the clinic portal (/clinic/, a phone): two doses booked the day before (the server's clock a
 *   day behind), then on the day one is marked administered and one a no-show (after the
 *   question), in words on the page, by the API and in the audit log.
 * axe-core (WCAG 2.1 A/AA) on every page visited; a screenshot of each.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type APIRequestContext, type APIResponse, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { axe, browserAvailable, launch, phone, SCREENSHOTS, shot, startServer, verifyByApi, type Server } from './harness.ts';
import { TEST_KEYS, syntheticRrn } from '../helpers/app.ts';
import { ops as opsKo } from '../../web/i18n/ko/ops.ts';

const API = '/api/v1';
const DAY_MS = 24 * 3_600_000;
const DESKTOP = { viewport: { width: 1280, height: 800 }, locale: 'ko-KR', timezoneId: 'Asia/Seoul' } as const;
const NOTICE = { ko: '잠시 입장을 멈췄습니다. 순서는 그대로 유지됩니다.', en: 'Admission is paused for a moment. Your place is kept.' };

interface Slot { date: string; vaccineId: string; dose: number; capacity: number; remaining: number; booked: number }
interface DoseRow { bookingNumber: string; dose: number; outcome: string | null }

describe.runIf(browserAvailable())('staff pages', () => {
  let server: Server;
  let browser: Browser;
  let clinicIds: string[];
  let clinicToken: string;
  /** Booked the day before for the first shot day: [to be administered, to be a no-show]. */
  const booked: string[] = [];
  let serial = 500;

  /** The API by Playwright's request contexts: a citizen's (no credentials) and the operator's (the admin token). */
  let http: APIRequestContext;
  let operator: APIRequestContext;
  async function ok<T = unknown>(answer: Promise<APIResponse>): Promise<T> {
    const res = await answer;
    const text = await res.text();
    expect(res.ok(), `${res.url()}: ${res.status()} ${text}`).toBe(true);
    return (text ? JSON.parse(text) : null) as T;
  }

  beforeAll(async () => {
    // The server's clock a day behind: the demo's first shot day ("tomorrow") is today in real time.
    server = await startServer({ offsetMs: -DAY_MS });
    browser = await launch();
    http = await request.newContext({ baseURL: `${server.url}${API}/` });
    operator = await request.newContext({ baseURL: `${server.url}${API}/`, extraHTTPHeaders: server.operator });
    clinicIds = (await ok<{ id: string }[]>(http.get('campaigns/demo/clinics'))).map((c) => c.id);
    const clinicId = clinicIds[0]!;
    clinicToken = (await ok<{ token: string }>(operator.post('admin/staff', { data: { role: 'clinic', clinicId, name: '한간호' } }))).token;
    const [first] = await ok<{ date: string }[]>(http.get(`campaigns/demo/clinics/${clinicId}/dates`));
    for (const [i, birth] of ['1958-02-14', '1983-07-30'].entries()) {
      const { token } = await verifyByApi(server, syntheticRrn(birth, serial++), i === 0 ? '오접종' : '유노쇼');
      const b = await ok<{ bookingNumber: string }>(http.post('reservations', {
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': `staff-suite-${i}` },
        data: { campaignId: 'demo', clinicId, date: first!.date },
      }));
      booked.push(b.bookingNumber);
    }
    // The next day: today is the dose day. Then the demo's waiting room (verify-first) is turned
    // on, running at 5 a second with nobody in line yet; the PATCH makes the server read the row again.
    server.clock.offsetMs = 0;
    await server.db.query(`UPDATE campaign SET queue_enabled = true, queue_order = 'verify-first' WHERE id = 'demo'`);
    await steer({ paused: false, ratePerS: 5 });
  });

  afterAll(async () => {
    await http?.dispose();
    await operator?.dispose();
    await browser?.close();
    await server?.close();
  });

  async function steer(patch: Record<string, unknown>): Promise<void> {
    await ok(operator.patch('admin/queue/demo', { data: patch }));
  }

  /** People in line before the citizen: verified and queued through the API. */
  async function joinAhead(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const { token, device } = await verifyByApi(server, syntheticRrn('1966-09-09', serial++));
      await ok(http.post('campaigns/demo/queue', { headers: { authorization: `Bearer ${token}`, 'yeyak-device': device } }));
    }
  }

  async function checked(page: Page, name: string): Promise<void> {
    await shot(page, name);
    expect(await axe(page, name), name).toEqual([]);
  }

  /** A section of a one-page portal, on its own picture (the full page is `checked`'s). */
  async function section(part: Locator, name: string): Promise<void> {
    await part.scrollIntoViewIfNeeded();
    writeFileSync(join(SCREENSHOTS, `${name}.png`), await part.screenshot());
  }

  const numberIn = async (l: Locator) => Number(((await l.textContent()) ?? '').replace(/[^\d]/g, '') || NaN);

  async function signIn(page: Page, path: '/ops/' | '/clinic/', token: string, name: string): Promise<void> {
    await page.goto(`${server.url}${path}`);
    await page.getByTestId('signin-token').waitFor();
    await checked(page, name);
    await page.getByTestId('signin-token').fill(token);
    await page.getByTestId('signin').click();
    await page.getByTestId('signin-token').waitFor({ state: 'detached' });
  }

  /** The token is not kept: not in a field, the page's storage or its markup; the session is the httpOnly cookie. */
  async function tokenNotKept(ctx: BrowserContext, page: Page, token: string): Promise<void> {
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))).not.toContain(token);
    expect(await page.evaluate(() => [...document.querySelectorAll('input')].map((i) => i.value).join('\n'))).not.toContain(token);
    expect(await page.content()).not.toContain(token);
    const staff = (await ctx.cookies()).find((c) => c.name === 'yeyak_staff');
    expect(staff?.httpOnly, 'yeyak_staff is httpOnly').toBe(true);
    expect(staff?.value).not.toContain(token);
  }

  let ops: BrowserContext;
  let console_: Page;
  const waitingShown = () => numberIn(console_.getByTestId('figure-waiting'));

  it('operator console: the token becomes an httpOnly session, kept nowhere in the page; the feed is live', async () => {
    ops = await browser.newContext(DESKTOP);
    console_ = await ops.newPage();
    await signIn(console_, '/ops/', TEST_KEYS.adminToken, 'ops-signin');
    await tokenNotKept(ops, console_, TEST_KEYS.adminToken);
    await expect.poll(waitingShown, { timeout: 10_000 }).toBe(0);
    // Pushed by the server every second: the time of the last figures moves without a reload.
    const link = console_.getByTestId('link');
    const first = await link.textContent();
    await expect.poll(() => link.textContent(), { timeout: 10_000 }).not.toBe(first);
    expect(await console_.getByTestId('admission-state').textContent()).toContain(opsKo.controls.stateIsRunning);
    await checked(console_, 'ops-live-desktop');
    // The same console on a phone (an operator away from the desk), with the same session.
    const small = await phone(browser);
    await small.addCookies(await ops.cookies());
    const page = await small.newPage();
    await page.goto(`${server.url}/ops/`);
    await page.getByTestId('figure-waiting').waitFor();
    await checked(page, 'ops-live-phone');
    await small.close();
  });

  it('a pause with a notice from the console reaches the waiting page; resume moves the line and the page on', async () => {
    // The operator writes the notice in both languages and pauses (asked first).
    await console_.getByTestId('notice-ko').fill(NOTICE.ko);
    await console_.getByTestId('notice-en').fill(NOTICE.en);
    await console_.getByTestId('pause').click();
    await console_.getByTestId('pause-confirm').waitFor();
    await checked(console_, 'ops-pause-question');
    await console_.getByTestId('pause-confirm').click();
    await expect.poll(() => console_.getByTestId('admission-state').textContent()).toContain(opsKo.controls.stateIsPaused);
    expect(await ok(operator.get('admin/queue/demo'))).toMatchObject({ paused: true, notice: NOTICE });

    // Three people join through the API: the console's count moves without a reload.
    await joinAhead(3);
    await expect.poll(waitingShown, { timeout: 10_000 }).toBe(3);
    await checked(console_, 'ops-paused-notice');
    // Then the citizen on a phone, verified through the API in the phone's own cookie jar (the
    // session cookies are the page's; the page flow itself is citizen.test.ts's).
    const citizen = await phone(browser);
    const ch = await citizen.request.post(`${server.url}${API}/identity/challenges`, { data: { method: 'kakao', name: '대기중', rrn: syntheticRrn('1975-03-03', serial++), phone: '010-2222-3333' } });
    expect(ch.status(), await ch.text()).toBe(201);
    const v = await citizen.request.post(`${server.url}${API}/identity/challenges/${(await ch.json()).challengeId}/verify`, { data: { code: '000000' } });
    expect(v.status(), await v.text()).toBe(200);
    const wait = await citizen.newPage();
    await wait.goto(`${server.url}/wait/?c=demo`);
    await expect.poll(() => numberIn(wait.getByTestId('ahead')), { timeout: 10_000 }).toBe(3);
    await expect.poll(async () => (await wait.getByTestId('notice').textContent()) ?? '', { timeout: 10_000 }).toContain(NOTICE.ko);
    await expect.poll(waitingShown, { timeout: 10_000 }).toBe(4);
    await checked(wait, 'wait-operator-notice');

    // Resume (the notice withdrawn with it): the line moves at 5 a second, and the citizen's page
    // moves on to booking by itself. Nobody was admitted before on this server, so the line's
    // answers use the set rate and the page asks again within 2 s. (After admissions, a pause
    // lets the observed rate decay and pages are told to come back in up to 30 s: reported.)
    await console_.getByTestId('resume').click();
    await wait.waitForURL(/\/#\/book\/demo$/, { timeout: 20_000 });
    await wait.getByTestId('sido').waitFor();
    await checked(wait, 'wait-moved-on-book');
    await expect.poll(waitingShown, { timeout: 10_000 }).toBe(0);
    expect(await ok(operator.get('admin/queue/demo'))).toMatchObject({ paused: false, notice: null });
    await citizen.close();
  });

  it('a capacity CSV with one bad row names the row and imports nothing; a good one imports', async () => {
    const clinicId = clinicIds[1]!;
    const slotsOf = async () => (await ok<{ slots: Slot[] }>(operator.get(`admin/clinics/${clinicId}/capacity`, { params: { campaignId: 'demo' } }))).slots;
    const total = async () => (await server.db.query<{ n: string; sum: string }>(`SELECT count(*) AS n, sum(capacity) AS sum FROM slot WHERE campaign_id = 'demo'`)).rows[0];
    const before = await slotsOf();
    const totalBefore = await total();
    const [a, b] = before.filter((s) => s.dose === 1).slice(2, 4);
    expect(a && b, 'two later dose-1 days').toBeTruthy();
    const good = `clinic_id,date,vaccine,capacity\n${clinicId},${a!.date},${a!.vaccineId},${a!.capacity - 1}\n${clinicId},${b!.date},${b!.vaccineId},${b!.capacity - 1}\n`;
    const bad = `clinic_id,date,vaccine,capacity\n${clinicId},${a!.date},${a!.vaccineId},${a!.capacity - 1}\n${clinicId},${b!.date},${b!.vaccineId},many\n`;

    // The campaign as data: its own view of the console.
    await console_.getByTestId('view-data').click();
    await console_.getByTestId('csv-file').waitFor();
    await checked(console_, 'ops-data');
    const upload = async (text: string, name: string) => {
      await console_.getByTestId('csv-file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
      await console_.getByTestId('csv-upload').click();
    };
    const report = console_.getByTestId('csv-report');
    await upload(bad, 'capacity-bad.csv');
    // One line in the report: row 3 (the header is row 1, the bad line the second data row), its column.
    const rows = report.locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect((await rows.first().locator('td').allTextContents()).slice(0, 2).map((x) => x.trim())).toEqual(['3', expect.stringContaining('capacity')]);
    await checked(console_, 'ops-csv-report');
    expect(await slotsOf()).toEqual(before);
    expect(await total()).toEqual(totalBefore);

    await upload(good, 'capacity-good.csv');
    await expect.poll(async () => (await report.textContent()) ?? '', { timeout: 10_000 }).toContain('capacity-good.csv');
    expect(await rows.count()).toBe(0);
    expect(((await report.textContent()) ?? '').replace('capacity-good.csv', '')).toMatch(/\b2\b/);
    const after = await slotsOf();
    const cap = (s: Slot) => after.find((x) => x.date === s.date && x.dose === 1 && x.vaccineId === s.vaccineId)?.capacity;
    expect([cap(a!), cap(b!)]).toEqual([a!.capacity - 1, b!.capacity - 1]);
    await checked(console_, 'ops-csv-imported');
    await ops.close();
  });

  it('clinic portal: one dose administered and one a no-show, on the page, by the API and in the audit log', async () => {
    const clinicId = clinicIds[0]!;
    const ctx = await phone(browser);
    const page = await ctx.newPage();
    await signIn(page, '/clinic/', clinicToken, 'staff-clinic-signin');
    await page.getByTestId('list-summary').waitFor();
    await tokenNotKept(ctx, page, clinicToken);

    const [administered, noShow] = booked.map((n) => `dose-${n}-1`);
    await page.getByTestId(`${administered}-administered`).click();
    await expect.poll(() => page.getByTestId(`${administered}-outcome`).textContent()).toContain('접종 완료');
    await page.getByTestId(`${noShow}-no_show`).click();
    // A no-show asks first; nothing is recorded until the answer.
    const confirm = page.getByTestId(`${noShow}-no_show-confirm`);
    await confirm.waitFor();
    expect(await page.getByTestId(`${noShow}-outcome`).textContent()).not.toContain('미접종');
    // One page: the day's list, leftovers and capacity; axe on the whole of it in each state.
    await page.locator('#capacity input[type=number]').first().waitFor();
    await checked(page, 'staff-clinic-list-question');
    await confirm.click();
    await expect.poll(() => page.getByTestId(`${noShow}-outcome`).textContent()).toContain('미접종');
    await section(page.locator('#today'), 'staff-clinic-list');

    const list = await ok<{ reservations: DoseRow[] }>(operator.get(`admin/clinics/${clinicId}/reservations`));
    const outcome = (n: string) => list.reservations.find((r) => r.bookingNumber === n && r.dose === 1)?.outcome;
    expect(booked.map(outcome)).toEqual(['administered', 'no_show']);
    const audit = await server.db.query<{ action: string; booking: string }>(
      `SELECT action, detail->>'bookingNumber' AS booking FROM audit_log WHERE action IN ('dose_administered', 'dose_no_show') ORDER BY id`,
    );
    expect(audit.rows).toEqual([{ action: 'dose_administered', booking: booked[0] }, { action: 'dose_no_show', booking: booked[1] }]);

    // Leftovers are released and withdrawn in clinic.test.ts (on a clock set to 10:00 in Korea:
    // a release "until 23:59" would be refused late in the Korean evening).
    await section(page.locator('#leftovers'), 'staff-clinic-leftovers');
    await section(page.locator('#capacity'), 'staff-clinic-capacity');
    await checked(page, 'staff-clinic-recorded');
    await ctx.close();
  });
});
