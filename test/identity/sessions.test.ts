/**
 * Sessions after verification (issue #4): logout revokes, writes made with the session cookie
 * need the CSRF token, bearer clients are unaffected, security headers are sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';

const API = '/api/v1';
let t: TestApp;
let serial = 9100;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

function errorOf(res: LightMyRequestResponse): { code: string; details?: Record<string, unknown> } {
  return (res.json() as { error: { code: string; details?: Record<string, unknown> } }).error;
}

/** Verifies like the web page: returns the verify answer and the cookies it set. */
async function verifyInBrowser(device = `dev-${serial}-aaaaaaaaaaaaaaaa`) {
  const rrn = syntheticRrn('1985-04-04', serial++);
  const start = await t.app.inject({ method: 'POST', url: `${API}/identity/challenges`, payload: { method: 'phone', name: '김', rrn, phone: '010-1234-5678' } });
  expect(start.statusCode, start.body).toBe(201);
  const res = await t.app.inject({
    method: 'POST',
    url: `${API}/identity/challenges/${start.json().challengeId}/verify`,
    headers: { 'yeyak-device': device },
    payload: { code: '000000' },
  });
  expect(res.statusCode, res.body).toBe(200);
  const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c]));
  return { body: res.json() as { sessionToken: string; csrfToken: string; device: string }, cookies };
}

describe('logout', () => {
  it('logout revokes: the same token is refused afterwards (401 SESSION_REVOKED), bearer or cookie', async () => {
    const token = await t.login(syntheticRrn('1984-03-03', serial++));
    const before = await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/eligibility`, headers: { authorization: `Bearer ${token}` } });
    expect(before.statusCode).toBe(200);
    const out = await t.app.inject({ method: 'POST', url: `${API}/identity/logout`, headers: { authorization: `Bearer ${token}` } });
    expect(out.statusCode, out.body).toBe(200);
    expect(out.json()).toEqual({ loggedOut: true });
    const after = await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/eligibility`, headers: { authorization: `Bearer ${token}` } });
    expect(after.statusCode).toBe(401);
    expect(errorOf(after).code).toBe('YEYAK_E_SESSION_REVOKED');
    const asCookie = await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/eligibility`, cookies: { yeyak_session: token } });
    expect(errorOf(asCookie).code).toBe('YEYAK_E_SESSION_REVOKED');
    // Stored for other nodes, until the session would have expired anyway.
    const rows = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM session_revocation WHERE expires_at > $1', [t.clock.now().toISOString()]);
    expect(rows.rows[0]?.n).toBeGreaterThanOrEqual(1);
  });

  it('a revocation written by another node is picked up by refresh', async () => {
    const token = await t.login(syntheticRrn('1984-03-04', serial++));
    const sid = (JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString('utf8')) as { sid: string }).sid;
    await t.db.query(
      'INSERT INTO session_revocation (sid, person_id, revoked_at, expires_at) VALUES ($1, 1, $2, $3)',
      [sid, t.clock.now().toISOString(), new Date(t.clock.nowMs() + 60_000).toISOString()],
    );
    const signer = { ok: await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/eligibility`, headers: { authorization: `Bearer ${token}` } }) };
    expect(signer.ok.statusCode).toBe(200); // not yet seen by this node
    // The app's list refreshes each second; wait for one refresh, by polling (bounded).
    let res = signer.ok;
    for (let i = 0; i < 30 && res.statusCode === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/eligibility`, headers: { authorization: `Bearer ${token}` } });
    }
    expect(errorOf(res).code).toBe('YEYAK_E_SESSION_REVOKED');
  });
});

describe('CSRF on writes made with the session cookie', () => {
  it('cookie write without X-CSRF-Token → 403 YEYAK_E_CSRF_TOKEN_INVALID, nothing happens; with the token → OK', async () => {
    const { body, cookies } = await verifyInBrowser();
    const session = cookies.yeyak_session?.value as string;
    const csrf = cookies.yeyak_csrf?.value as string;
    expect(csrf).toBe(body.csrfToken);
    const bare = await t.app.inject({ method: 'POST', url: `${API}/identity/logout`, cookies: { yeyak_session: session } });
    expect(bare.statusCode).toBe(403);
    expect(errorOf(bare).code).toBe('YEYAK_E_CSRF_TOKEN_INVALID');
    const wrong = await t.app.inject({ method: 'POST', url: `${API}/identity/logout`, cookies: { yeyak_session: session, yeyak_csrf: 'x' }, headers: { 'x-csrf-token': 'x' } });
    expect(errorOf(wrong).code).toBe('YEYAK_E_CSRF_TOKEN_INVALID');
    // Still logged in: the refused write changed nothing.
    const alive = await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/eligibility`, cookies: { yeyak_session: session } });
    expect(alive.statusCode).toBe(200);
    const ok = await t.app.inject({ method: 'POST', url: `${API}/identity/logout`, cookies: { yeyak_session: session, yeyak_csrf: csrf }, headers: { 'x-csrf-token': csrf } });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it("another session's CSRF token does not pass", async () => {
    const a = await verifyInBrowser();
    const b = await verifyInBrowser();
    const res = await t.app.inject({
      method: 'POST',
      url: `${API}/reservations`,
      cookies: { yeyak_session: a.body.sessionToken },
      headers: { 'x-csrf-token': b.body.csrfToken, 'idempotency-key': 'csrf-test-0001' },
      payload: { campaignId: 'demo', clinicId: 'C000001', date: '2026-11-30' },
    });
    expect(res.statusCode).toBe(403);
    expect(errorOf(res).code).toBe('YEYAK_E_CSRF_TOKEN_INVALID');
  });

  it('bearer clients are unaffected: a bearer write needs no CSRF token', async () => {
    const token = await t.login(syntheticRrn('1984-03-05', serial++));
    const res = await t.app.inject({ method: 'POST', url: `${API}/identity/logout`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('cookie flags: session httpOnly + SameSite=Strict; CSRF cookie readable by the page; Secure only in production config', async () => {
    const { cookies, body } = await verifyInBrowser();
    expect(cookies.yeyak_session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookies.yeyak_session?.maxAge).toBe(t.config.sessionTtlMs / 1000);
    expect(cookies.yeyak_csrf?.httpOnly).toBeFalsy();
    expect(cookies.yeyak_csrf?.sameSite).toBe('Strict');
    expect(cookies.yeyak_session?.secure).toBeFalsy(); // development config: plain http on a laptop
    expect(body.device).toMatch(/^dev-/);
  });
});

describe('security headers (helmet)', () => {
  it('API and home page carry CSP, nosniff, frame and referrer headers; /docs still renders', async () => {
    // The API's CSP loads nothing at all; the page's allows its own origin.
    const api = await t.app.inject({ method: 'GET', url: `${API}/campaigns` });
    expect(api.headers['content-security-policy']).toContain("default-src 'none'");
    const page = await t.app.inject({ method: 'GET', url: '/' });
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    for (const url of [`${API}/campaigns`, '/']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger-ui-bundle.js');
  });
});
