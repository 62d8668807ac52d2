/**
 * Regression (issue #7): staff access was decided on the raw request target while the router
 * matched the path inside it, so `GET http://any.host/api/v1/admin/overview` with no token
 * answered 200 and `PATCH http://any.host/api/v1/admin/queue/{id}` paused the line. Access is now
 * decided on the route that matched (its declared staff policy, deny by default). These requests
 * go over a real socket: the HTTP parser and the router see exactly the bytes an attacker sends.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { installStaffAuth } from '../../src/staff/auth.ts';
import { StaffDirectory } from '../../src/staff/staff.ts';

let t: TestApp;
let port = 0;

beforeAll(async () => {
  t = await createTestApp({ scenario: 'demo', clinics: 4 });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
afterAll(async () => t.close());

/** Sends one raw HTTP/1.1 request and returns the status and the body. */
function raw(requestLine: string, headers: Record<string, string> = {}, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n') });
    });
    const lines = [requestLine, 'Host: localhost', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (body) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  });
}

const codeOf = (body: string): string | undefined => {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
};

describe('staff access is decided on the matched route', () => {
  const targets = [
    'http://any.host/api/v1/admin/overview',
    'https://any.host:8443/api/v1/admin/overview',
    'HTTP://ANY.HOST/api/v1/admin/overview',
    '//api/v1/admin/overview',
    '/api//v1/admin/overview',
    '/api/v1//admin/overview',
    '/api/v1/admin//overview',
    '/api/v1/./admin/overview',
    '/api/v1/x/../admin/overview',
    '/api/v1/admin/./overview',
    '/api/v1/%61dmin/overview',
    '/api/v1/adm%69n/overview',
    '/api/v1/admin%2Foverview',
    '/api/v1/ADMIN/overview',
    '/API/V1/admin/overview',
    '/api/v1/Admin/Overview',
    '/api/v1/admin/overview;x=1',
    '/api/v1/admin/overview%00',
  ];
  it.each(targets)('GET %s without a token → 401 (or 404 where nothing matched), never 200', async (target) => {
    const res = await raw(`GET ${target} HTTP/1.1`);
    expect(res.status, res.body).not.toBe(200);
    expect([400, 401, 404]).toContain(res.status);
    if (res.status === 401) expect(codeOf(res.body)).toBe('YEYAK_E_ADMIN_UNAUTHENTICATED');
  });

  it('absolute-form GET of the overview without a token → 401 ADMIN_UNAUTHENTICATED', async () => {
    const res = await raw('GET http://any.host/api/v1/admin/overview HTTP/1.1');
    expect(res.status, res.body).toBe(401);
    expect(codeOf(res.body)).toBe('YEYAK_E_ADMIN_UNAUTHENTICATED');
  });

  it('absolute-form PATCH of the waiting room without a token → 401, and the line is not paused', async () => {
    const body = JSON.stringify({ paused: true, notice: { ko: '점검 중', en: 'Closed' } });
    const res = await raw('PATCH http://any.host/api/v1/admin/queue/demo HTTP/1.1', {}, body);
    expect(res.status, res.body).toBe(401);
    expect(codeOf(res.body)).toBe('YEYAK_E_ADMIN_UNAUTHENTICATED');
    const state = await t.app.yeyak.waitingRoom.store.read('demo');
    expect(state.paused).toBe(false);
    expect(state.notice).toBeNull();
  });

  it('absolute-form with the operator token → 200: the route still works for staff', async () => {
    const res = await raw('GET http://any.host/api/v1/admin/overview HTTP/1.1', { Authorization: `Bearer ${t.config.adminToken}` });
    expect(res.status, res.body).toBe(200);
  });

  it('a refused admin call carries the API security headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/overview' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('an unknown admin path in absolute form without a token → 401 (existing or not)', async () => {
    const res = await raw('GET http://any.host/api/v1/admin/nothing-here HTTP/1.1');
    expect(res.status, res.body).toBe(401);
  });
});

describe('deny by default', () => {
  it('an admin route that declares no staff policy cannot even be registered', async () => {
    const app = Fastify();
    installStaffAuth(app, new StaffDirectory(t.db, t.config.adminToken), t.app.yeyak.staffSessions);
    const boot = async () => {
      await app.register(async (api) => {
        api.get('/admin/forgotten', async () => ({ secret: true }));
      }, { prefix: '/api/v1' });
      await app.ready();
    };
    await expect(boot()).rejects.toThrow(/staff policy/);
    await app.close().catch(() => undefined);
  });

  it('a route outside /admin that declares a staff policy is protected too', async () => {
    const app = Fastify();
    installStaffAuth(app, new StaffDirectory(t.db, t.config.adminToken), t.app.yeyak.staffSessions);
    app.get('/internal/report', { config: { staff: { roles: ['operator'] } } }, async () => ({ secret: true }));
    const res = await app.inject({ method: 'GET', url: '/internal/report' });
    expect(res.statusCode).toBe(401);
    const ok = await app.inject({ method: 'GET', url: '/internal/report', headers: { authorization: `Bearer ${t.config.adminToken}` } });
    expect(ok.statusCode).toBe(200);
    await app.close();
  });
});
