/**
 * The citizen's pages in a real browser at 360×740 (issue #9): the whole flow in Korean and in
 * English — verification, the waiting room with people ahead (the page really waits, then moves
 * on by itself), booking, the receipt, then change and cancel; a refresh in the middle of the
 * wait keeps the place; an operator's pause with a notice reaches the waiting page, and resume
 * moves the line. axe-core on every page; a screenshot of each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axe, browserAvailable, launch, phone, shot, startServer, verifyByApi, type Server } from './harness.ts';
import { phoneOf, syntheticRrn } from '../helpers/app.ts';

const API = '/api/v1';
let serial = 100;

describe.runIf(browserAvailable())('citizen pages', () => {
  let server: Server;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer({ waitingRoom: { ratePerS: 2, paused: true } });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function steer(patch: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${server.url}${API}/admin/queue/demo`, {
      method: 'PATCH',
      headers: { ...server.operator, 'content-type': 'application/json' },
      body: JSON.stringify(patch),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  /** People who joined before the browser's citizen: verified and queued through the API. */
  async function joinAhead(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const { token, device } = await verifyByApi(server, syntheticRrn('1970-05-05', serial++));
      const res = await fetch(`${server.url}${API}/campaigns/demo/queue`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'yeyak-device': device } });
      expect(res.status).toBe(201);
    }
  }

  async function checked(page: Page, name: string): Promise<void> {
    await shot(page, name);
    expect(await axe(page, name), name).toEqual([]);
  }

  async function verify(page: Page, name: string, rrn: string, lang: 'ko' | 'en'): Promise<void> {
    await page.goto(`${server.url}/?lang=${lang}`);
    await page.getByTestId('start').waitFor();
    await checked(page, `citizen-landing-${lang}`);
    await page.getByTestId('start').click();
    await page.getByTestId('method-kakao').waitFor();
    await page.getByTestId('method-kakao').click();
    await page.getByTestId('name').fill(name);
    await page.getByTestId('rrn').fill(rrn);
    await page.getByTestId('phone').fill(phoneOf(rrn)); // one phone per person: the sandbox's CI is name + phone
    await checked(page, `citizen-verify-${lang}`);
    await page.getByTestId('send-code').click();
    await page.getByTestId('code').fill('000000');
    await page.getByTestId('verify').click();
  }

  async function aheadOf(page: Page): Promise<number> {
    const text = (await page.getByTestId('ahead').textContent()) ?? '';
    const n = Number(text.replace(/[^\d]/g, ''));
    expect(Number.isFinite(n), text).toBe(true);
    return n;
  }

  async function book(page: Page, lang: 'ko' | 'en'): Promise<string> {
    await page.getByTestId('sido').waitFor();
    await checked(page, `citizen-book-region-${lang}`);
    await page.getByTestId('sido').selectOption({ index: 1 });
    await page.getByTestId('sigungu').selectOption({ index: 1 });
    const clinic = page.locator('[data-testid^="clinic-"]:not([data-testid="clinic-search"])').first();
    await clinic.waitFor();
    await checked(page, `citizen-book-clinics-${lang}`);
    await clinic.click();
    const date = page.locator('[data-testid^="date-"]').first();
    await date.waitFor();
    await checked(page, `citizen-book-dates-${lang}`);
    await date.click();
    await page.getByTestId('confirm').waitFor();
    await checked(page, `citizen-book-confirm-${lang}`);
    await page.getByTestId('confirm').click();
    const number = page.getByTestId('booking-number');
    await number.waitFor({ timeout: 20_000 });
    await checked(page, `citizen-receipt-${lang}`);
    return ((await number.textContent()) ?? '').trim();
  }

  for (const lang of ['ko', 'en'] as const) {
    it(`books through the waiting room in ${lang}, then changes and cancels`, async () => {
      await steer({ paused: true });
      await joinAhead(3);
      const ctx = await phone(browser, lang === 'ko' ? 'ko-KR' : 'en-US');
      const page = await ctx.newPage();
      const rrn = syntheticRrn('1988-04-19', serial++);
      await verify(page, lang === 'ko' ? '김예약' : '이영어', rrn, lang);
      // Eligible and the waiting room is on: the page goes to /wait/ and waits behind 3 people.
      await page.waitForURL(/\/wait\//, { timeout: 20_000 }).catch(async (e: unknown) => {
        await shot(page, `fail-${lang}`);
        throw e;
      });
      await page.getByTestId('ahead').waitFor();
      await expect.poll(() => aheadOf(page), { timeout: 10_000 }).toBe(3);
      await checked(page, `wait-${lang}`);
      await steer({ paused: false });
      // Admitted at 2 a second: the page moves on by itself to booking.
      await page.waitForURL(/#\/book\//, { timeout: 30_000 });
      const bookingNumber = await book(page, lang);
      expect(bookingNumber).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4})+$/);
      // Receipt facts come from the server: the same booking by the API.
      const got = await page.evaluate(async (n) => (await fetch(`/api/v1/reservations/${n}`)).status, bookingNumber);
      expect(got).toBe(200);
      await page.goto(`${server.url}/?lang=${lang}#/my`);
      await page.getByTestId('lookup').waitFor();
      await checked(page, `citizen-my-${lang}`);
      await page.getByTestId('lookup').click();
      await page.getByTestId('change').waitFor();
      await page.getByTestId('change').click();
      const other = page.locator('[data-testid^="date-"]').nth(1);
      await other.waitFor();
      await other.click();
      await page.getByTestId('confirm').click();
      await page.getByTestId('booking-number').waitFor();
      await page.getByTestId('cancel').click();
      const dialog = page.getByTestId('cancel-confirm');
      if (await dialog.count()) await dialog.click();
      await expect.poll(async () => page.evaluate(async (n) => (await (await fetch(`/api/v1/reservations/${n}`)).json()).status, bookingNumber), { timeout: 10_000 }).toBe('cancelled');
      await checked(page, `citizen-cancelled-${lang}`);
      await ctx.close();
    });
  }

  it('a refresh or a closed tab keeps the place; a pause with a notice shows, resume moves the line', async () => {
    await steer({ paused: true, notice: { ko: '잠시 입장을 멈췄습니다. 순서는 그대로입니다.', en: 'Admission is paused for a moment. Your place is kept.' } });
    await joinAhead(2);
    const ctx = await phone(browser);
    let page = await ctx.newPage();
    await verify(page, '박새로', syntheticRrn('1979-11-09', serial++), 'ko');
    await page.waitForURL(/\/wait\//, { timeout: 20_000 });
    await page.getByTestId('ahead').waitFor();
    await expect.poll(() => aheadOf(page), { timeout: 10_000 }).toBeGreaterThan(0);
    const before = await aheadOf(page);
    // The operator's notice, in the page's language.
    await expect.poll(async () => (await page.getByTestId('notice').textContent()) ?? '', { timeout: 10_000 }).toContain('잠시 입장을 멈췄습니다');
    await checked(page, 'wait-paused-notice-ko');
    await page.reload();
    await page.getByTestId('ahead').waitFor();
    await expect.poll(() => aheadOf(page), { timeout: 10_000 }).toBeLessThanOrEqual(before);
    // A closed tab: the same person opens the waiting page again later.
    await page.close();
    page = await ctx.newPage();
    await page.goto(`${server.url}/wait/?c=demo`);
    await page.getByTestId('ahead').waitFor();
    await expect.poll(() => aheadOf(page), { timeout: 10_000 }).toBeLessThanOrEqual(before);
    expect(await aheadOf(page)).toBeGreaterThan(0);
    await steer({ paused: false, notice: null });
    await page.waitForURL(/#\/book\//, { timeout: 30_000 });
    await ctx.close();
  });
});
