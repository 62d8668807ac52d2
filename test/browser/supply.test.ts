/**
 * Sold out in a real browser (issue #11): a citizen waits in the demo's (paused) line; the
 * operator's cut takes the last doses; the waiting page says so — admission stopped, place kept,
 * the notice in Korean — and the landing page shows the notice instead of the start button, in
 * Korean and English. axe-core on both; a screenshot of each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axe, browserAvailable, launch, phone, shot, startServer, type Server } from './harness.ts';
import { phoneOf, syntheticRrn } from '../helpers/app.ts';
import { SOLD_OUT_NOTICE } from '../../src/rules/supply-state.ts';
import { supply as supplyKo } from '../../web/i18n/ko/supply.ts';
import { supply as supplyEn } from '../../web/i18n/en/supply.ts';

const API = '/api/v1';

describe.runIf(browserAvailable())('sold out on the pages', () => {
  let server: Server;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer({ clinics: 3, waitingRoom: { ratePerS: 2, paused: true } });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function checked(page: Page, name: string): Promise<void> {
    await shot(page, name);
    expect(await axe(page, name), name).toEqual([]);
  }

  /** The operator cuts every delivery of the demo to nothing: no first dose is left. */
  async function cutAll(): Promise<void> {
    const rows = (await server.db.query<{ clinic_id: string; vaccine_id: string; week_start: string }>("SELECT clinic_id, vaccine_id, week_start FROM supply WHERE campaign_id = 'demo'")).rows;
    const res = await fetch(`${server.url}${API}/admin/campaigns/demo/supply`, {
      method: 'PUT',
      headers: { ...server.operator, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: rows.map((r) => ({ clinicId: r.clinic_id, vaccineId: r.vaccine_id, weekStart: r.week_start, doses: 0 })) }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  it('the waiting page and the landing page say the supply is used up', async () => {
    const ctx = await phone(browser);
    const page = await ctx.newPage();
    const rrn = syntheticRrn('1979-11-09', 4242);
    await page.goto(`${server.url}/?lang=ko`);
    await page.getByTestId('start').click();
    await page.getByTestId('method-kakao').click();
    await page.getByTestId('name').fill('물량태');
    await page.getByTestId('rrn').fill(rrn);
    await page.getByTestId('phone').fill(phoneOf(rrn));
    await page.getByTestId('send-code').click();
    await page.getByTestId('code').fill('000000');
    await page.getByTestId('verify').click();
    await page.waitForURL(/\/wait\//, { timeout: 20_000 });
    await page.getByTestId('ahead').waitFor();

    await cutAll();
    await expect.poll(async () => (await page.getByTestId('notice').textContent()) ?? '', { timeout: 40_000 }).toContain(SOLD_OUT_NOTICE.ko);
    expect(await page.getByTestId('state').textContent()).toBe(supplyKo.waiting);
    await checked(page, 'wait-sold-out-ko');

    for (const [lang, words, notice] of [['ko', supplyKo, SOLD_OUT_NOTICE.ko], ['en', supplyEn, SOLD_OUT_NOTICE.en]] as const) {
      await page.goto(`${server.url}/?lang=${lang}`);
      const box = page.getByTestId('sold-out');
      await box.waitFor();
      expect(await box.textContent()).toContain(words.soldOutTitle);
      expect(await box.textContent()).toContain(notice);
      expect(await page.getByTestId('start').count()).toBe(0);
      await checked(page, `citizen-landing-sold-out-${lang}`);
    }
    await ctx.close();
  });
});
