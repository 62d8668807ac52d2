/**
 * The console's dose-2 moves view in a real browser (issue #11): an operator signs in, opens the
 * tab, previews a plan (the dry run's counts), starts it; the job's progress bar reaches the end
 * and the people who did not fit are listed. axe-core (WCAG 2.1 A/AA) on the view, Korean and
 * English; a screenshot of each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axe, browserAvailable, launch, shot, startServer, type Server } from './harness.ts';
import { TEST_KEYS } from '../helpers/app.ts';
import { addDays, KOREA_TIME_ZONE, localDay } from '../../src/rules/time.ts';
import { bookBulk } from '../operations/audit-bulk.ts';
import { opsReschedule as ko } from '../../web/i18n/ko/ops-reschedule.ts';
import { opsReschedule as en } from '../../web/i18n/en/ops-reschedule.ts';
import { ops as enOps } from '../../web/i18n/en/ops.ts';

const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: 'ko-KR', timezoneId: 'Asia/Seoul' } as const;

describe.runIf(browserAvailable())('console: bulk dose-2 moves', () => {
  let server: Server;
  let browser: Browser;
  let plan = '';

  beforeAll(async () => {
    server = await startServer({ clinics: 3 });
    browser = await launch();
    const today = localDay(server.clock.now(), KOREA_TIME_ZONE);
    expect(await bookBulk(server.db, 'demo', 150, 'BR', server.clock.now().toISOString())).toBe(150);
    // No room left at C000001 on +29…+31: its people with dose 1 on +1 do not fit.
    for (const offset of [29, 30, 31]) {
      const at = ['C000001', addDays(today, offset)];
      await server.db.query(`UPDATE supply p SET allocated = p.allocated - s.remaining FROM slot s WHERE s.supply_id = p.id AND s.clinic_id = $1 AND s.day = $2 AND s.dose = 2`, at);
      await server.db.query(`UPDATE slot SET capacity = capacity - remaining, remaining = 0 WHERE clinic_id = $1 AND day = $2 AND dose = 2`, at);
    }
    plan = JSON.stringify({ campaignId: 'demo', vaccineId: 'pfizer', dose1From: addDays(today, 1), dose1To: addDays(today, 3), interval: { minDays: 28, maxDays: 30 }, batchSize: 10 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(page: Page, lang: 'ko' | 'en'): Promise<void> {
    await page.goto(`${server.url}/ops/${lang === 'en' ? '?lang=en' : ''}#c=demo&v=reschedule`);
    await page.getByTestId('signin-token').fill(TEST_KEYS.adminToken);
    await page.getByTestId('signin').click();
    await page.getByTestId('reschedule').waitFor();
  }

  it('previews, starts, shows the progress to the end and lists who did not fit', async () => {
    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    await open(page, 'ko');
    await page.getByLabel(ko.planLabel).fill(plan);
    await page.getByTestId('reschedule-dry-run').click();
    const dry = page.getByTestId('reschedule-dry');
    await dry.waitFor();
    expect(await dry.textContent()).toContain(ko.reason.FULL);
    const jobs = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reschedule_job');
    expect(jobs.rows[0]?.n).toBe(0); // the preview wrote nothing
    await page.getByTestId('reschedule-start').click();
    const job = page.locator('[data-testid^="reschedule-job-"]').first();
    await job.waitFor();
    await expect.poll(async () => page.getByTestId('reschedule-progress').first().getAttribute('value'), { timeout: 20_000 }).toBe('1');
    const done = await server.db.query<{ moved: number; unfit: number }>('SELECT moved, unfit FROM reschedule_job ORDER BY id DESC LIMIT 1');
    expect(done.rows[0]?.moved).toBeGreaterThan(0);
    expect(done.rows[0]?.unfit).toBeGreaterThan(0);
    expect(await job.textContent()).toContain(ko.state.done);
    expect(await job.getByTestId('reschedule-unfit').locator('tbody tr').count()).toBe(done.rows[0]?.unfit);
    await shot(page, 'ops-reschedule-ko');
    expect(await axe(page, 'ops-reschedule-ko')).toEqual([]);
    await ctx.close();
  });

  it('in English too', async () => {
    const ctx = await browser.newContext({ ...DESKTOP, locale: 'en-GB' });
    const page = await ctx.newPage();
    await open(page, 'en');
    expect(await page.getByTestId('view-reschedule').textContent()).toBe(enOps.viewReschedule);
    expect(await page.locator('#reschedule-heading').textContent()).toBe(en.heading);
    await page.locator('[data-testid^="reschedule-job-"]').first().waitFor();
    await shot(page, 'ops-reschedule-en');
    expect(await axe(page, 'ops-reschedule-en')).toEqual([]);
    await ctx.close();
  });
});
