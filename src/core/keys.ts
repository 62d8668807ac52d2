import { randomBytes } from 'node:crypto';

/**
 * What makes a key a key: long enough, never a published or placeholder value, not a pattern, and
 * never one key serving two purposes. Pure rules (each answers why a value is refused, or null);
 * config.ts and secrets.ts turn a refusal into a ConfigError.
 */

/** New keys: 32 characters at least (a generated one has 43). No shorter compat rule: see README. */
export const SECRET_LENGTH_MIN = 32;
export const ADMIN_TOKEN_LENGTH_MIN = 24;
export const GENERATE_KEY_HINT = `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`;

// Values published anywhere: the old development key, the old test keys of this repository.
const KNOWN_KEYS = new Set([
  'yeyak-dev-secret-not-for-production',
  'test-admin-token-123',
  'test-admin-token-5f0c9e2b7d41a836',
  'test-rrn-key-3b9d1f0a6c8e2d4b7a5f9c1e3d0b8a6f',
  'test-session-key-8e1c4a7f2b9d0e6c3a5f8b1d4e7c0a9f',
  'test-queue-key-6d2a9f4c1e8b7d0a3f5c9e2b8d1a4f7c',
  'secret',
  'password',
  'changeme',
]);
const PLACEHOLDER = /change.?me|replace.?me|placeholder|not.?for.?prod|your.?(secret|key|token)|example|dev.?secret|insecure/i;
const DISTINCT_CHARS_MIN = 8; // a random 32-character hex key has ~14; 'aaaa…' or 'abab…' has 1–2
const QUEUE_KEY = /^([A-Za-z0-9_-]{1,16}):(.+)$/;

/** Why `value` is refused as a key, or null. */
export function keyProblem(value: string, lengthMin: number): string | null {
  if (value.length < lengthMin) return `is shorter than ${lengthMin} characters`;
  if (KNOWN_KEYS.has(value.toLowerCase()) || PLACEHOLDER.test(value)) return 'is a published or placeholder value';
  if (new Set(value).size < DISTINCT_CHARS_MIN) return 'has too few distinct characters to be random';
  if (isRepeated(value) || isRun(value)) return 'is a pattern (a repeated piece or a run like 0123…), not random';
  return null;
}

/** `abcdefghabcdefgh…`: the whole value is one piece repeated. */
function isRepeated(value: string): boolean {
  for (let period = 1; period <= value.length / 2; period++) {
    if (value.length % period === 0 && value.slice(period) === value.slice(0, -period)) return true;
  }
  return false;
}

/** `0123456789012…`, `zyxw…`: most neighbours one code point apart (a random key: ~1 in 30). */
function isRun(value: string): boolean {
  let steps = 0;
  for (let i = 1; i < value.length; i++) if (Math.abs(value.charCodeAt(i) - value.charCodeAt(i - 1)) === 1) steps++;
  return steps * 2 > value.length - 1;
}

/**
 * Every key serves one purpose: equal keys, or one containing another (`key` and `keyX`), would
 * make a leak of one a leak of the other. The refusal, or null.
 */
export function overlappingKeys(keys: readonly { name: string; value: string }[]): string | null {
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      const a = keys[i] as { name: string; value: string };
      const b = keys[j] as { name: string; value: string };
      if (a.value.includes(b.value) || b.value.includes(a.value)) return `${a.name} and ${b.name} must be different keys (one contains the other)`;
    }
  }
  return null;
}

/** `kid:secret[,kid:secret…]`, each secret a key that passes `keyProblem`: the refusal, or null. */
export function queueKeysProblem(spec: string): string | null {
  for (const part of spec.split(',')) {
    const m = QUEUE_KEY.exec(part);
    if (!m) return 'YEYAK_QUEUE_KEYS must be kid:secret[,kid:secret…] (kid: 1–16 of A-Z a-z 0-9 _ -)';
    const problem = keyProblem(m[2] as string, SECRET_LENGTH_MIN);
    if (problem) return `YEYAK_QUEUE_KEYS: the secret of ${m[1]} ${problem}; generate one with: ${GENERATE_KEY_HINT}`;
  }
  return null;
}

/** The secrets of a YEYAK_QUEUE_KEYS value, named for messages. */
export function queueSecrets(spec: string): { name: string; value: string }[] {
  return spec.split(',').map((part, i) => ({ name: `YEYAK_QUEUE_KEYS secret ${i + 1}`, value: part.slice(part.indexOf(':') + 1) }));
}

/** A fresh random key (256 bits, base64url: 43 characters). */
export function randomKey(): string {
  return randomBytes(32).toString('base64url');
}

/** A fresh one-key YEYAK_QUEUE_KEYS value. */
export function randomQueueKeys(): string {
  return `gen:${randomKey()}`;
}
