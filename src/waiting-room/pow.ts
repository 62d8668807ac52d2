import { randomBytes } from 'node:crypto';
import { leadingZeroBits, powHash } from '../core/pow-hash.ts';
import type { TokenSigner } from './tokens.ts';

/**
 * Optional proof-of-work at join: the client finds a nonce such that
 * sha256(challenge + ':' + nonce) starts with `bits` zero bits. It costs a phone a moment and a
 * bot farm real money per place; the difficulty is adjustable live.
 */
export const POW_CHALLENGE_TTL_MS = 120_000; // a solved challenge must be used within 2 min

interface Challenge {
  c: string;
  b: number;
  exp: number;
  r: string;
}

export function issueChallenge(signer: TokenSigner, campaignId: string, bits: number, nowMs: number) {
  const exp = nowMs + POW_CHALLENGE_TTL_MS;
  return { challenge: signer.sign({ c: campaignId, b: bits, exp, r: randomBytes(8).toString('base64url') }), difficultyBits: bits, expiresAt: new Date(exp).toISOString() };
}



/** True when the answer is for this campaign, unexpired, and meets the difficulty asked now. */
export function checkSolution(signer: TokenSigner, campaignId: string, requiredBits: number, challenge: string, nonce: string, nowMs: number): boolean {
  const c = signer.verify<Challenge>(challenge);
  if (!c || c.c !== campaignId || typeof c.exp !== 'number' || c.exp <= nowMs) return false;
  // The difficulty asked now, not the one the challenge was issued at: a challenge fetched while
  // the work was off (0 bits) or lighter must not waive a difficulty raised since.
  return leadingZeroBits(powHash(challenge, nonce)) >= requiredBits;
}

/** What a client does (tests, the rehearsal tool): try nonces until one fits. Bounded. */
export function solve(challenge: string, bits: number, triesMax = 50_000_000): string {
  for (let i = 0; i < triesMax; i++) {
    const nonce = i.toString(36);
    if (leadingZeroBits(powHash(challenge, nonce)) >= bits) return nonce;
  }
  throw new Error(`no solution within ${triesMax} tries`);
}
