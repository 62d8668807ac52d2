/**
 * The rehearsal's HTML report (issue #10): rendered from a hand-written summary with a broken
 * invariant, a bot that got through and HTML in server-provided text. The document must need no
 * network (checked in the markup and again in Chromium from file://, every request recorded),
 * escape what the server said, show every endpoint and the broken invariant, and pass axe-core.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { bucketTimeline, renderReport } from '../../src/rehearsal/report.ts';
import { escapeHtml } from '../../src/rehearsal/report-charts.ts';
import type { RehearsalSummary, TimelinePoint } from '../../src/rehearsal/summary.ts';
import { axe, browserAvailable, launch, phone, shot, SCREENSHOTS } from '../browser/harness.ts';

const summary = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/summary.json'), 'utf8')) as RehearsalSummary;
const ATTACK = Object.keys(summary.errorsByCode).find((code) => code.includes('<script>'))!;

describe('renderReport', () => {
  const html = renderReport(summary);

  it('is one HTML document in Korean', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<html[\s>]/g)).toHaveLength(1);
    expect(html).toMatch(/<html lang="ko">/);
    expect(html.match(/<\/html>/g)).toHaveLength(1);
    expect(html.match(/<body[\s>]/g)).toHaveLength(1);
  });

  it('loads nothing from anywhere: no script, link, external src or href', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/<(img|iframe|object|embed|audio|video|source)\b/i);
    // Attributes inside real tags only: escaped text shows "src=https://…" as words, not as a tag.
    expect(html).not.toMatch(/<[a-z][^>]*\s(src|href|xlink:href|action|srcset)\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/@import/i);
  });

  it('escapes the text the server sent', () => {
    expect(ATTACK).toBeDefined();
    expect(html).not.toContain(ATTACK);
    expect(html).toContain('500 &#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;&#60;img src=https://evil.example/x.png onerror=alert(1)&#62;');
    expect(html).toContain('201 &#34;&#62;&#60;img src=x onerror=alert(2)&#62;'); // a bot's answer
    expect(html).toContain('&#60;b&#62;bold?&#60;/b&#62;'); // an invariant's detail
    expect(html).not.toContain('<b>');
  });

  it('has a row for each endpoint with its percentiles', () => {
    for (const endpoint of summary.endpoints) {
      const row = html.split('<tr>').find((r) => r.replace(/<(wbr|span class="api-prefix"|\/span)>/g, '').includes(`<code class="breakable">${endpoint.endpoint}</code>`));
      expect(row, endpoint.endpoint).toBeDefined();
      expect(row).toContain(`${new Intl.NumberFormat('ko-KR').format(endpoint.count)}</td>`);
    }
    expect(html).toContain('3,012,884'); // the status poll's count, ko-KR grouping
    expect(html).toContain('143 ms ▲'); // the booking's p99, over the 50 ms aim
  });

  it('shows the broken invariant as broken, in words and in its tile', () => {
    const broken = summary.invariants.find((i) => !i.ok)!;
    const item = html.split('<li').find((li) => li.includes(broken.name))!;
    expect(item).toContain('class="broken"');
    expect(item).toContain('✘ BROKEN');
    for (const ok of summary.invariants.filter((i) => i.ok)) {
      expect(html.split('<li').find((li) => li.includes(ok.name))).toContain('✔ OK');
    }
    const tile = html.split('<div class="tile').find((t) => t.includes('Invariants'))!;
    expect(tile).toMatch(/^ bad"/);
    expect(tile).toContain('1 <span class="ko">위반</span><span class="sep"> / </span><span lang="en">broken</span>');
    expect(html).toContain('Failed: an invariant broke or a bot got through');
  });

  it("shows each bot's result, the one that got through as FAIL", () => {
    const cards = html.slice(html.indexOf('id="bots"'), html.indexOf('id="invariants"')).split('<li class=');
    for (const bot of summary.bots) {
      const card = cards.find((c) => c.includes(`<code class="kind">${bot.kind}</code>`));
      expect(card, bot.kind).toContain(bot.passed ? '"ok"><span class="badge good">✔ PASS' : '"broken"><span class="badge bad">✘ FAIL');
      expect(card).toContain(escapeHtml(bot.tries));
    }
    expect(html).toContain('1 of 5 kinds of bot got through');
  });

  it('draws the charts as inline SVG, each with a table alternative', () => {
    const svgs = html.match(/<svg class="chart/g) ?? [];
    // 5 time series, citizens, errors by code, ETA within ±20 % (rehearsal; server beside it), CPU.
    expect(svgs.length).toBe(10);
    for (const id of ['waiting', 'admitted', 'requests', 'p99', 'errors']) {
      const figure = html.split('<figure').find((f) => f.includes(`id="chart-${id}"`))!;
      expect(figure, id).toContain('<polyline points="');
      expect(figure).toMatch(/<details><summary>[^]*<table/);
    }
  });

  it("renders the server's fairness record: seed, order, ETA beside the rehearsal's", () => {
    const fairness = html.slice(html.indexOf('id="fairness"'), html.indexOf('id="settings"'));
    expect(fairness).toContain('<code>9f2c1e0b7a5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918070f6e5d4c3</code>');
    expect(fairness).toContain('<code>yeyak-shuffle-v1:demo:3141592653:5be1c0ffee0ddba11f00dfacadedbeef</code>');
    expect(fairness).toContain('<code>3141592653</code>'); // the seed's digits as hashed, not grouped
    expect(fairness).toContain('Inversions beyond the shuffle: 0 (0 expected)');
    expect(fairness).toContain('<td>7,311</td>'); // shuffledPosition(1, P, seed) in the sample
    expect(fairness).toMatch(/Within ±20 %[^]*?<td>90.8%<\/td><td>91.3%<\/td>/); // server, then rehearsal
    expect(fairness).toContain('<td>+34s</td>'); // errorP90Seconds, signed
    expect(fairness).toContain('&#34;algorithm&#34;: &#34;yeyak-feistel-v1&#34;'); // the raw record, escaped
  });

  it('reads a fairness record of another shape without failing, escaped', () => {
    const odd = renderReport({ ...summary, fairness: { seed: 'x', admissionOrder: { inversionsBeyondShuffle: 2 }, eta: [1], note: '<i>hi</i>' } });
    expect(odd).toContain('Inversions beyond the shuffle: 2 (0 expected)');
    expect(odd).toContain('&#60;i&#62;hi&#60;/i&#62;');
    expect(odd).not.toContain('<i>hi</i>');
    expect(renderReport({ ...summary, fairness: '<b>' })).toContain('A record of an unknown shape');
    const refused = renderReport({ ...summary, fairness: { error: { code: 'YEYAK_E_CAMPAIGN_NOT_FOUND', message: '<x>' } } });
    expect(refused).toContain('The server answered with something other than a fairness record');
    expect(refused).toContain('&#34;YEYAK_E_CAMPAIGN_NOT_FOUND&#34;');
    expect(refused).not.toContain('<x>');
  });

  it('draws a long rehearsal in bounded charts: an hour of seconds in at most 360 points, peaks kept', () => {
    const hour: TimelinePoint[] = Array.from({ length: 3600 }, (_, i) => ({
      t: i + 1, waiting: i === 1234 ? 999_999 : 10, admittedPerSecond: i % 2 ? 100 : 300, bookingsPerSecond: 50, requestsPerSecond: 1000, p99: i === 2345 ? 777 : 20, errors: 0,
    }));
    const points = bucketTimeline(hour, 360);
    expect(points).toHaveLength(360);
    expect(Math.max(...points.map((p) => p.waiting))).toBe(999_999);
    expect(Math.max(...points.map((p) => p.p99))).toBe(777);
    expect(new Set(points.map((p) => p.admittedPerSecond))).toEqual(new Set([200])); // rates averaged
    const long = renderReport({ ...summary, timeline: hour });
    expect(long.length).toBeLessThan(html.length * 2);
    expect(long).toContain('1:00:00'); // the time axis ends on the hour
  });

  it('draws the 12 most frequent error codes and the rest as one bar; the table lists every code', () => {
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`4${String(i).padStart(2, '0')} YEYAK_E_CODE_${i}`, 100 - i]));
    const out = renderReport({ ...summary, errorsByCode: many });
    const errors = out.slice(out.indexOf('id="errors"'), out.indexOf('id="eta"'));
    expect(errors.match(/<rect [^>]*fill=/g)).toHaveLength(13);
    expect(errors).toContain('18 other codes');
    expect(errors.match(/<tr><td><code class="breakable">/g)).toHaveLength(30);
  });

  it('shows the replay of 9 Aug 2021 beside the night, scaled, and the embedded server', () => {
    const replay = html.slice(html.indexOf('id="replay"'), html.indexOf('id="endpoints"'));
    expect(replay).toContain('× 0.0709');
    expect(replay).toMatch(/Booked by the window’s end[^]*?<td>835,000<\/td><td>59,202<\/td><td>79,850<\/td>/);
    expect(replay).toMatch(/Verification attempts per booking[^]*?<td>2.5<\/td><td>2.5<\/td><td>2.8<\/td>/);
    expect(html).toContain('2,000 clinics, started in 14.1 s');
    expect(html).toContain('인증 시작 / verifications started');
  });

  it('renders a summary with no timeline, no fairness record and no bots', () => {
    const bare = renderReport({ ...summary, timeline: [], fairness: null, bots: [], errorsByCode: {}, invariants: [{ name: 'x', ok: true, detail: '' }] });
    expect(bare).toContain('No timeline was recorded.');
    expect(bare).toContain('The server sent no fairness record.');
    expect(bare).toContain('Passed: every invariant held, every bot was refused');
    expect(bare).toContain('id="replay"'); // the fixture's extras are still there
    const { replay: _replay, embeddedServer: _embedded, verificationStarts: _starts, ...typed } = summary as RehearsalSummary & Record<string, unknown>;
    const plain = renderReport(typed as RehearsalSummary);
    expect(plain).not.toContain('id="replay"');
    expect(plain).not.toContain('Embedded server');
  });
});

describe('report-cli', () => {
  const cli = (file: string) =>
    spawnSync(process.execPath, ['bin/run-ts.js', 'src/rehearsal/report-cli.ts', file], { cwd: join(import.meta.dirname, '../..'), encoding: 'utf8' });

  it('re-renders the report from a saved summary', () => {
    const run = cli('test/rehearsal/fixtures/summary.json');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(renderReport(summary));
  });

  it('refuses what is not a summary, saying why', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'yeyak-report-')), 'partial.json');
    writeFileSync(file, JSON.stringify({ version: 1, settings: {} }));
    const run = cli(file);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('a summary without endpoints, bots, timeline, invariants, cpu');
    expect(run.stdout).toBe('');
  });
});

describe.runIf(browserAvailable())('the report in Chromium from file://', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('opens with zero network requests, reads at 360 px and passes axe-core', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const file = join(SCREENSHOTS, 'rehearsal-report.html');
    writeFileSync(file, renderReport(summary));
    const context = await phone(browser);
    const requests: string[] = [];
    // Every request is recorded and blocked; the document itself is the only file:// load allowed.
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (url === pathToFileURL(file).href) return route.continue();
      requests.push(url);
      return route.abort();
    });
    context.on('request', (request) => {
      if (request.url() !== pathToFileURL(file).href) requests.push(request.url());
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.locator('#fairness').waitFor();
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    // Nothing wider than the phone but the scroll boxes of wide tables.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(360);
    await shot(page, 'rehearsal-report');
    expect(await axe(page, 'rehearsal-report')).toEqual([]);
    expect(requests).toEqual([]); // axe-core injected itself as a script, not by a request
    await context.close();
  });
});
