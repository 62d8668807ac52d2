/**
 * The built pages as the server hands them out: every page group at its path, hashed assets
 * immutable, HTML revalidated, Brotli/gzip copies by Accept-Encoding, no per-person data in the
 * HTML, and no wildcard that would swallow unknown paths (admin paths still answer 401).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { WEB_ROOT } from '../../src/pages/build.ts';
import { IMMUTABLE } from '../../src/pages/routes.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clinics: 3 });
});
afterAll(async () => t?.close());

const PAGES = ['/', '/wait/', '/ops/', '/clinic/'];

function assetsOf(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}

describe('pages', () => {
  it('each page group answers HTML with the page headers and revalidation', async () => {
    for (const url of PAGES) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.headers['cache-control'], url).toBe('public, max-age=0, must-revalidate');
      expect(res.headers['content-security-policy'], url).toContain("script-src 'self'");
      expect(assetsOf(res.body).length, url).toBeGreaterThan(0);
    }
  });

  it('a page path without its slash is redirected to it', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/wait' });
    expect(res.statusCode).toBe(301);
    expect(res.headers.location).toBe('/wait/');
  });

  it('hashed assets are immutable and served precompressed, byte-identical when decoded', async () => {
    const html = (await t.app.inject({ method: 'GET', url: '/wait/' })).body;
    for (const asset of assetsOf(html)) {
      const plain = readFileSync(join(WEB_ROOT, asset));
      const br = await t.app.inject({ method: 'GET', url: asset, headers: { 'accept-encoding': 'br, gzip' } });
      expect(br.headers['cache-control']).toBe(IMMUTABLE);
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toMatch(/accept-encoding/i);
      expect(brotliDecompressSync(br.rawPayload).equals(plain)).toBe(true);
      const gz = await t.app.inject({ method: 'GET', url: asset, headers: { 'accept-encoding': 'gzip' } });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.rawPayload).equals(plain)).toBe(true);
      const none = await t.app.inject({ method: 'GET', url: asset });
      expect(none.headers['content-encoding']).toBeUndefined();
      expect(none.rawPayload.equals(plain)).toBe(true);
    }
  });

  it('the HTML is the same for everyone: a signed-in citizen gets the same bytes (a CDN may cache it)', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/wait/' });
    const token = await t.login(syntheticRrn('1990-08-29', 1));
    const signedIn = await t.app.inject({ method: 'GET', url: '/wait/', headers: { authorization: `Bearer ${token}`, cookie: `yeyak_session=${token}` } });
    expect(signedIn.body).toBe(anonymous.body);
    expect(signedIn.headers['set-cookie']).toBeUndefined();
  });

  it('no wildcard: unknown paths are 404 JSON, unknown admin paths still 401, compressed copies are not routes', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/no-such-page' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBeDefined();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/no-such-thing' })).statusCode).toBe(401);
    const html = (await t.app.inject({ method: 'GET', url: '/' })).body;
    const asset = assetsOf(html)[0]!;
    expect((await t.app.inject({ method: 'GET', url: `${asset}.br` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/../package.json' })).statusCode).toBe(404);
  });
});
