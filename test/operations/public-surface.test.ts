/**
 * What the public sees of a node (issue #7): no database host, port or name on `/`, `/healthz` or
 * `/metrics` (staff see them in the admin overview); while the sandbox identity is on, every
 * answer carries `Yeyak-Sandbox: identity` and the status page a banner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';

const OPERATOR = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const PUBLIC_PATHS = ['/', '/status', '/healthz', '/metrics'];

async function expectStoreHidden(t: TestApp, secrets: string[]): Promise<void> {
  for (const url of PUBLIC_PATHS) {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode, url).toBe(200);
    const text = `${JSON.stringify(res.headers)}\n${res.body}`;
    for (const s of secrets) expect(text, `${url} shows ${s}`).not.toContain(s);
  }
  const overview = await t.app.inject({ method: 'GET', url: '/api/v1/admin/overview', headers: OPERATOR });
  expect(overview.statusCode).toBe(200);
  expect(overview.json()).toMatchObject({ store: t.db.describe() });
}

describe('the store is not shown to the public', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clinics: 5 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('PGlite: `/`, `/healthz`, `/metrics` do not describe the store; the admin overview does', async () => {
    await expectStoreHidden(t, [t.db.describe()]);
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toMatchObject({ status: 'ok', store: 'up' });
  });
});

describe.skipIf(!process.env.DATABASE_URL)('the store is not shown to the public, on PostgreSQL', () => {
  let t: TestApp;
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('yeyak_surface');
    t = await createTestApp({ clinics: 5, databaseUrl: database.url });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  it('neither the host:port nor the database name appear', async () => {
    const url = new URL(database.url);
    await expectStoreHidden(t, [t.db.describe(), database.name, `${url.hostname}:${url.port || 5432}`]);
  });
});

describe('the sandbox identity says so', () => {
  let sandbox: TestApp;
  let real: TestApp;
  beforeAll(async () => {
    sandbox = await createTestApp({ clinics: 5 });
    // A real verification service for every method: the sandbox answers for nothing.
    real = await createTestApp({ clinics: 5, config: { identity: 'off', identityHttpUrl: 'http://127.0.0.1:9/verify' } });
  });
  afterAll(async () => {
    await sandbox?.close();
    await real?.close();
  });

  const requests = [
    { method: 'GET', url: '/' },
    { method: 'GET', url: '/status' },
    { method: 'GET', url: '/healthz' },
    { method: 'GET', url: '/metrics' },
    { method: 'GET', url: '/docs' },
    { method: 'GET', url: '/api/v1/campaigns' },
    { method: 'GET', url: '/api/v1/no-such-thing' },
    { method: 'GET', url: '/api/v1/admin/overview' }, // 401 from the staff hook
    { method: 'GET', url: '/api/v1/%zz' }, // a framework error (malformed URL)
    { method: 'POST', url: '/api/v1/identity/challenges', payload: { method: 'phone' } }, // 400
  ] as const;

  it('every answer carries Yeyak-Sandbox: identity — pages, API, errors', async () => {
    for (const r of requests) {
      const res = await sandbox.app.inject(r as never);
      expect(res.headers['yeyak-sandbox'], `${r.method} ${r.url} → ${res.statusCode}`).toBe('identity');
    }
  });

  it('the status page shows a banner in Korean and English', async () => {
    const res = await sandbox.app.inject({ method: 'GET', url: '/status' });
    expect(res.body).toContain('class="sandbox"');
    expect(res.body).toContain('모의 본인인증');
    expect(res.body).toContain('the code 000000 verifies anyone');
  });

  it('no header and no banner where the sandbox answers for no method', async () => {
    for (const r of requests) {
      const res = await real.app.inject(r as never);
      expect(res.headers['yeyak-sandbox'], `${r.method} ${r.url}`).toBeUndefined();
    }
    expect((await real.app.inject({ method: 'GET', url: '/status' })).body).not.toContain('class="sandbox"');
  });
});
