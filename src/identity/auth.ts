import type { FastifyRequest } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { SESSION_COOKIE, type Session, type SessionSigner } from './session.ts';

/** Reads the session from `Authorization: Bearer …` (apps) or the session cookie (the web page). */
export function requireSession(request: FastifyRequest, signer: SessionSigner): Session {
  const header = request.headers.authorization;
  let token: string | undefined;
  if (header?.startsWith('Bearer ')) token = header.slice('Bearer '.length).trim();
  else token = request.cookies?.[SESSION_COOKIE];
  if (!token) throw new YeyakError('YEYAK_E_UNAUTHENTICATED');
  const session = signer.verify(token);
  if (session === 'expired') throw new YeyakError('YEYAK_E_SESSION_EXPIRED');
  if (!session) throw new YeyakError('YEYAK_E_UNAUTHENTICATED');
  return session;
}
