/**
 * Page weight budgets (issue #9), on the deterministic build in dist/web: the waiting page —
 * HTML, CSS and every JS module it loads, gzip — under 15 KB in all (a million phones load it at
 * once); every other page's first load under 60 KB of JS gzip, and each view it loads later
 * (a dynamic import) under 15 KB more. Brotli is what browsers get and is smaller;
 * gzip is the budget so a proxy that only does gzip still meets it.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { builtSizes, WEB_ROOT } from '../../src/pages/build.ts';

interface PageWeight {
  html: number;
  css: number;
  js: number;
  files: string[];
}

// Minified output quotes with ', " or ` (Vite writes dynamic imports as import(`./x.js`)).
const STATIC_IMPORT = /(?:from|import)\s*["'`](\.{1,2}\/[^"'`]+)["'`]/g;
const DYNAMIC_IMPORT = /import\s*\(\s*["'`](\.{1,2}\/[^"'`]+)["'`]\s*\)/g;

/** The modules `roots` load, transitively; `dynamic`: dynamic imports are followed too. */
function reach(roots: readonly string[], dynamic: boolean): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    seen.add(url);
    if (!url.endsWith('.js')) continue;
    const code = readFileSync(join(WEB_ROOT, url), 'utf8');
    for (const re of dynamic ? [STATIC_IMPORT, DYNAMIC_IMPORT] : [STATIC_IMPORT]) {
      for (const m of code.matchAll(re)) queue.push(posix.join(posix.dirname(url), m[1]!));
    }
  }
  return [...seen];
}

const gz = (rel: string) => builtSizes(join(WEB_ROOT, rel)).gzip;
const sum = (files: readonly string[], ext: string) => files.filter((f) => f.endsWith(ext)).reduce((a, f) => a + gz(f), 0);

/**
 * The page's HTML and everything it loads: its tags, then imports between modules — static ones
 * only with `{ firstLoad: true }` (what the page needs before it can show anything).
 */
export function pageWeight(page: string, opts: { firstLoad?: boolean } = {}): PageWeight {
  const htmlPath = join(WEB_ROOT, page, 'index.html');
  const html = readFileSync(htmlPath, 'utf8');
  const files = reach([...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!), !opts.firstLoad);
  return { html: builtSizes(htmlPath).gzip, css: sum(files, '.css'), js: sum(files, '.js'), files };
}

/** The chunks a page loads later (dynamic imports), each with what it adds beyond the first load. */
function laterChunks(page: string): { chunk: string; js: number; css: number }[] {
  const first = new Set(pageWeight(page, { firstLoad: true }).files);
  const chunks = new Set<string>();
  for (const f of first) {
    if (!f.endsWith('.js')) continue;
    for (const m of readFileSync(join(WEB_ROOT, f), 'utf8').matchAll(DYNAMIC_IMPORT)) chunks.add(posix.join(posix.dirname(f), m[1]!));
  }
  return [...chunks].map((chunk) => {
    const added = reach([chunk], false).filter((f) => !first.has(f));
    return { chunk, js: sum(added, '.js'), css: sum(added, '.css') };
  });
}

describe('page budgets (gzip)', () => {
  it('the build exists with compressed copies of every asset', () => {
    expect(existsSync(join(WEB_ROOT, 'index.html'))).toBe(true);
    for (const f of pageWeight('wait').files) expect(existsSync(`${join(WEB_ROOT, f)}.gz`), f).toBe(true);
    expect(dirname(WEB_ROOT)).toMatch(/dist$/);
  });

  it('waiting page: HTML + CSS + JS < 15 KB in total', () => {
    const w = pageWeight('wait');
    const total = w.html + w.css + w.js;
    console.log(`wait: html ${w.html} + css ${w.css} + js ${w.js} = ${total} bytes gzip (${w.files.join(', ')})`);
    expect(w.js).toBeGreaterThan(0);
    expect(total).toBeLessThan(15 * 1024);
  });

  it('fairness record page: HTML + CSS + JS < 15 KB in total, no framework (plain TypeScript, like the waiting page)', () => {
    const w = pageWeight('fairness');
    const total = w.html + w.css + w.js;
    console.log(`fairness: html ${w.html} + css ${w.css} + js ${w.js} = ${total} bytes gzip (${w.files.join(', ')})`);
    expect(w.js).toBeGreaterThan(0);
    expect(total).toBeLessThan(15 * 1024);
    const code = w.files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(WEB_ROOT, f), 'utf8')).join('\n');
    expect(code).not.toMatch(/__PREACT_DEVTOOLS__|preact|w3\.org\/2000\/svg/i);
  });

  it('waiting page loads no framework (plain TypeScript)', () => {
    const code = pageWeight('wait').files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(WEB_ROOT, f), 'utf8')).join('\n');
    // Markers that survive minification: Preact's devtools hook name and its SVG namespace, both
    // in the Preact pages' shared chunk (checked, so the marker cannot go stale unnoticed).
    const markers = /__PREACT_DEVTOOLS__|preact|w3\.org\/2000\/svg/i;
    expect(code).not.toMatch(markers);
    const citizen = pageWeight('').files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(WEB_ROOT, f), 'utf8')).join('\n');
    expect(citizen).toMatch(markers);
  });

  for (const page of ['', 'ops', 'clinic']) {
    it(`${page || 'citizen'} page: JS of the first load < 60 KB, each view loaded later < 15 KB more`, () => {
      const w = pageWeight(page, { firstLoad: true });
      const later = laterChunks(page);
      console.log(`${page || 'citizen'}: first load js ${w.js} bytes gzip, css ${w.css}, html ${w.html}; later: ${later.map((c) => `${c.chunk} +${c.js}`).join(', ') || 'none'}`);
      expect(w.js).toBeGreaterThan(0);
      expect(w.js).toBeLessThan(60 * 1024);
      for (const c of later) expect(c.js + c.css, c.chunk).toBeLessThan(15 * 1024);
    });
  }

  it('the console loads its outbox, supply and dose-2 move views later, as chunks of their own', () => {
    const later = laterChunks('ops');
    expect(later.length).toBeGreaterThanOrEqual(3);
    const first = pageWeight('ops', { firstLoad: true }).files;
    const all = pageWeight('ops').files;
    expect(all.length).toBeGreaterThan(first.length);
  });
});
