/**
 * Page weight budgets (issue #9), on the deterministic build in dist/web: the waiting page —
 * HTML, CSS and every JS module it loads, gzip — under 15 KB in all (a million phones load it at
 * once); every other page's JS under 60 KB gzip. Brotli is what browsers get and is smaller;
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

/** The page's HTML and everything it loads: its tags, then static imports between modules. */
export function pageWeight(page: string): PageWeight {
  const htmlPath = join(WEB_ROOT, page, 'index.html');
  const html = readFileSync(htmlPath, 'utf8');
  const seen = new Set<string>();
  const queue = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  while (queue.length) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    seen.add(url);
    if (!url.endsWith('.js')) continue;
    const code = readFileSync(join(WEB_ROOT, url), 'utf8');
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) queue.push(posix.join(posix.dirname(url), m[1]!));
  }
  const files = [...seen];
  const gz = (rel: string) => builtSizes(join(WEB_ROOT, rel)).gzip;
  return {
    html: builtSizes(htmlPath).gzip,
    css: files.filter((f) => f.endsWith('.css')).reduce((a, f) => a + gz(f), 0),
    js: files.filter((f) => f.endsWith('.js')).reduce((a, f) => a + gz(f), 0),
    files,
  };
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
    it(`${page || 'citizen'} page: JS < 60 KB`, () => {
      const w = pageWeight(page);
      console.log(`${page || 'citizen'}: js ${w.js} bytes gzip, css ${w.css}, html ${w.html}`);
      expect(w.js).toBeGreaterThan(0);
      expect(w.js).toBeLessThan(60 * 1024);
    });
  }
});
