/**
 * Staff sign-in for the pages (issue #9): POST/GET/DELETE /api/v1/staff/session. The staff token
 * becomes the httpOnly yeyak_staff cookie (the page keeps no token), which every /api/v1/admin
 * route accepts as it accepts the bearer token; a write made with the cookie needs X-CSRF-Token.
 * Runs on PGlite and, with DATABASE_URL, on PostgreSQL (the revocation table, the staff re-check).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, syntheticRrn, TEST_ADMIN_TOKEN, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/pg.ts';
import { addStaff, StaffDirectory } from '../../src/staff/staff.ts';
import { STAFF_SESSION_TTL_MS, StaffSessions } from '../../src/staff/session.ts';

const API = '/api/v1';
const SESSION = `${API}/staff/session`;

interface SignedIn {
  cookie: string;
  csrf: string;
  body: { role: string; clinicId: string | null; name: string; csrfToken: string; expiresAt: string };
}

function cookieOf(res: LightMyRequestResponse, name: string) {
  return (res.cookies as { name: string; value: string; httpOnly?: boolean; sameSite?: string; path?: string; maxAge?: number; expires?: Date }[]).find((c) => c.name === name);
}

function suite(store: string, make: () => Promise<{ t: TestApp; cleanup: () => Promise<void> }>) {
  describe(`staff sign-in (${store})`, () => {
    let t: TestApp;
    let cleanup: () => Promise<void>;
    let clinicId: string;
    let otherClinicId: string;
    let operatorToken: string;
    let clinicToken: string;
    let ip = 0;

    beforeAll(async () => {
      ({ t, cleanup } = await make());
      const clinics = await t.db.query<{ id: string }>('SELECT id FROM clinic ORDER BY id LIMIT 2');
      [clinicId, otherClinicId] = clinics.rows.map((r) => r.id) as [string, string];
      operatorToken = (await addStaff(t.db, { role: 'operator', clinicId: null, name: '상황실 운영자' }, t.clock.now())).token;
      clinicToken = (await addStaff(t.db, { role: 'clinic', clinicId, name: '보건소 접수' }, t.clock.now())).token;
    });
    afterAll(async () => cleanup?.());

    // Each sign-in from its own address: the per-address limit is tested on its own below.
    const signInRaw = (token: string) => t.app.inject({ method: 'POST', url: SESSION, remoteAddress: `10.1.0.${++ip % 250}`, payload: { token } });
    const signIn = async (token: string): Promise<SignedIn> => {
      const res = await signInRaw(token);
      expect(res.statusCode, res.body).toBe(200);
      return { cookie: cookieOf(res, 'yeyak_staff')?.value ?? '', csrf: cookieOf(res, 'yeyak_staff_csrf')?.value ?? '', body: res.json() };
    };
    const withCookie = (s: { cookie: string }, extra: Record<string, string> = {}) => ({ cookies: { yeyak_staff: s.cookie }, headers: extra });
    const overview = (s: { cookie: string }) => t.app.inject({ method: 'GET', url: `${API}/admin/overview`, ...withCookie(s) });
    const pause = (s: { cookie: string }, paused: boolean, extra: Record<string, string> = {}) =>
      t.app.inject({ method: 'PATCH', url: `${API}/admin/queue/demo`, ...withCookie(s, extra), payload: { paused } });

    it('sign-in sets the httpOnly cookie (and a readable CSRF cookie) and answers who; the cookie works on an admin GET', async () => {
      const res = await signInRaw(operatorToken);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as SignedIn['body'];
      expect(body).toEqual({ role: 'operator', clinicId: null, name: '상황실 운영자', csrfToken: expect.any(String), expiresAt: new Date(t.clock.nowMs() + STAFF_SESSION_TTL_MS).toISOString() });
      expect(res.headers['cache-control']).toBe('no-store');
      const session = cookieOf(res, 'yeyak_staff');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', maxAge: STAFF_SESSION_TTL_MS / 1000 });
      expect(session?.value).not.toContain(operatorToken);
      expect(session?.value).not.toContain(operatorToken.slice(4, 20));
      const csrf = cookieOf(res, 'yeyak_staff_csrf');
      expect(csrf?.httpOnly).toBeFalsy();
      expect(csrf?.value).toBe(body.csrfToken);
      const ok = await overview({ cookie: session?.value ?? '' });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toHaveProperty('campaigns');
      const who = await t.app.inject({ method: 'GET', url: SESSION, cookies: { yeyak_staff: session?.value ?? '' } });
      expect(who.statusCode).toBe(200);
      expect(who.json()).toEqual(body);
    });

    it('YEYAK_ADMIN_TOKEN signs in too: an operator without a row', async () => {
      const s = await signIn(TEST_ADMIN_TOKEN);
      expect(s.body).toMatchObject({ role: 'operator', clinicId: null, name: 'YEYAK_ADMIN_TOKEN' });
      expect((await overview(s)).statusCode).toBe(200);
    });

    it('a write with the cookie needs X-CSRF-Token: none or a wrong one → 403 and nothing changes; the right one → 200', async () => {
      const s = await signIn(operatorToken);
      const other = await signIn(operatorToken); // another session's token is no token for this one
      for (const headers of [{}, { 'x-csrf-token': 'forged' }, { 'x-csrf-token': other.csrf }] as Record<string, string>[]) {
        const res = await pause(s, true, headers);
        expect(res.statusCode, JSON.stringify(headers)).toBe(403);
        expect(res.json()).toMatchObject({ error: { code: 'YEYAK_E_CSRF_TOKEN_INVALID', message: expect.stringContaining('yeyak_staff_csrf') } });
      }
      expect((await overview(s)).statusCode).toBe(200);
      const line = await t.app.inject({ method: 'GET', url: `${API}/admin/queue/demo`, ...withCookie(s) });
      expect(line.json()).toMatchObject({ paused: false });
      const ok = await pause(s, true, { 'x-csrf-token': s.csrf });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toMatchObject({ paused: true });
      expect((await pause(s, false, { 'x-csrf-token': s.csrf })).statusCode).toBe(200);
    });

    it('a bearer token still works without CSRF, and wins over a cookie', async () => {
      const res = await t.app.inject({ method: 'PATCH', url: `${API}/admin/queue/demo`, headers: { authorization: `Bearer ${operatorToken}` }, payload: { paused: false } });
      expect(res.statusCode).toBe(200);
      const s = await signIn(operatorToken);
      const wrongBearer = await t.app.inject({ method: 'GET', url: `${API}/admin/overview`, cookies: { yeyak_staff: s.cookie }, headers: { authorization: 'Bearer yks_wrong' } });
      expect(wrongBearer.statusCode).toBe(401);
    });

    it('a citizen session cookie in the same browser does not stand in the way of a staff write', async () => {
      const citizen = await t.login(syntheticRrn('1970-01-01', 910_001));
      const s = await signIn(operatorToken);
      const res = await t.app.inject({
        method: 'PATCH',
        url: `${API}/admin/queue/demo`,
        cookies: { yeyak_staff: s.cookie, yeyak_session: citizen },
        headers: { 'x-csrf-token': s.csrf },
        payload: { paused: false },
      });
      expect(res.statusCode, res.body).toBe(200);
    });

    it('a wrong token → 401 ADMIN_UNAUTHENTICATED and no cookie', async () => {
      for (const token of ['yks_not-a-real-token', 'x', `${TEST_ADMIN_TOKEN}x`]) {
        const res = await signInRaw(token);
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ error: { code: 'YEYAK_E_ADMIN_UNAUTHENTICATED' } });
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      expect((await t.app.inject({ method: 'POST', url: SESSION, payload: { token: '' } })).statusCode).toBe(400);
    });

    it('a tampered or foreign cookie → 401: a flipped character, another key, a citizen session token', async () => {
      const s = await signIn(operatorToken);
      const i = Math.floor(s.cookie.length / 2);
      const flipped = `${s.cookie.slice(0, i)}${s.cookie[i] === 'A' ? 'B' : 'A'}${s.cookie.slice(i + 1)}`;
      const foreign = await new StaffSessions(t.db, new StaffDirectory(t.db, TEST_ADMIN_TOKEN), t.clock, 'another-secret-Hq3nV8xK2pL7wR4tY9zB').signIn(operatorToken);
      const citizen = await t.login(syntheticRrn('1970-01-01', 910_002));
      for (const cookie of [flipped, foreign?.cookie ?? 'none', citizen, `${s.cookie}x`, '']) {
        const res = await overview({ cookie });
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ error: { code: 'YEYAK_E_ADMIN_UNAUTHENTICATED' } });
        expect((await t.app.inject({ method: 'GET', url: SESSION, cookies: { yeyak_staff: cookie } })).statusCode).toBe(401);
      }
    });

    it('a disabled staff member is out at once, cookie and all', async () => {
      const { staff, token } = await addStaff(t.db, { role: 'operator', clinicId: null, name: '퇴사 예정' }, t.clock.now());
      const s = await signIn(token);
      expect((await overview(s)).statusCode).toBe(200);
      await t.db.query('UPDATE staff SET disabled_at = $2 WHERE id = $1', [staff.id, t.clock.now().toISOString()]);
      expect((await overview(s)).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: SESSION, ...withCookie(s) })).statusCode).toBe(401);
    });

    it('a rotated YEYAK_ADMIN_TOKEN ends the sessions it signed in', async () => {
      const before = await new StaffSessions(t.db, new StaffDirectory(t.db, TEST_ADMIN_TOKEN), t.clock, t.config.sessionSecret).signIn(TEST_ADMIN_TOKEN);
      const rotated = new StaffSessions(t.db, new StaffDirectory(t.db, 'rotated-admin-token-Wm4kP9sT2vX7'), t.clock, t.config.sessionSecret);
      expect(before).not.toBeNull();
      expect(await rotated.resolve(before?.cookie)).toBeNull();
      expect(await t.app.yeyak.staffSessions.resolve(before?.cookie)).not.toBeNull();
    });

    it('clinic staff: the cookie opens their own clinic only', async () => {
      const s = await signIn(clinicToken);
      expect(s.body).toMatchObject({ role: 'clinic', clinicId, name: '보건소 접수' });
      const own = await t.app.inject({ method: 'GET', url: `${API}/admin/clinics/${clinicId}/reservations`, ...withCookie(s) });
      expect(own.statusCode, own.body).toBe(200);
      for (const url of [`${API}/admin/clinics/${otherClinicId}/reservations`, `${API}/admin/overview`, `${API}/admin/live/demo`]) {
        const res = await t.app.inject({ method: 'GET', url, ...withCookie(s) });
        expect(res.statusCode, url).toBe(403);
        expect(res.json()).toMatchObject({ error: { code: 'YEYAK_E_FORBIDDEN' } });
      }
    });

    it('logout needs the CSRF token, revokes the session everywhere (a kept copy too) and clears both cookies', async () => {
      const s = await signIn(operatorToken);
      const forged = await t.app.inject({ method: 'DELETE', url: SESSION, ...withCookie(s) });
      expect(forged.statusCode).toBe(403);
      expect((await overview(s)).statusCode).toBe(200);
      const out = await t.app.inject({ method: 'DELETE', url: SESSION, ...withCookie(s, { 'x-csrf-token': s.csrf }) });
      expect(out.statusCode, out.body).toBe(204);
      for (const name of ['yeyak_staff', 'yeyak_staff_csrf']) {
        const cleared = cookieOf(out, name);
        expect(cleared?.value, name).toBe('');
        expect(cleared?.expires?.getTime() ?? 0, name).toBeLessThanOrEqual(0);
      }
      expect((await overview(s)).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: SESSION, ...withCookie(s) })).statusCode).toBe(401);
      // Signed out already, or never signed in: nothing to protect, the cookies are cleared.
      expect((await t.app.inject({ method: 'DELETE', url: SESSION, ...withCookie(s) })).statusCode).toBe(204);
      expect((await t.app.inject({ method: 'DELETE', url: SESSION })).statusCode).toBe(204);
    });

    it('the session ends after 8 h', async () => {
      const s = await signIn(operatorToken);
      t.clock.advance(STAFF_SESSION_TTL_MS - 1_000);
      expect((await overview(s)).statusCode).toBe(200);
      t.clock.advance(1_000);
      expect((await overview(s)).statusCode).toBe(401);
    });

    it('sign-in is rate limited per address: the 11th attempt in a minute → 429, another address is not affected', async () => {
      const codes: number[] = [];
      for (let i = 0; i < 11; i++) codes.push((await t.app.inject({ method: 'POST', url: SESSION, remoteAddress: '10.77.0.1', payload: { token: 'yks_guess' } })).statusCode);
      expect(codes.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(codes[10]).toBe(429);
      const limited = await t.app.inject({ method: 'POST', url: SESSION, remoteAddress: '10.77.0.1', payload: { token: operatorToken } });
      expect(limited.json()).toMatchObject({ error: { code: 'YEYAK_E_RATE_LIMITED' } });
      expect((await t.app.inject({ method: 'POST', url: SESSION, remoteAddress: '10.77.0.2', payload: { token: operatorToken } })).statusCode).toBe(200);
    });
  });
}

suite('PGlite', async () => {
  const t = await createTestApp({ clinics: 4 });
  return { t, cleanup: () => t.close() };
});
describe.skipIf(!process.env.DATABASE_URL)('on PostgreSQL', () => {
  suite('PostgreSQL', async () => {
    const database = await createTestDatabase('yeyak_staff_session');
    const t = await createTestApp({ clinics: 4, databaseUrl: database.url });
    return {
      t,
      cleanup: async () => {
        await t.close();
        await database.drop();
      },
    };
  });
});
