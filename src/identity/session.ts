import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { Sealer } from '../core/seal.ts';
import type { Citizen, PersonFacts } from '../rules/campaign.ts';
import { DeviceIds } from './devices.ts';

/**
 * Sessions are sealed tokens, so a booking request needs no session lookup: the token carries the
 * person id and the facts eligibility needs (birth date, sex), never the RRN — encrypted, so a
 * token that leaks (a log, a screenshot, a shared device) tells nobody who it belongs to.
 * core/seal.ts: AES-256-GCM with a key derived (HKDF-SHA256) from the session secret for this
 * purpose, a random 96-bit IV per token, and the purpose as additional data: tampering, another
 * key or another kind of token fails authentication. Format: "s1." base64url(IV ‖ ciphertext ‖
 * tag), ~220 characters.
 */
export interface Session extends Citizen {
  /** Expiry, ms since epoch. */
  readonly expMs: number;
  /**
   * The device that verified (a server-signed id, devices.ts). Every session the verify route
   * issues has one; a write from another device is refused (DEVICE_MISMATCH).
   */
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
const TOKEN_LENGTH_MAX = 512; // bytes: a token is ~220; anything longer is not ours
const SEAL = { purpose: 'yeyak session token v1', prefix: 's1.', lengthMax: TOKEN_LENGTH_MAX } as const;

export class SessionSigner {
  /** Device ids are keyed from the same secret (their own derived key): devices.ts. */
  readonly deviceIds: DeviceIds;
  private readonly sealer: Sealer;

  constructor(
    private readonly secret: string,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    /** Logged-out session ids (revocations.ts); none: nothing is revoked. */
    private readonly revocations: RevocationCheck | null = null,
  ) {
    this.sealer = new Sealer(secret, SEAL);
    this.deviceIds = new DeviceIds(secret);
  }

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
    return { token: this.sealer.seal(payload), session: toSession(payload) };
  }

  /** Returns the session, 'expired', or null for anything forged, malformed or logged out. */
  verify(token: string): Session | 'expired' | null {
    const s = this.inspect(token);
    return s === 'revoked' ? null : s;
  }

  /** As verify, but tells a logged-out session ('revoked') from a forged one (null). */
  inspect(token: string): Session | 'expired' | 'revoked' | null {
    const payload = this.sealer.open(token);
    if (!isPayload(payload)) return null;
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
}

function isPayload(p: unknown): p is Payload {
  if (typeof p !== 'object' || p === null) return false;
  const o = p as Record<string, unknown>;
  return (
    o.v === 1 &&
    typeof o.sid === 'string' &&
    typeof o.pid === 'number' &&
    typeof o.bd === 'string' &&
    (o.sx === 'M' || o.sx === 'F') &&
    typeof o.fr === 'boolean' &&
    typeof o.exp === 'number' &&
    (o.dv === undefined || typeof o.dv === 'string')
  );
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
