import { randomBytes } from 'node:crypto';
import { Sealer } from '../core/seal.ts';
import type { PersonFacts } from '../rules/campaign.ts';
import { isIdentityMethod, type IdentityMethod } from './providers/types.ts';

/**
 * A verification challenge is a sealed token the citizen holds (its `challengeId`), not a row:
 * starting one writes nothing to the database. core/seal.ts: AES-256-GCM under a key derived
 * from the session secret for this purpose alone, a random IV per token, the purpose as
 * additional data — a token altered in any byte, sealed under another key or for another purpose
 * opens to nothing. Encrypted, so the name, phone and the RRN's keyed hash it carries are
 * readable by nobody, in a URL or a log alike; the RRN itself is never in it.
 *
 * What a token cannot hold is what changes: its attempts and whether it was spent live in the
 * shared challenge store (challenge-attempts.ts), keyed by the token's nonce.
 *
 * Format: "c1" base64url(IV ‖ ciphertext ‖ tag), all base64url (the challengeId's URL pattern),
 * ~300 characters for a short name, at most CHALLENGE_TOKEN_LENGTH_MAX.
 */
export interface Challenge {
  /** 16 random bytes, base64url (22 characters): the provider's transaction id and the store's key. */
  nonce: string;
  method: IdentityMethod;
  name: string;
  /** Digits only. */
  phone: string;
  /** hashRrn of the typed RRN (keyed HMAC, hex). */
  rrnHash: string;
  facts: PersonFacts;
  /** ms since epoch: refused from then on. */
  expiresAtMs: number;
}

/** The wire claims: short keys, decoded at the edge into Challenge (whole words in the code). */
interface Claims {
  v: 1;
  k: string;
  m: string;
  n: string;
  p: string;
  h: string;
  b: string;
  s: 'M' | 'F';
  f: boolean;
  e: number;
}

/**
 * Characters. The longest token: a 40-character name of 3-byte characters, the longest method
 * name, ~470; the challengeId's schema allows this many, and Fastify's maxParamLength must too.
 */
export const CHALLENGE_TOKEN_LENGTH_MAX = 600;
const SEAL = { purpose: 'yeyak identity challenge v1', prefix: 'c1', lengthMax: CHALLENGE_TOKEN_LENGTH_MAX } as const;
const NONCE_BYTES = 16;
const NONCE_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const RRN_HASH_PATTERN = /^[0-9a-f]{64}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const PHONE_DIGITS_PATTERN = /^\d{10,11}$/;

export class ChallengeTokens {
  private readonly sealer: Sealer;

  constructor(secret: string) {
    this.sealer = new Sealer(secret, SEAL);
  }

  /** A fresh nonce for a challenge about to start (the provider hears it first). */
  static nonce(): string {
    return randomBytes(NONCE_BYTES).toString('base64url');
  }

  seal(c: Challenge): string {
    const claims: Claims = {
      v: 1, k: c.nonce, m: c.method, n: c.name, p: c.phone, h: c.rrnHash, b: c.facts.birthDate, s: c.facts.sex, f: c.facts.foreignResident, e: c.expiresAtMs,
    };
    return this.sealer.seal(claims);
  }

  /** The challenge, or null for anything not sealed by this server for this purpose. Expiry is the caller's (its clock). */
  open(token: string): Challenge | null {
    const c = this.sealer.open(token);
    if (!isClaims(c)) return null;
    return { nonce: c.k, method: c.m as IdentityMethod, name: c.n, phone: c.p, rrnHash: c.h, facts: { birthDate: c.b, sex: c.s, foreignResident: c.f }, expiresAtMs: c.e };
  }
}

/** Checked after authentication too: a token we sealed with another shape (an old version) is not a challenge. */
function isClaims(c: unknown): c is Claims {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  return (
    o.v === 1 &&
    typeof o.k === 'string' && NONCE_PATTERN.test(o.k) &&
    typeof o.m === 'string' && isIdentityMethod(o.m) &&
    typeof o.n === 'string' &&
    typeof o.p === 'string' && PHONE_DIGITS_PATTERN.test(o.p) &&
    typeof o.h === 'string' && RRN_HASH_PATTERN.test(o.h) &&
    typeof o.b === 'string' && DATE_PATTERN.test(o.b) &&
    (o.s === 'M' || o.s === 'F') &&
    typeof o.f === 'boolean' &&
    typeof o.e === 'number' && Number.isSafeInteger(o.e)
  );
}
