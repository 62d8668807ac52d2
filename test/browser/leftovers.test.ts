/**
 * The leftover-doses page in a real browser at 360×740 (issue #11): a clinic releases 1 dose; a
 * citizen picks the region, is sent to verify and back, takes it and sees the booking (dose 2
 * included); a second citizen no longer sees it, and taps a newer one just taken by someone else:
 * told at once that it is gone, their booking unchanged.
 * The server's day is the demo's first dose-1 day (its dose-2 day has slots). axe-core on each page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { systemClock } from '../../src/core/clock.ts';
import { syntheticRrn, phoneOf } from '../helpers/app.ts';
import { axe, browserAvailable, launch, phone, shot, startServer, verifyByApi, type Server } from './harness.ts';

describe.runIf(browserAvailable())('leftover doses page', () => {
  let server: Server;
  let browser: Browser;
  let releaseId: number;
  const clinicId = 'C000001';
  beforeAll(async () => {
    server = await startServer({ clinics: 12 });
    const first = (await server.db.query<{ day: string }>("SELECT first_shot_day::text AS day FROM campaign WHERE id = 'demo'")).rows[0]?.day;
    server.clock.offsetMs = Date.parse(`${first}T10:00:00+09:00`) - systemClock.nowMs();
    releaseId = await release(1);
    browser = await launch();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function release(doses: number): Promise<number> {
    const res = await fetch(`${server.url}/api/v1/admin/clinics/${clinicId}/leftovers`, {
      method: 'POST',
      headers: { ...server.operator, 'content-type': 'application/json' },
      body: JSON.stringify({ campaignId: 'demo', vaccineId: 'pfizer', doses, until: '18:00' }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: number }).id;
  }

  async function checked(page: Page, name: string): Promise<void> {
    await shot(page, name);
    expect(await axe(page, name), name).toEqual([]);
  }

  async function verifyOnPage(page: Page, rrn: string): Promise<void> {
    await page.getByTestId('method-kakao').click();
    await page.getByTestId('name').fill('김잔여');
    await page.getByTestId('rrn').fill(rrn);
    await page.getByTestId('phone').fill(phoneOf(rrn));
    await page.getByTestId('send-code').click();
    await page.getByTestId('code').fill('000000');
    await page.getByTestId('verify').click();
  }

  it('pick a region → the list → verify → take → the booking; a second person is told it is gone', async () => {
    const ctx = await phone(browser);
    const page = await ctx.newPage();
    await page.goto(`${server.url}/?lang=ko#/leftovers`);
    await page.getByTestId('leftover-sido').selectOption('11');
    const take = page.getByTestId(`take-${releaseId}`);
    await take.waitFor();
    expect(await take.textContent()).toBe('본인인증 후 예약하기');
    await checked(page, 'leftovers-list-ko');
    await take.click();
    await verifyOnPage(page, syntheticRrn('1980-05-05', 930_001));
    // Back on the leftovers page, the region remembered.
    await page.getByTestId(`take-${releaseId}`).click();
    const done = page.getByTestId('leftover-done');
    await done.waitFor();
    expect(await page.locator('h1').textContent()).toBe('잔여백신 예약이 완료되었습니다');
    expect(await done.textContent()).toMatch(/[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}/);
    expect(await done.textContent()).toContain('2차 접종');
    await checked(page, 'leftovers-done-ko');
    await ctx.close();

    const other = await phone(browser, 'en-US');
    const late = await other.newPage();
    await late.goto(`${server.url}/?lang=en#/verify`);
    await verifyOnPage(late, syntheticRrn('1981-06-06', 930_002));
    await late.waitForFunction(() => !location.hash.startsWith('#/verify'));
    // Past the node's 2 s list cache: the taken dose is no longer listed.
    server.clock.offsetMs += 5_000;
    await late.goto(`${server.url}/?lang=en#/leftovers`);
    await late.getByTestId('leftover-sido').selectOption('11');
    await late.getByTestId('leftover-none').waitFor();
    // A new dose, listed; someone else takes it first (through the API); the tap is told at once.
    const again = await release(1);
    server.clock.offsetMs += 5_000;
    await late.getByRole('button', { name: 'Refresh' }).click();
    await late.getByTestId(`take-${again}`).waitFor();
    const rival = await verifyByApi(server, syntheticRrn('1982-07-07', 930_003));
    const taken = await fetch(`${server.url}/api/v1/leftovers/${again}/reservations`, {
      method: 'POST', headers: { authorization: `Bearer ${rival.token}`, 'idempotency-key': 'browser-rival-1' },
    });
    expect(taken.status).toBe(201);
    await late.getByTestId(`take-${again}`).click();
    const alert = late.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('all taken or closed');
    expect(await alert.textContent()).toContain('Your existing booking has not changed.');
    await checked(late, 'leftovers-gone-en');
    await other.close();
  }, 120_000);
});
