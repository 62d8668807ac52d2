import type {} from '@fastify/rate-limit'; // augments route config with rateLimit
import type { FastifyInstance, FastifyReply } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { STAFF_COOKIE, STAFF_CSRF_COOKIE, STAFF_CSRF_HEADER, STAFF_CSRF_REFUSAL, type StaffSession, type StaffSessions } from './session.ts';
import { currentSessionSchema, signInSchema, signOutSchema } from './session-schemas.ts';

export interface StaffSessionRouteDeps {
  sessions: StaffSessions;
  /** Cookies carry Secure (production, behind TLS). */
  secureCookies: boolean;
  /** Sign-in attempts per address per minute (default SIGN_IN_PER_IP_PER_MIN). */
  signInPerIpPerMin?: number;
}

/** Staff type their token by hand: ten a minute is plenty, and keeps guessing and DB load bounded. */
export const SIGN_IN_PER_IP_PER_MIN = 10;

/** Staff sign-in for the pages: POST (token → cookie), GET (who), DELETE (sign out). */
export async function staffSessionRoutes(app: FastifyInstance, deps: StaffSessionRouteDeps): Promise<void> {
  const base = { secure: deps.secureCookies, sameSite: 'strict' as const, path: '/' };
  const answer = (reply: FastifyReply, session: StaffSession) => {
    reply.header('cache-control', 'no-store');
    const { role, clinicId, name } = session.staff;
    return { role, clinicId, name, csrfToken: deps.sessions.csrfToken(session.sid), expiresAt: new Date(session.expMs).toISOString() };
  };

  app.post<{ Body: { token: string } }>(
    '/staff/session',
    {
      config: { rateLimit: { max: deps.signInPerIpPerMin ?? SIGN_IN_PER_IP_PER_MIN, timeWindow: 60_000, keyGenerator: (r) => `staff-sign-in:${r.ip}` } },
      schema: signInSchema,
    },
    async (request, reply) => {
      const signedIn = await deps.sessions.signIn(request.body.token);
      if (!signedIn) throw new YeyakError('YEYAK_E_ADMIN_UNAUTHENTICATED');
      const { cookie, session } = signedIn;
      // Max-Age, not Expires: the server's clock may be a rehearsal's, hours or years off the browser's.
      const maxAge = Math.floor(deps.sessions.ttlMs / 1000);
      request.log.info({ staffId: session.staff.id ?? 'YEYAK_ADMIN_TOKEN', role: session.staff.role }, 'staff signed in');
      const body = answer(reply, session);
      reply.setCookie(STAFF_COOKIE, cookie, { ...base, httpOnly: true, maxAge });
      // Readable by the page (double submit): it sends the value back as X-CSRF-Token.
      reply.setCookie(STAFF_CSRF_COOKIE, body.csrfToken, { ...base, httpOnly: false, maxAge });
      return body;
    },
  );

  app.get('/staff/session', { schema: currentSessionSchema }, async (request, reply) => {
    const session = await deps.sessions.resolve(request.cookies?.[STAFF_COOKIE]);
    if (!session) throw new YeyakError('YEYAK_E_ADMIN_UNAUTHENTICATED');
    return answer(reply, session);
  });

  // Signing out of a session that is gone already (expired, revoked, disabled) just clears.
  app.delete('/staff/session', { schema: signOutSchema }, async (request, reply) => {
    const session = await deps.sessions.resolve(request.cookies?.[STAFF_COOKIE]);
    if (session) {
      const given = request.headers[STAFF_CSRF_HEADER];
      if (!deps.sessions.checkCsrf(session.sid, typeof given === 'string' ? given : undefined)) throw new YeyakError('YEYAK_E_CSRF_TOKEN_INVALID', STAFF_CSRF_REFUSAL);
      await deps.sessions.revoke(session);
      request.log.info({ staffId: session.staff.id ?? 'YEYAK_ADMIN_TOKEN' }, 'staff signed out');
    }
    reply.clearCookie(STAFF_COOKIE, { ...base, httpOnly: true });
    reply.clearCookie(STAFF_CSRF_COOKIE, { ...base, httpOnly: false });
    return reply.status(204).send();
  });
}
