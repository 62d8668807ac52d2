import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { PersonFacts } from '../campaigns/types.ts';

/**
 * Sessions are signed tokens (HMAC-SHA256), so a booking request needs no session lookup: the
 * token carries the person id and the facts eligibility needs (birth date, sex), never the RRN.
 * Format: base64url(JSON payload) "." base64url(signature).
 */
export interface Session {
  /** Session id (random): lets a later issue revoke or lock out one device. */
  readonly sid: string;
  readonly personId: number;
  readonly facts: PersonFacts;
  /** Expiry, ms since epoch. */
  readonly expMs: number;
}

interface Payload {
  v: 1;
  sid: string;
  pid: number;
  bd: string;
  sx: 'M' | 'F';
  fr: boolean;
  exp: number;
}

export const SESSION_COOKIE = 'yeyak_session';
const TOKEN_LENGTH_MAX = 512; // bytes: a token is ~200; anything longer is not ours

export class SessionSigner {
  constructor(
    private readonly secret: string,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  issue(personId: number, facts: PersonFacts): { token: string; session: Session } {
    const payload: Payload = {
      v: 1,
      sid: randomBytes(12).toString('base64url'),
      pid: personId,
      bd: facts.birthDate,
      sx: facts.sex,
      fr: facts.foreignResident,
      exp: this.clock.nowMs() + this.ttlMs,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { token: `${body}.${this.sign(body)}`, session: toSession(payload) };
  }

  /** Returns the session, 'expired', or null for anything forged or malformed. */
  verify(token: string): Session | 'expired' | null {
    if (token.length > TOKEN_LENGTH_MAX) return null;
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
    } catch {
      return null;
    }
    if (payload.v !== 1 || typeof payload.pid !== 'number' || typeof payload.exp !== 'number') return null;
    if (payload.exp <= this.clock.nowMs()) return 'expired';
    return toSession(payload);
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update('session.v1.').update(body).digest('base64url');
  }
}

function toSession(p: Payload): Session {
  return { sid: p.sid, personId: p.pid, facts: { birthDate: p.bd, sex: p.sx, foreignResident: p.fr }, expMs: p.exp };
}
