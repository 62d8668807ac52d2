/**
 * The browser suite's harness: a real server on a loopback port (the embedded store, the demo
 * scenario, the machine's clock so the waiting room's controller really admits), Debian's
 * Chromium driven by playwright-core at a 360×740 phone viewport, axe-core for WCAG 2.1 AA, and
 * screenshots into ./screenshots (git-ignored; the README lists them).
 *
 * Chromium missing: the suite is skipped with the reason locally, and FAILS under CI=true (a
 * skipped browser suite must never count as passing there; .ci/run installs chromium).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from 'vitest';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/core/config.ts';
import { openDb, type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { seedScenario } from '../../src/scenarios/seed.ts';
import { TEST_KEYS, phoneOf } from '../helpers/app.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(import.meta.dirname, '../../screenshots');
export const PHONE = { width: 360, height: 740 };

/** Whether the suite can run here; under CI a missing browser is an error, not a skip. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install chromium fonts-noto-cjk)`);
  console.warn(`browser suite skipped: ${CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)`);
  return false;
}

/** The machine's clock moved by a settable offset: a day's doses booked "yesterday", marked today. */
export class OffsetClock implements Clock {
  offsetMs = 0;
  nowMs(): number {
    return systemClock.nowMs() + this.offsetMs;
  }
  now(): Date {
    return new Date(this.nowMs());
  }
  monotonicMs(): number {
    return systemClock.monotonicMs();
  }
}

export interface Server {
  url: string;
  clock: OffsetClock;
  app: FastifyInstance;
  db: Db;
  /** An operator's headers (the admin token). */
  operator: Record<string, string>;
  close(): Promise<void>;
}

export interface ServerOptions {
  clinics?: number;
  /** Turn the demo's waiting room on (verify-first), paused or not, at `ratePerS`. */
  waitingRoom?: { ratePerS: number; paused?: boolean };
  /** The server's clock starts this far from the machine's (the test may move it later). */
  offsetMs?: number;
}

export async function startServer(opts: ServerOptions = {}): Promise<Server> {
  const config = loadConfig({ dataDir: 'memory:', identity: 'sandbox', ...TEST_KEYS }, {});
  const db = await openDb({ databaseUrl: null, dataDir: 'memory:', poolMax: 4 });
  const clock = new OffsetClock();
  clock.offsetMs = opts.offsetMs ?? 0;
  await migrate(db);
  await seedScenario(db, { scenario: 'demo', clock, seed: 7, clinics: opts.clinics ?? 12 });
  if (opts.waitingRoom) {
    await db.query(
      `UPDATE campaign SET queue_enabled = true, queue_order = 'verify-first', queue_rate_per_s = $1, queue_paused = $2 WHERE id = 'demo'`,
      [opts.waitingRoom.ratePerS, opts.waitingRoom.paused ?? false],
    );
  }
  const app = await buildApp(config, { db, clock, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    clock,
    app,
    db,
    operator: { authorization: `Bearer ${TEST_KEYS.adminToken}` },
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A phone: 360×740, touch, Korean locale and Seoul time unless told otherwise. */
export async function phone(browser: Browser, locale = 'ko-KR'): Promise<BrowserContext> {
  return browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 1, locale, timezoneId: 'Asia/Seoul' });
}

export interface AxeFinding {
  page: string;
  id: string;
  impact: string | null | undefined;
  help: string;
  nodes: number;
}
const axeFindings: AxeFinding[] = [];

/** axe-core with the WCAG 2.1 A/AA tags; returns the serious and critical findings. */
export async function axe(page: Page, name: string): Promise<AxeFinding[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const all = result.violations.map((v) => ({ page: name, id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  axeFindings.push(...all, ...(all.length ? [] : [{ page: name, id: 'none', impact: null, help: `${result.passes.length} rules passed`, nodes: 0 }]));
  mkdirSync(SCREENSHOTS, { recursive: true });
  // One file per test file: the files run in parallel processes.
  const file = basename(expect.getState().testPath ?? 'browser', '.test.ts');
  writeFileSync(join(SCREENSHOTS, `axe-${file}.json`), JSON.stringify(axeFindings, null, 2));
  return all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Verifies a synthetic person through the API (not the page): people ahead in a line. */
export async function verifyByApi(server: Server, rrn: string, name = '대기자'): Promise<{ token: string; device: string }> {
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, string>;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const ch = await post('/identity/challenges', { method: 'kakao', name, rrn, phone: phoneOf(rrn) });
  const v = await post(`/identity/challenges/${ch.challengeId}/verify`, { code: '000000' });
  return { token: v.sessionToken!, device: v.device! };
}
