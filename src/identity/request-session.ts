import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../core/http.ts';
import { SESSION_COOKIE, type Session, type SessionSigner } from './session.ts';

/**
 * The request's live session, if any — where a session is optional (the waiting room, identity
 * start with a pass): the session cookie's, or with `bearer` the Authorization: Bearer token's
 * when there is one (on a status poll that header is the ticket). Expired, logged out, forged or
 * none: null. Where a session is required, requireSession (auth.ts) says which with its 401.
 */
export function sessionOf(request: FastifyRequest, signer: SessionSigner, from: { bearer: boolean }): Session | null {
  const token = (from.bearer ? bearerToken(request) : undefined) ?? request.cookies?.[SESSION_COOKIE];
  const verified = token ? signer.verify(token) : null;
  return verified && verified !== 'expired' ? verified : null;
}
