/**
 * The clinic portal in a real browser at 360×740 (issue #9): a clinic staff member signs in with
 * a token (the session becomes an httpOnly cookie, the token is not kept in the page), marks one
 * dose administered and one a no-show (after the confirmation), both recorded with their audit
 * rows; a capacity below what is booked is refused in words beside its row; leftover doses are
 * released and withdrawn. axe-core on each state; a screenshot of each, Korean and English.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axe, browserAvailable, launch, phone, shot, startServer, verifyByApi, type Server } from './harness.ts';
import { syntheticRrn } from '../helpers/app.ts';

const API = '/api/v1';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const KOREA_OFFSET_MS = 9 * HOUR_MS;

describe.runIf(browserAvailable())('clinic portal', () => {
  let server: Server;
  let browser: Browser;
  let clinicId: string;
  let token: string;
  const booked: string[] = [];

  async function api<T>(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    const res = await fetch(`${server.url}${API}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    expect(res.ok, `${path}: ${res.status} ${text}`).toBe(true);
    return JSON.parse(text) as T;
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launch();
    const clinics = await api<{ id: string }[]>('/campaigns/demo/clinics');
    clinicId = clinics[0]!.id;
    token = (await api<{ token: string }>('/admin/staff', { method: 'POST', headers: server.operator, body: { role: 'clinic', clinicId, name: '김간호' } })).token;
    // Two people book the first dose-1 day (tomorrow: the demo's lead day)…
    const [first] = await api<{ date: string }[]>(`/campaigns/demo/clinics/${clinicId}/dates`);
    for (const [i, birth] of ['1961-03-05', '1979-11-23'].entries()) {
      const { token: session } = await verifyByApi(server, syntheticRrn(birth, 900 + i), i === 0 ? '최접종' : '정노쇼');
      const b = await api<{ bookingNumber: string }>('/reservations', {
        method: 'POST',
        headers: { authorization: `Bearer ${session}`, 'idempotency-key': `clinic-portal-${i}` },
        body: { campaignId: 'demo', clinicId, date: first!.date },
      });
      booked.push(b.bookingNumber);
    }
    // …and the server's clock moves to 10:00 Korea time on that day: it is today, when outcomes
    // may be recorded, with the rest of the day ahead for a leftover release.
    const now = server.clock.nowMs();
    const koreaMidnightNext = Math.floor((now + KOREA_OFFSET_MS) / DAY_MS) * DAY_MS + DAY_MS - KOREA_OFFSET_MS;
    server.clock.offsetMs += koreaMidnightNext + 10 * HOUR_MS - now;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function checked(page: Page, name: string): Promise<void> {
    await shot(page, name);
    expect(await axe(page, name), name).toEqual([]);
  }

  async function signIn(page: Page, lang: 'ko' | 'en'): Promise<void> {
    await page.goto(`${server.url}/clinic/?lang=${lang}`);
    await page.getByTestId('signin-token').waitFor();
    await checked(page, `clinic-signin-${lang}`);
    await page.getByTestId('signin-token').fill(token);
    await page.getByTestId('signin').click();
    await page.getByTestId('list-summary').waitFor();
  }

  it('marks one dose administered and one a no-show, recorded with their audit rows', async () => {
    const ctx = await phone(browser);
    const page = await ctx.newPage();
    await signIn(page, 'ko');
    // The session is the httpOnly cookie; the token is nowhere in the page's storage.
    const cookies = await ctx.cookies();
    expect(cookies.find((c) => c.name === 'yeyak_staff')?.httpOnly).toBe(true);
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))).not.toContain(token);
    await checked(page, 'clinic-list-ko');

    const [administered, noShow] = booked.map((n) => `dose-${n}-1`);
    await page.getByTestId(`${administered}-administered`).click();
    await expect.poll(() => page.getByTestId(`${administered}-outcome`).textContent()).toContain('접종 완료');

    await page.getByTestId(`${noShow}-no_show`).click();
    await page.getByTestId(`${noShow}-no_show-confirm`).waitFor();
    await checked(page, 'clinic-no-show-confirm-ko');
    await page.getByTestId(`${noShow}-no_show-confirm`).click();
    await expect.poll(() => page.getByTestId(`${noShow}-outcome`).textContent()).toContain('미접종');
    // The no-show may still be corrected (the person came late); the administered dose has no buttons.
    expect(await page.getByTestId(`${noShow}-administered`).count()).toBe(1);
    expect(await page.getByTestId(`${administered}-no_show`).count()).toBe(0);
    await checked(page, 'clinic-recorded-ko');

    const list = await api<{ reservations: { bookingNumber: string; dose: number; outcome: string | null }[] }>(`/admin/clinics/${clinicId}/reservations`, { headers: server.operator });
    const outcome = (n: string) => list.reservations.find((r) => r.bookingNumber === n && r.dose === 1)?.outcome;
    expect([outcome(booked[0]!), outcome(booked[1]!)]).toEqual(['administered', 'no_show']);
    const audit = await server.db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE action IN ('dose_administered', 'dose_no_show') AND detail->>'clinicId' = $1 ORDER BY id`,
      [clinicId],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['dose_administered', 'dose_no_show']);
    await ctx.close();
  });

  it('says in words why a capacity is refused, releases leftover doses and withdraws them (English)', async () => {
    const ctx = await phone(browser, 'en-US');
    const page = await ctx.newPage();
    await signIn(page, 'en');
    const row = page.locator('#capacity .cap-row').first();
    await row.locator('input[type=number]').fill('0');
    await row.getByRole('button', { name: 'Save' }).click();
    // Two doses are booked on the first day: below that is refused, and the row says so.
    await expect.poll(() => row.locator('.error').textContent()).toMatch(/\w/);
    await checked(page, 'clinic-capacity-refused-en');

    await page.getByTestId('leftover-doses').fill('3');
    await page.getByTestId('leftover-until').fill('18:00');
    await page.getByTestId('leftover-release').click();
    const release = page.locator('.leftover').first();
    await expect.poll(() => release.textContent()).toContain('Open for booking');
    const [listed] = await api<{ id: number; doses: number; withdrawnAt: string | null }[]>(`/admin/clinics/${clinicId}/leftovers`, { headers: server.operator });
    expect(listed).toMatchObject({ doses: 3, withdrawnAt: null });
    await page.getByTestId(`leftover-${listed!.id}-withdraw`).click();
    await expect.poll(() => release.textContent()).toContain('Withdrawn');
    await checked(page, 'clinic-leftovers-en');

    await page.getByTestId('signout').click();
    await page.getByTestId('signin-token').waitFor();
    expect((await ctx.cookies()).map((c) => c.name)).not.toContain('yeyak_staff');
    await ctx.close();
  });
});
