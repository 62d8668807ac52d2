/**
 * Sessions after verification (issue #4): logout revokes, writes made with the session cookie
 * need the CSRF token, bearer clients are unaffected, security headers are sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, phoneOf, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { SessionSigner } from '../../src/identity/session.ts';
import { SessionRevocations } from '../../src/identity/revocations.ts';
import { DeviceIds } from '../../src/identity/devices.ts';

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
async function verifyInBrowser(device = new DeviceIds(t.config.sessionSecret).mint()) {
  const rrn = syntheticRrn('1985-04-04', serial++);
  const start = await t.app.inject({ method: 'POST', url: `${API}/identity/challenges`, payload: { method: 'phone', name: '김', rrn, phone: phoneOf(rrn) } });
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

  it("a revocation written by another node is picked up on this node's next poll (injected schedule, no sleeping)", async () => {
    // Two nodes on one database: `here` serves the requests, `elsewhere` took the logout.
    const here = new SessionRevocations(t.db, t.clock);
    await here.refresh();
    const signer = new SessionSigner(t.config.sessionSecret, t.clock, t.config.sessionTtlMs, here);
    let tick: (() => Promise<void>) | null = null;
    here.start((run) => {
      tick = run;
      return () => {
        tick = null;
      };
    });
    try {
      const { token, session } = signer.issue(4242, { birthDate: '1984-03-04', sex: 'M', foreignResident: false }, signer.deviceIds.mint());
      await new SessionRevocations(t.db, t.clock).revoke(session.sid, 4242, session.expMs);
      expect(signer.inspect(token)).toMatchObject({ sid: session.sid }); // not yet seen by this node
      expect(tick).not.toBeNull();
      await (tick as unknown as () => Promise<void>)(); // the poll fires
      expect(signer.inspect(token)).toBe('revoked');
    } finally {
      await here.stop();
    }
    expect(tick).toBeNull(); // stop() ends the poll
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
    expect(new DeviceIds(t.config.sessionSecret).isGenuine(body.device)).toBe(true);
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
