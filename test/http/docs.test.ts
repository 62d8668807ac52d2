/**
 * The self-describing surface: OpenAPI document, Swagger UI, health, metrics and the home page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { errorCatalogue } from '../../src/core/errors.ts';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

afterAll(async () => {
  await t?.close();
});

/** GET, following redirects by hand (at most 5), as a browser would. */
async function follow(url: string): Promise<{ res: LightMyRequestResponse; url: string }> {
  let current = url;
  for (let hops = 0; hops < 5; hops++) {
    const res = await t.app.inject({ method: 'GET', url: current });
    if (res.statusCode < 300 || res.statusCode >= 400) return { res, url: current };
    const location = res.headers.location;
    expect(typeof location, `redirect from ${current} without a location`).toBe('string');
    current = new URL(location as string, `http://localhost${current}`).pathname;
  }
  throw new Error(`too many redirects from ${url}`);
}

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { responses?: Record<string, unknown>; parameters?: { in: string; name: string }[]; requestBody?: unknown; security?: unknown[] }>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }>; schemas?: Record<string, unknown> };
}

describe('/api/v1/openapi.json', () => {
  let doc: OpenApiDoc;
  beforeAll(async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.json() as OpenApiDoc;
  });

  it('is an OpenAPI 3 document with info and bearer security schemes', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toEqual(expect.any(String));
    expect(doc.info.version).toEqual(expect.any(String));
    expect(doc.components?.securitySchemes?.session).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components?.securitySchemes?.admin).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  // The contract's paths (docs/contract.md, HTTP API). The waiting room (/campaigns/{id}/queue,
  // /queue/status) is not required yet.
  const contractPaths: [string, string[]][] = [
    ['/api/v1/campaigns', ['get']],
    ['/api/v1/campaigns/{campaignId}/eligibility', ['get']],
    ['/api/v1/campaigns/{campaignId}/clinics', ['get']],
    ['/api/v1/campaigns/{campaignId}/clinics/{clinicId}/dates', ['get']],
    ['/api/v1/identity/challenges', ['post']],
    ['/api/v1/identity/challenges/{challengeId}/verify', ['post']],
    ['/api/v1/reservations', ['post']],
    ['/api/v1/reservations/{bookingNumber}', ['get', 'patch', 'delete']],
  ];
  it.each(contractPaths)('documents %s (%j) with responses', (path, methods) => {
    const item = doc.paths[path];
    expect(item, `${path} missing; have ${Object.keys(doc.paths).join(', ')}`).toBeDefined();
    for (const m of methods) {
      expect(item?.[m], `${m.toUpperCase()} ${path}`).toBeDefined();
      expect(Object.keys(item?.[m]?.responses ?? {}).length).toBeGreaterThan(0);
    }
  });

  it('path parameters are declared for every {param} in a path', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(item)) {
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared.sort(), path).toEqual([...names].sort());
      }
    }
  });

  it('documents the clinics region filter, the Idempotency-Key header and the session requirement', () => {
    const clinics = doc.paths['/api/v1/campaigns/{campaignId}/clinics']?.get;
    expect(clinics?.parameters?.some((p) => p.in === 'query' && p.name === 'region')).toBe(true);
    const bookOp = doc.paths['/api/v1/reservations']?.post;
    expect(bookOp?.parameters?.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')).toBe(true);
    expect(bookOp?.requestBody).toBeDefined();
    expect(bookOp?.security).toEqual([{ session: [] }]);
    expect(doc.paths['/api/v1/campaigns/{campaignId}/eligibility']?.get?.security).toEqual([{ session: [] }]);
  });

  it('error responses use the catalogue schema', () => {
    const text = JSON.stringify(doc);
    for (const code of Object.keys(errorCatalogue)) expect(text).toContain(code);
  });

  it('hides the operational routes (healthz, metrics, /, openapi.json itself)', () => {
    for (const hidden of ['/healthz', '/metrics', '/', '/status', '/api/v1/openapi.json']) expect(doc.paths[hidden]).toBeUndefined();
  });
});

describe('operational pages', () => {
  it('/docs serves the Swagger UI HTML (after any redirects)', async () => {
    const { res } = await follow('/docs');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<html/i);
    expect(res.body.toLowerCase()).toContain('swagger');
  });

  it('/healthz → 200 ok', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok' });
  });

  it('/metrics is Prometheus text counting HTTP requests by route and status', async () => {
    await t.app.inject({ method: 'GET', url: '/api/v1/campaigns' });
    await t.app.inject({ method: 'GET', url: '/api/v1/nope' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('# TYPE yeyak_http_requests_total counter');
    expect(res.body).toMatch(/^yeyak_http_requests_total\{[^}]*route="\/api\/v1\/campaigns"[^}]*status="200"[^}]*\} [1-9]\d*$/m);
    expect(res.body).toMatch(/^yeyak_http_requests_total\{[^}]*status="404"[^}]*\} [1-9]\d*$/m);
    // Prometheus text format: every sample line is `name{labels} value`.
    for (const line of res.body.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      expect(line).toMatch(/^[a-zA-Z_:][\w:]*(\{.*\})? [-+]?(\d+(\.\d+)?([eE][-+]?\d+)?|NaN|\+Inf|-Inf)$/);
    }
  });

  it('/status is an HTML page naming the demo campaign (not the store: that is for staff)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/status' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/^<!doctype html>/i);
    expect(res.body).not.toContain(t.db.describe());
    expect(res.body).toContain('<code>demo</code>');
    expect(res.body).toContain('데모 접종 예약');
    expect(res.body).toContain('Demo vaccination booking');
    expect(res.body).toContain('href="/docs"');
  });
});
