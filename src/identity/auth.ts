import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { bearerToken } from '../core/http.ts';
import { deviceOfSessionWrite, holderOf, setDeviceCookie, type DeviceHolder } from './devices.ts';
import { sessionOf } from './request-session.ts';
import { CSRF_HEADER, SESSION_COOKIE, type Session, type SessionSigner } from './session.ts';

/**
 * Reads the session from `Authorization: Bearer …` (apps) or the session cookie (the web page).
 * A logged-out session is refused (SESSION_REVOKED): the revocation check is an in-memory Set
 * lookup (revocations.ts), no query. The session carries the device it was verified on; writes
 * compare it with the request's (devices.ts: another device → 403 DEVICE_MISMATCH, none sent →
 * the session's own), and verification refuses a second device while the first holds the lock.
 */
export function requireSession(request: FastifyRequest, signer: SessionSigner): Session {
  const token = bearerToken(request) ?? request.cookies?.[SESSION_COOKIE];
  if (!token) throw new YeyakError('YEYAK_E_UNAUTHENTICATED');
  const session = signer.inspect(token);
  if (session === 'expired') throw new YeyakError('YEYAK_E_SESSION_EXPIRED');
  if (session === 'revoked') throw new YeyakError('YEYAK_E_SESSION_REVOKED');
  if (!session) throw new YeyakError('YEYAK_E_UNAUTHENTICATED');
  return session;
}

/**
 * What the other capabilities need of identity, wired by the app: the session of a request and
 * the device a session write comes from. Each consumer declares the narrow view it uses
 * (booking/routes.ts `BookingAuth`, campaigns/routes.ts `CampaignAuth`, …); this implements them.
 */
export class SessionAuth {
  constructor(
    private readonly signer: SessionSigner,
    /** Cookies carry Secure (production, behind TLS). */
    private readonly secureCookies: boolean,
  ) {}

  /** The request's live session, or 401 (UNAUTHENTICATED, SESSION_EXPIRED, SESSION_REVOKED). */
  require(request: FastifyRequest): Session {
    return requireSession(request, this.signer);
  }

  /** The device of a write under `session`: none sent → the session's; another or forged → 403 DEVICE_MISMATCH. */
  deviceOfWrite(request: FastifyRequest, session: Session): string | undefined {
    return deviceOfSessionWrite(request, this.signer.deviceIds, session);
  }

  /** The live session where one is optional (cookie; or the bearer token with `bearer`), else null. */
  sessionOf(request: FastifyRequest, from: { bearer: boolean }): Session | null {
    return sessionOf(request, this.signer, from);
  }

  /** The server-signed device and the (optional) person behind a request (devices.ts). */
  holderOf(request: FastifyRequest, session: Session | null): DeviceHolder {
    return holderOf(request, this.signer.deviceIds, session);
  }

  /** Gives the browser its device id (httpOnly). */
  setDeviceCookie(reply: FastifyReply, device: string): void {
    setDeviceCookie(reply, device, this.secureCookies);
  }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF protection for writes authenticated by the session COOKIE (the browser sends it on its
 * own, also for a form another site posts). Such a write must carry X-CSRF-Token equal to the
 * session's CSRF token (a keyed hash of its id: SessionSigner.csrfToken) — the page gets it from
 * the readable yeyak_csrf cookie or the verify answer. Bearer-token requests are not ambient and
 * are unaffected; so are requests without a (live) session cookie, which requireSession refuses
 * where a session is needed. Identity start and verify authenticate nobody and are exempt.
 */
export function installCsrfProtection(app: FastifyInstance, signer: SessionSigner, exemptPrefixes: readonly string[]): void {
  app.addHook('preHandler', async (request) => {
    if (!UNSAFE_METHODS.has(request.method)) return;
    if (bearerToken(request) !== undefined) return;
    const token = request.cookies?.[SESSION_COOKIE];
    if (!token) return;
    const path = request.url.split('?')[0] ?? '';
    if (exemptPrefixes.some((p) => path.startsWith(p))) return;
    const session = signer.inspect(token);
    if (session === null || typeof session === 'string') return; // refused later, where a session is needed
    const given = request.headers[CSRF_HEADER];
    if (!signer.checkCsrf(session.sid, typeof given === 'string' ? given : undefined)) throw new YeyakError('YEYAK_E_CSRF_TOKEN_INVALID');
  });
}
