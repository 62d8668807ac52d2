import { createHash } from 'node:crypto';

/**
 * The join's proof-of-work arithmetic, shared by the server's check (waiting-room/pow.ts) and the
 * rehearsal's citizens, who solve it as a browser would (web/wait/pow.ts does it with crypto.subtle).
 */
export function leadingZeroBits(hash: Buffer): number {
  let bits = 0;
  for (const byte of hash) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** sha256(challenge ':' nonce). */
export function powHash(challenge: string, nonce: string): Buffer {
  return createHash('sha256').update(challenge).update(':').update(nonce).digest();
}
