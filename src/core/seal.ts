import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Sealed tokens: claims encrypted and authenticated with AES-256-GCM under a key derived
 * (HKDF-SHA256) from a server secret and the token's purpose, a random 96-bit IV per token, and
 * the purpose as additional data — so tampering, another key or a token of another purpose fails
 * authentication, and a token that leaks tells nobody what it holds. Format: `<prefix>`
 * base64url(IV ‖ ciphertext ‖ tag). Identity's citizen sessions (identity/session.ts) and staff
 * sign-in (staff/session.ts) each seal with their own purpose, hence their own key.
 */
export interface SealOptions {
  /** Names the key (HKDF info `${purpose} aes-256-gcm`) and is the additional data. */
  readonly purpose: string;
  /** Starts every token, e.g. `s1.`: a version marker, and a cheap refusal of foreign strings. */
  readonly prefix: string;
  /** Longer strings are not ours and are refused before any work, characters. */
  readonly lengthMax: number;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export class Sealer {
  private readonly key: Buffer;
  private readonly macKey: Buffer;
  private readonly aad: Buffer;

  constructor(
    secret: string,
    private readonly options: SealOptions,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'yeyak', `${options.purpose} aes-256-gcm`, 32));
    this.macKey = Buffer.from(hkdfSync('sha256', secret, 'yeyak', `${options.purpose} hmac-sha256`, 32));
    this.aad = Buffer.from(options.purpose);
  }

  seal(claims: unknown): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(this.aad);
    const sealed = Buffer.concat([iv, cipher.update(JSON.stringify(claims), 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${this.options.prefix}${sealed.toString('base64url')}`;
  }

  /** The claims of a token sealed for this purpose under this secret, or null (forged, tampered, garbage, too long). */
  open(token: string): unknown {
    if (token.length > this.options.lengthMax || !token.startsWith(this.options.prefix)) return null;
    const body = token.slice(this.options.prefix.length);
    if (!BASE64URL.test(body)) return null;
    const sealed = Buffer.from(body, 'base64url');
    // Only the one encoding we write: base64url decoding ignores stray trailing bits, so two
    // strings could otherwise open to the same token.
    if (sealed.length <= IV_BYTES + TAG_BYTES || sealed.toString('base64url') !== body) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, IV_BYTES)).setAAD(this.aad);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as unknown;
    } catch {
      return null; // authentication failed (or, impossibly for our own claims, not JSON)
    }
  }

  /** A keyed hash of `value` under this purpose's own MAC key (e.g. a session's CSRF token), base64url. */
  mac(value: string): string {
    return createHmac('sha256', this.macKey).update(value).digest('base64url');
  }

  /** Constant-time check of a presented MAC against `value`'s. */
  checkMac(value: string, given: string | undefined): boolean {
    if (typeof given !== 'string' || given.length > this.options.lengthMax) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.mac(value));
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
