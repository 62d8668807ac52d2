/**
 * The booster on the citizen pages in a real browser at 360×740 (issue #11), its clock in
 * December 2021: the landing lists it with who may book by earlier doses; a person with only an
 * uploaded record is eligible (the last dose's day shown) and books ONE dose — the receipt has no
 * dose 2 and says so; a person whose korea-2021-08 doses were given is told it is too soon, with
 * the day they may book; one with no earlier dose is told so. axe-core on each page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/core/config.ts';
import { openDb, type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { systemClock } from '../../src/core/clock.ts';
import { seedScenario } from '../../src/scenarios/seed.ts';
import { BOOSTER_DEMO_PEOPLE } from '../../src/scenarios/booster.ts';
import { TEST_KEYS } from '../helpers/app.ts';
import { axe, browserAvailable, launch, OffsetClock, phone, shot } from './harness.ts';

const NOW = '2021-12-10T10:00:00+09:00';

describe.runIf(browserAvailable())('booster pages', () => {
  let app: FastifyInstance;
  let db: Db;
  let url: string;
  let browser: Browser;
  beforeAll(async () => {
    const config = loadConfig({ dataDir: 'memory:', identity: 'sandbox', ...TEST_KEYS }, {});
    db = await openDb({ databaseUrl: null, dataDir: 'memory:', poolMax: 4 });
    const clock = new OffsetClock();
    clock.offsetMs = Date.parse(NOW) - systemClock.nowMs();
    await migrate(db);
    await seedScenario(db, { scenario: 'booster-2021-12', clock, seed: 7, clinics: 6, rrnSecret: TEST_KEYS.rrnHashSecret });
    app = await buildApp(config, { db, clock, logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launch();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await db?.close();
  });

  async function checked(page: Page, name: string): Promise<void> {
    await shot(page, name);
    expect(await axe(page, name), name).toEqual([]);
  }

  /** Landing → start (the booster is listed first) → verify in the sandbox. */
  async function verify(page: Page, person: { rrn: string; name: string; phone: string }, lang: 'ko' | 'en'): Promise<void> {
    await page.goto(`${url}/?lang=${lang}`);
    await page.getByTestId('booster-cohort').waitFor();
    await page.getByTestId('start').click();
    await page.getByTestId('method-kakao').click();
    await page.getByTestId('name').fill(person.name);
    await page.getByTestId('rrn').fill(person.rrn);
    await page.getByTestId('phone').fill(person.phone);
    await page.getByTestId('send-code').click();
    await page.getByTestId('code').fill('000000');
    await page.getByTestId('verify').click();
  }

  it('the landing lists the booster: its cohort by earlier doses, one dose', async () => {
    const ctx = await phone(browser);
    const page = await ctx.newPage();
    await page.goto(`${url}/?lang=ko`);
    const cohort = page.getByTestId('booster-cohort');
    await cohort.waitFor();
    expect(await cohort.textContent()).toContain('90일');
    expect(await page.locator('section.campaign').count()).toBe(2);
    await checked(page, 'booster-landing-ko');
    await ctx.close();
  });

  it('an uploaded record: eligible, books one dose; the receipt has no dose 2 (en)', async () => {
    const ctx = await phone(browser, 'en-US');
    const page = await ctx.newPage();
    await verify(page, BOOSTER_DEMO_PEOPLE.record, 'en');
    await page.waitForURL(/#\/book\/booster-2021-12/, { timeout: 20_000 });
    await page.getByTestId('sido').waitFor();
    await page.getByTestId('sido').selectOption({ index: 1 });
    await page.getByTestId('sigungu').selectOption({ index: 1 });
    const clinic = page.locator('[data-testid^="clinic-"]:not([data-testid="clinic-search"])').first();
    await clinic.click();
    await page.locator('[data-testid^="date-"]').first().click();
    await page.getByTestId('confirm').click();
    await page.getByTestId('booking-number').waitFor({ timeout: 20_000 });
    await page.getByTestId('booster-one-dose').waitFor();
    const receipt = (await page.locator('main').textContent()) ?? '';
    expect(receipt).not.toMatch(/Dose 2|second dose on/i);
    expect(receipt).toMatch(/Booster(Mon|Tue|Wed|Thu|Fri|Sat) \d+ (Dec 2021|Jan 2022)/);
    await checked(page, 'booster-receipt-en');
    await ctx.close();
  });

  it('korea-2021-08 doses given: too soon, with the last dose and the day to book from (ko)', async () => {
    const ctx = await phone(browser);
    const page = await ctx.newPage();
    await verify(page, BOOSTER_DEMO_PEOPLE.given, 'ko');
    const verdict = page.locator('section.verdict.no');
    await verdict.waitFor({ timeout: 20_000 });
    const text = (await verdict.textContent()) ?? '';
    expect(text).toContain('2021년 10월 7일');
    expect(text).toContain('2022년 1월 5일');
    await checked(page, 'booster-too-soon-ko');
    await ctx.close();
  });

  it('no earlier dose: told so (ko)', async () => {
    const ctx = await phone(browser);
    const page = await ctx.newPage();
    await verify(page, BOOSTER_DEMO_PEOPLE.none, 'ko');
    const verdict = page.locator('section.verdict.no');
    await verdict.waitFor({ timeout: 20_000 });
    expect(await verdict.textContent()).toContain('이전 접종 기록이 없습니다');
    await checked(page, 'booster-no-dose-ko');
    await ctx.close();
  });
});
