/**
 * The console's Outbox view in a real browser (issue #11): an operator signs in, opens the Outbox
 * tab, sees the counts and a dead letter (phone masked, its error code), presses Retry; the row
 * leaves the list and the notice is pending again (by the API), then sent by the node's worker.
 * axe-core (WCAG 2.1 A/AA) on the view, Korean and English; a screenshot of each.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axe, browserAvailable, launch, shot, startServer, type Server } from './harness.ts';
import { TEST_KEYS } from '../helpers/app.ts';
import { opsOutbox as ko } from '../../web/i18n/ko/ops-outbox.ts';

const DESKTOP = { viewport: { width: 1280, height: 800 }, locale: 'ko-KR', timezoneId: 'Asia/Seoul' } as const;

describe.runIf(browserAvailable())('console: the outbox', () => {
  let server: Server;
  let browser: Browser;
  let deadId = 0;

  beforeAll(async () => {
    server = await startServer();
    browser = await launch();
    const person = await server.db.query<{ id: number }>(
      `INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone) VALUES ($1, '1960-05-05', 'F', false, '이순자', '010-9876-5432') RETURNING id`,
      [randomBytes(16).toString('hex')],
    );
    const row = await server.db.query<{ id: number }>(
      `INSERT INTO outbox (created_at, topic, payload, state, attempts, last_error, dead_at)
       VALUES (now() - interval '1 hour', 'reservation.cancelled', jsonb_build_object('personId', $1::bigint, 'bookingNumber', 'K7M2-9QX4-PT3A'), 'dead', 8, 'SOLAPI_HTTP_400: -', now())
       RETURNING id`,
      [person.rows[0]?.id],
    );
    deadId = Number(row.rows[0]?.id);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function outboxState(): Promise<string> {
    const res = await server.db.query<{ state: string }>(`SELECT state FROM outbox WHERE id = $1`, [deadId]);
    return res.rows[0]?.state ?? 'missing';
  }

  async function checked(page: Page, name: string): Promise<void> {
    await shot(page, name);
    expect(await axe(page, name), name).toEqual([]);
  }

  it('lists the dead letter (masked phone, error code) and Retry puts it back to pending; the worker sends it', async () => {
    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    await page.goto(`${server.url}/ops/#v=outbox`);
    await page.getByTestId('signin-token').fill(TEST_KEYS.adminToken);
    await page.getByTestId('signin').click();
    const row = page.getByTestId(`outbox-row-${deadId}`);
    await row.waitFor();
    expect(await page.getByTestId('outbox-dead').textContent()).toBe('1');
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('010-****-5432');
    expect(text).toContain('SOLAPI_HTTP_400');
    expect(text).toContain(ko.topics['reservation.cancelled']);
    expect(await page.content()).not.toContain('010-9876-5432');
    await checked(page, 'ops-outbox-ko');
    await row.getByRole('button', { name: ko.retryLabel(deadId) }).click();
    await page.getByText(ko.retried(deadId)).waitFor();
    await row.waitFor({ state: 'detached' });
    expect(['pending', 'sent']).toContain(await outboxState());
    // The node's worker (every second) sends it with the console provider.
    await expect.poll(outboxState, { timeout: 10_000 }).toBe('sent');
    await ctx.close();
  });

  it('in English too', async () => {
    const ctx = await browser.newContext({ ...DESKTOP, locale: 'en-GB' });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/ops/?lang=en#v=outbox`);
    await page.getByTestId('signin-token').fill(TEST_KEYS.adminToken);
    await page.getByTestId('signin').click();
    await page.getByTestId('outbox-counts').waitFor();
    expect(await page.getByTestId('view-outbox').textContent()).toBe('Outbox');
    expect(await page.locator('#outbox-heading').textContent()).toBe('Outbox');
    await checked(page, 'ops-outbox-en');
    await ctx.close();
  });
});
