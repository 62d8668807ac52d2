import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Queryable } from '../core/db.ts';
import { Sealer } from '../core/seal.ts';
import { hashStaffToken, type StaffDirectory, type StaffMember } from './staff.ts';

/**
 * Staff sign-in for the pages (/ops, /clinic): the bearer token is exchanged once for an httpOnly
 * cookie, so the page never holds the token. The cookie is sealed (core/seal.ts: AES-256-GCM
 * under a key derived from the session secret for this purpose alone) and carries the session id,
 * the staff member it was issued to (row id, or null for YEYAK_ADMIN_TOKEN), the SHA-256 of the
 * token that signed in and the expiry (8 h). Every request it authenticates re-checks it:
 * - against the staff directory: the row still exists with that token and is not disabled, or
 *   YEYAK_ADMIN_TOKEN is still that token — a disabled member or a rotated token is out at once;
 * - against the revoked sessions (migrations/013): logging out ends the cookie on every node,
 *   even a copy of it.
 * Writes made with the cookie also send X-CSRF-Token: a keyed hash of the session id, which the
 * page reads from the sign-in answer or the readable yeyak_staff_csrf cookie (staff/auth.ts).
 */
export const STAFF_COOKIE = 'yeyak_staff';
/** Readable by the page (not httpOnly): its value goes back as X-CSRF-Token on cookie writes. */
export const STAFF_CSRF_COOKIE = 'yeyak_staff_csrf';
export const STAFF_CSRF_HEADER = 'x-csrf-token';
export const STAFF_SESSION_TTL_MS = 8 * 3_600_000; // 8 h: a working day
/** The refusal of a cookie write without its token (the catalogue's text names the citizens' cookie). */
export const STAFF_CSRF_REFUSAL = `Send the X-CSRF-Token header (the sign-in answer's csrfToken, or the ${STAFF_CSRF_COOKIE} cookie) with writes made with the staff sign-in cookie.`;

const SEAL = { purpose: 'yeyak staff session v1', prefix: 'st1.', lengthMax: 512 } as const; // a cookie is ~230 characters
const SID_BYTES = 16;
const TOKEN_HASH = /^[0-9a-f]{64}$/;

interface Claims {
  v: 1;
  sid: string;
  /** The staff row's id; null: YEYAK_ADMIN_TOKEN. */
  sub: number | null;
  /** SHA-256 (hex) of the token that signed in. */
  th: string;
  /** Expiry, ms since epoch. */
  exp: number;
}

export interface StaffSession {
  readonly sid: string;
  readonly expMs: number;
  readonly staff: StaffMember;
}

export class StaffSessions {
  private readonly sealer: Sealer;

  constructor(
    private readonly db: Queryable,
    private readonly directory: StaffDirectory,
    private readonly clock: Clock,
    secret: string,
    /** How long a sign-in lasts, ms. */
    readonly ttlMs: number = STAFF_SESSION_TTL_MS,
  ) {
    this.sealer = new Sealer(secret, SEAL);
  }

  /** A staff token → a new session and its cookie value; null when the token is no live credential. */
  async signIn(token: string): Promise<{ cookie: string; session: StaffSession } | null> {
    const staff = await this.directory.resolve(token);
    if (!staff) return null;
    const claims: Claims = { v: 1, sid: randomBytes(SID_BYTES).toString('base64url'), sub: staff.id, th: hashStaffToken(token), exp: this.clock.nowMs() + this.ttlMs };
    return { cookie: this.sealer.seal(claims), session: { sid: claims.sid, expMs: claims.exp, staff } };
  }

  /**
   * The live session of a cookie value, or null: none, forged, tampered, expired, logged out, or
   * its credential no longer stands (the member disabled, the token rotated).
   */
  async resolve(cookie: string | undefined): Promise<StaffSession | null> {
    if (!cookie) return null;
    const claims = this.sealer.open(cookie);
    if (!isClaims(claims) || claims.exp <= this.clock.nowMs()) return null;
    if (await this.isRevoked(claims.sid)) return null;
    const staff = await this.directory.resolveBound(claims.sub, claims.th);
    return staff ? { sid: claims.sid, expMs: claims.exp, staff } : null;
  }

  /** The session's CSRF token: another site can neither read the cookie nor compute it. */
  csrfToken(sid: string): string {
    return this.sealer.mac(`csrf.${sid}`);
  }

  checkCsrf(sid: string, given: string | undefined): boolean {
    return this.sealer.checkMac(`csrf.${sid}`, given);
  }

  /**
   * Logout: the session id is revoked until the cookie would have expired anyway (one
   * conditional insert: a second logout changes nothing); revocations past their expiry go.
   */
  async revoke(session: StaffSession): Promise<void> {
    const now = new Date(this.clock.nowMs()).toISOString();
    await this.db.query(
      `INSERT INTO staff_session_revocation (sid, expires_at, revoked_at) VALUES ($1, $2, $3) ON CONFLICT (sid) DO NOTHING`,
      [session.sid, new Date(session.expMs).toISOString(), now],
    );
    await this.db.query('DELETE FROM staff_session_revocation WHERE expires_at < $1', [now]);
  }

  private async isRevoked(sid: string): Promise<boolean> {
    const r = await this.db.query('SELECT 1 FROM staff_session_revocation WHERE sid = $1', [sid]);
    return r.rows.length > 0;
  }
}

function isClaims(c: unknown): c is Claims {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  return (
    o.v === 1 &&
    typeof o.sid === 'string' &&
    (o.sub === null || (typeof o.sub === 'number' && Number.isSafeInteger(o.sub))) &&
    typeof o.th === 'string' &&
    TOKEN_HASH.test(o.th) &&
    typeof o.exp === 'number'
  );
}
