import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { axe, browserAvailable, launch, phone, shot, startServer, type Server } from './harness.ts';

describe.runIf(browserAvailable())('harness smoke', () => {
  let server: Server;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  it('opens the landing page at 360 px', async () => {
    const ctx = await phone(browser);
    const page = await ctx.newPage();
    await page.goto(`${server.url}/`);
    await page.waitForSelector('h1');
    await shot(page, 'smoke');
    expect(await axe(page, 'smoke')).toEqual([]);
    await ctx.close();
  });
});
