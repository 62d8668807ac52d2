/**
 * The fairness record page (/fairness/?campaign=…, issue #10) in a real browser at 360×740: the
 * demo campaign with its waiting room and a pre-queue shuffle; its opening has passed, so one
 * controller tick draws the seed and shuffles at once, and the page shows the revealed seed, its
 * commitment checked by the browser's own SHA-256 (Web Crypto: 127.0.0.1 is a secure context),
 * inversions 0, in Korean and in English; without a campaign it says how to name one. axe-core on
 * each state; screenshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axe, browserAvailable, launch, phone, shot, startServer, type Server } from './harness.ts';

describe.runIf(browserAvailable())('fairness record page', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startServer();
    await server.db.query(`UPDATE campaign SET queue_enabled = true, queue_shuffle_at_opening = true WHERE id = 'demo'`);
    await server.app.yeyak.campaigns.reload(server.db, 'demo');
    await server.app.yeyak.waitingRoom.controller.tickAll();
    browser = await launch();
    page = await (await phone(browser)).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('Korean: the revealed seed, the commitment checked in the browser, the sample places, 0 inversions', async () => {
    const record = (await (await fetch(`${server.url}/api/v1/campaigns/demo/fairness`)).json()) as { seed: { state: string; commitment: string; value: number } };
    expect(record.seed.state).toBe('revealed');
    await page.goto(`${server.url}/fairness/?campaign=demo`);
    await page.getByTestId('check').waitFor();
    expect(await page.getByTestId('seed-state').textContent()).toBe('개장 때 섞기가 끝나 시드를 공개했습니다.');
    expect(await page.getByTestId('check').textContent()).toBe('✔ 이 브라우저에서 다시 계산한 SHA-256이 약정과 같습니다.');
    const seedList = await page.locator('#seed').textContent();
    expect(seedList).toContain(record.seed.commitment);
    expect(seedList).toContain(String(record.seed.value));
    expect(await page.getByTestId('admission').textContent()).toContain('섞기 외 역전0 (기대값 0)');
    expect(await page.locator('#command').textContent()).toBe(`npx yeyak fairness verify --target ${server.url} --campaign demo`);
    expect(await axe(page, 'fairness-ko')).toEqual([]);
    await shot(page, 'fairness-ko');
  });

  it('English by the toggle', async () => {
    await page.getByRole('button', { name: 'Switch to English' }).click();
    expect(await page.locator('h1').textContent()).toBe('The fairness record');
    expect(await page.getByTestId('check').textContent()).toBe('✔ SHA-256 recomputed in this browser matches the commitment.');
    expect(await axe(page, 'fairness-en')).toEqual([]);
    await shot(page, 'fairness-en');
  });

  it('without a campaign in the address: says how to name one', async () => {
    await page.goto(`${server.url}/fairness/?lang=ko`);
    await page.locator('#problem').waitFor();
    expect(await page.locator('#problem').textContent()).toBe('주소에 캠페인이 없습니다. 예: /fairness/?campaign=korea-2021-08');
    expect(await page.locator('#record').isHidden()).toBe(true);
  });
});
