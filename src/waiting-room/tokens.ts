import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tickets and passes are signed, self-contained tokens: answering "how many are ahead of me?"
 * needs nothing stored per ticket. Each token names the key that signed it (`kid`), so keys can
 * rotate: sign with the first key, accept any listed key.
 *
 * Format: `<kid>.<base64url(JSON payload)>.<base64url(HMAC-SHA256)>`.
 */
export interface SigningKey {
  readonly kid: string;
  readonly secret: string;
}

/** A place in a campaign's line. `pre` tickets joined before the opening and are shuffled once. */
export interface Ticket {
  /** campaign id */
  readonly c: string;
  /** sequence number: the place in the line (before the shuffle, for `pre` tickets) */
  readonly s: number;
  /** issued at, ms since epoch */
  readonly t: number;
  /** device id the ticket belongs to */
  readonly d: string;
  /** joined before the opening: position is decided by the opening shuffle */
  readonly pre: boolean;
  /** person id, where the campaign verifies before queueing */
  readonly p?: number;
}

/** Admission to the booking API: short-lived, bound to campaign, device and (if any) person. */
export interface Pass {
  readonly c: string;
  /** the ticket's effective position, which doubles as the pass id within the campaign */
  readonly n: number;
  readonly d: string;
  readonly p?: number;
  /** expires at, ms since epoch */
  readonly exp: number;
}

const TOKEN_LENGTH_MAX = 600; // bytes: ours are ~150; anything longer is refused unparsed

export class TokenSigner {
  private readonly byKid: Map<string, string>;
  private readonly active: SigningKey;

  constructor(keys: readonly SigningKey[], private readonly purpose: 'ticket' | 'pass' | 'pow') {
    if (keys.length === 0) throw new Error('TokenSigner needs at least one key');
    this.active = keys[0] as SigningKey;
    this.byKid = new Map(keys.map((k) => [k.kid, k.secret]));
  }

  sign(payload: object): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${this.active.kid}.${body}.${this.mac(this.active.secret, this.active.kid, body)}`;
  }

  /** The payload, or null when the token is malformed, signed by an unknown key, or forged. */
  verify<T>(token: string): T | null {
    if (token.length > TOKEN_LENGTH_MAX) return null;
    const [kid, body, sig, extra] = token.split('.');
    if (!kid || !body || !sig || extra !== undefined) return null;
    const secret = this.byKid.get(kid);
    if (!secret) return null;
    const given = Buffer.from(sig, 'base64url');
    const expected = Buffer.from(this.mac(secret, kid, body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
    } catch {
      return null;
    }
  }

  private mac(secret: string, kid: string, body: string): string {
    // The purpose is part of the MAC, so a ticket can never be presented as a pass.
    return createHmac('sha256', secret).update(`${this.purpose}.${kid}.`).update(body).digest('base64url');
  }
}

export function isTicket(x: unknown): x is Ticket {
  const t = x as Ticket;
  return !!t && typeof t.c === 'string' && Number.isSafeInteger(t.s) && t.s > 0 && typeof t.t === 'number' && typeof t.d === 'string' && typeof t.pre === 'boolean';
}

export function isPass(x: unknown): x is Pass {
  const p = x as Pass;
  return !!p && typeof p.c === 'string' && Number.isSafeInteger(p.n) && typeof p.d === 'string' && typeof p.exp === 'number';
}

/** Parses `kid1:secret1,kid2:secret2` (first = signing key). */
export function parseKeys(spec: string): SigningKey[] {
  return spec.split(',').map((pair) => {
    const i = pair.indexOf(':');
    const kid = pair.slice(0, i).trim();
    const secret = pair.slice(i + 1).trim();
    if (i <= 0 || !/^[A-Za-z0-9_-]{1,16}$/.test(kid) || secret.length < 16) {
      throw new Error(`queue key "${kid || pair}" must be kid:secret with a kid of [A-Za-z0-9_-]{1,16} and a secret of ≥16 characters`);
    }
    return { kid, secret };
  });
}
