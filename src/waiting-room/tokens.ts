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

/**
 * A place in a campaign's line, as the code reads it. Signed as `TicketClaims` (short keys, which
 * stay as they are: tickets already issued must still verify); decoded here, at the edge.
 */
export interface Ticket {
  readonly campaignId: string;
  /** The number issued at join: the place in the line (before the shuffle, for pre-queue tickets). */
  readonly seq: number;
  /** Issued at, ms since epoch. */
  readonly issuedAtMs: number;
  /** The device the ticket belongs to. */
  readonly device: string;
  /** Joined before the opening: the position is decided by the opening shuffle. */
  readonly preQueue: boolean;
  /** The person, where the campaign verifies before queueing. */
  readonly personId?: number;
  /** The wait promised at join (s): the ETA error is measured from it, with nothing stored. */
  readonly promisedEtaSeconds?: number;
}

/** Admission to the booking API: short-lived, bound to campaign, device and (if any) person. */
export interface Pass {
  readonly campaignId: string;
  /** The ticket's effective position, which doubles as the pass id within the campaign. */
  readonly position: number;
  readonly device: string;
  readonly personId?: number;
  /** Expires at, ms since epoch. */
  readonly expiresAtMs: number;
}

/** A ticket's signed JSON. Key order is part of the encoding: c, s, t, d, pre, p, e. */
export interface TicketClaims {
  readonly c: string;
  readonly s: number;
  readonly t: number;
  readonly d: string;
  readonly pre: boolean;
  readonly p?: number;
  /** Seconds promised at join. */
  readonly e?: number;
}

/** A pass's signed JSON. Key order is part of the encoding: c, n, d, exp, p. */
export interface PassClaims {
  readonly c: string;
  readonly n: number;
  readonly d: string;
  readonly exp: number;
  readonly p?: number;
}

const TOKEN_LENGTH_MAX = 600; // bytes: ours are ~150; anything longer is refused unparsed
/**
 * Tickets verified lately, per node (~450 bytes each: ~7 MB). A poll's ticket is found again when
 * its holder polls within about TICKET_CACHE_SIZE ÷ (this node's polls per second) seconds: the
 * near-front pollers (every 1–2 s) and retry storms; far-back ones (every 30 s) mostly miss.
 */
export const TICKET_CACHE_SIZE = 16_384;

/**
 * Tokens this signer verified lately, by their exact string → their frozen payload: a status poll
 * is a ticket presented again and again, and its HMAC was ~14 % of a poll's CPU. Safe because a
 * token is immutable (the same string is the same verified bytes) and only verified tokens
 * enter; a forged or altered token is another string and is verified in full. Bounded: the oldest
 * entry goes when a new one would pass `max` (a hit does not move its entry: a lookup is one
 * Map.get, and a ticket still polled is verified again once per turn of the cache). Whatever a token's claims say about
 * time (a pass's expiry, a ticket's claim window) is still checked by the caller on every use.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, object>();
  hits = 0;
  misses = 0;

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new Error('VerifiedTokens needs max ≥ 1');
  }

  get size(): number {
    return this.entries.size;
  }

  get(token: string): object | undefined {
    const payload = this.entries.get(token);
    if (payload === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return payload;
  }

  add(token: string, payload: object): void {
    // Map keeps insertion order: its first key is the oldest.
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, payload);
  }
}

export class TokenSigner {
  private readonly byKid: Map<string, string>;
  private readonly active: SigningKey;
  /** Recently verified tokens (opts.cacheSize), or null: every verify computes the MAC. */
  readonly verified: VerifiedTokens | null;

  constructor(keys: readonly SigningKey[], private readonly purpose: 'ticket' | 'pass' | 'pow', opts: { cacheSize?: number } = {}) {
    if (keys.length === 0) throw new Error('TokenSigner needs at least one key');
    this.active = keys[0] as SigningKey;
    this.byKid = new Map(keys.map((k) => [k.kid, k.secret]));
    this.verified = opts.cacheSize ? new VerifiedTokens(opts.cacheSize) : null;
  }

  sign(payload: object): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${this.active.kid}.${body}.${this.mac(this.active.secret, this.active.kid, body)}`;
  }

  /**
   * The payload, or null when the token is malformed, signed by an unknown key, or forged. With a
   * cache, the payload is frozen (shared by every later verify of the same token).
   */
  verify<T>(token: string): T | null {
    if (token.length > TOKEN_LENGTH_MAX) return null;
    const known = this.verified?.get(token);
    if (known !== undefined) return known as T;
    const payload = this.verifyMac(token);
    if (this.verified && payload !== null && typeof payload === 'object') this.verified.add(token, Object.freeze(payload));
    return payload as T | null;
  }

  private verifyMac(token: string): unknown {
    const [kid, body, sig, extra] = token.split('.');
    if (!kid || !body || !sig || extra !== undefined) return null;
    const secret = this.byKid.get(kid);
    if (!secret) return null;
    const given = Buffer.from(sig, 'base64url');
    const expected = Buffer.from(this.mac(secret, kid, body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
    } catch {
      return null;
    }
  }

  private mac(secret: string, kid: string, body: string): string {
    // The purpose is part of the MAC, so a ticket can never be presented as a pass.
    return createHmac('sha256', secret).update(`${this.purpose}.${kid}.`).update(body).digest('base64url');
  }
}

/** What a ticket signs as (TokenSigner.sign). */
export function ticketClaims(t: Ticket): TicketClaims {
  return {
    c: t.campaignId,
    s: t.seq,
    t: t.issuedAtMs,
    d: t.device,
    pre: t.preQueue,
    ...(t.personId !== undefined ? { p: t.personId } : {}),
    ...(t.promisedEtaSeconds !== undefined ? { e: t.promisedEtaSeconds } : {}),
  };
}

/** The ticket in verified claims (TokenSigner.verify), or null when they are not a ticket's. */
export function ticketOf(x: unknown): Ticket | null {
  const t = x as TicketClaims;
  const valid = !!t && typeof t.c === 'string' && Number.isSafeInteger(t.s) && t.s > 0 && typeof t.t === 'number' && typeof t.d === 'string' && typeof t.pre === 'boolean';
  if (!valid) return null;
  return {
    campaignId: t.c,
    seq: t.s,
    issuedAtMs: t.t,
    device: t.d,
    preQueue: t.pre,
    ...(t.p !== undefined ? { personId: t.p } : {}),
    ...(t.e !== undefined ? { promisedEtaSeconds: t.e } : {}),
  };
}

/** What a pass signs as (TokenSigner.sign). */
export function passClaims(p: Pass): PassClaims {
  return { c: p.campaignId, n: p.position, d: p.device, exp: p.expiresAtMs, ...(p.personId !== undefined ? { p: p.personId } : {}) };
}

/** The pass in verified claims (TokenSigner.verify), or null when they are not a pass's. */
export function passOf(x: unknown): Pass | null {
  const p = x as PassClaims;
  if (!(!!p && typeof p.c === 'string' && Number.isSafeInteger(p.n) && typeof p.d === 'string' && typeof p.exp === 'number')) return null;
  return { campaignId: p.c, position: p.n, device: p.d, expiresAtMs: p.exp, ...(p.p !== undefined ? { personId: p.p } : {}) };
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
