/**
 * The join's proof of work, solved in the browser: find a nonce such that
 * SHA-256(challenge + ':' + nonce) starts with `bits` zero bits (src/waiting-room/pow.ts), with
 * crypto.subtle in small batches, giving the page back between them so it stays responsive and
 * can show how far it is. DOM-free (vitest runs it on Node's Web Crypto).
 */
import { leadingZeroBits, powPercent } from './logic.ts';

export const POW_BATCH = 256; // digests in flight at once, between two yields to the page
export const POW_TRIES_MAX = 1 << 26; // ~67 M: beyond the hardest difficulty the server asks (24 bits)

/** True where Web Crypto's digest exists (a secure context: https, or localhost). */
export function powAvailable(): boolean {
  return typeof globalThis.crypto?.subtle?.digest === 'function';
}

/**
 * The nonce (base 36, as the server's own solver counts). `onProgress` gets 0–99 %; `stopped`
 * ends the search early (a challenge that expired, a page going away) with null.
 */
export async function solvePow(challenge: string, bits: number, onProgress: (percent: number) => void, stopped: () => boolean = () => false): Promise<string | null> {
  const encoder = new TextEncoder();
  const prefix = `${challenge}:`;
  for (let start = 0; start < POW_TRIES_MAX; start += POW_BATCH) {
    if (stopped()) return null;
    const nonces = Array.from({ length: POW_BATCH }, (_, i) => (start + i).toString(36));
    const hashes = await Promise.all(nonces.map((n) => crypto.subtle.digest('SHA-256', encoder.encode(prefix + n))));
    const hit = hashes.findIndex((h) => leadingZeroBits(new Uint8Array(h)) >= bits);
    if (hit >= 0) return nonces[hit] as string;
    onProgress(powPercent(start + POW_BATCH, bits));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return null;
}
