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
  /** The device that verified (yeyak_device cookie / Yeyak-Device header); absent in old tokens. */
  readonly device?: string;
}

/** Which session ids were revoked (logout): a synchronous, in-memory answer (revocations.ts). */
export interface RevocationCheck {
  isRevoked(sid: string): boolean;
}

interface Payload {
  v: 1;
  sid: string;
  pid: number;
  bd: string;
  sx: 'M' | 'F';
  fr: boolean;
  exp: number;
  dv?: string;
}

export const SESSION_COOKIE = 'yeyak_session';
/** Readable by the page (not httpOnly): its value goes back as X-CSRF-Token on cookie writes. */
export const CSRF_COOKIE = 'yeyak_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const TOKEN_LENGTH_MAX = 512; // bytes: a token is ~200; anything longer is not ours

export class SessionSigner {
  /** Logged-out session ids; set once by the app (none: nothing is revoked). */
  revocations: RevocationCheck | null = null;

  constructor(
    private readonly secret: string,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  issue(personId: number, facts: PersonFacts, device?: string): { token: string; session: Session } {
    const payload: Payload = {
      v: 1,
      sid: randomBytes(12).toString('base64url'),
      pid: personId,
      bd: facts.birthDate,
      sx: facts.sex,
      fr: facts.foreignResident,
      exp: this.clock.nowMs() + this.ttlMs,
      ...(device !== undefined ? { dv: device } : {}),
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { token: `${body}.${this.sign(body)}`, session: toSession(payload) };
  }

  /** Returns the session, 'expired', or null for anything forged, malformed or logged out. */
  verify(token: string): Session | 'expired' | null {
    const s = this.inspect(token);
    return s === 'revoked' ? null : s;
  }

  /** As verify, but tells a logged-out session ('revoked') from a forged one (null). */
  inspect(token: string): Session | 'expired' | 'revoked' | null {
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
    if (this.revocations?.isRevoked(payload.sid)) return 'revoked';
    return toSession(payload);
  }

  /**
   * The CSRF token of a session: a keyed hash of its id. The page reads it from the yeyak_csrf
   * cookie (or the verify answer) and sends it as X-CSRF-Token; another site can neither read
   * the cookie nor compute the hash, and the token dies with the session.
   */
  csrfToken(sid: string): string {
    return createHmac('sha256', this.secret).update('csrf.v1.').update(sid).digest('base64url');
  }

  /** Constant-time check of a presented CSRF token against the session's. */
  checkCsrf(sid: string, given: string | undefined): boolean {
    if (typeof given !== 'string' || given.length > TOKEN_LENGTH_MAX) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.csrfToken(sid));
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update('session.v1.').update(body).digest('base64url');
  }
}

function toSession(p: Payload): Session {
  return {
    sid: p.sid,
    personId: p.pid,
    facts: { birthDate: p.bd, sex: p.sx, foreignResident: p.fr },
    expMs: p.exp,
    ...(typeof p.dv === 'string' ? { device: p.dv } : {}),
  };
}
