import { assert } from '../core/errors.ts';

/**
 * The opening shuffle without per-ticket state: tickets that joined before the opening hold
 * pre-queue numbers 1..P; at the opening a seed is drawn once, and each number's place is a keyed
 * pseudo-random permutation of 1..P (a 4-round Feistel network over the next power of two,
 * cycle-walking back into range). Every node computes the same place from (seed, P, number).
 */
const ROUNDS = 4;

function roundFn(x: number, key: number, round: number): number {
  // A 32-bit integer mix (murmur3 finaliser) keyed by seed and round.
  let h = (x ^ Math.imul(key, 0x9e3779b1) ^ Math.imul(round + 1, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

function feistel(x: number, halfBits: number, seed: number): number {
  const mask = (1 << halfBits) - 1;
  let left = x >>> halfBits;
  let right = x & mask;
  for (let r = 0; r < ROUNDS; r++) {
    const next = (left ^ roundFn(right, seed, r)) & mask;
    left = right;
    right = next;
  }
  return ((left << halfBits) | right) >>> 0;
}

export const PERMUTATION_SIZE_MAX = 2 ** 30; // pre-queue tickets; the Feistel works on ≤ 30 bits

/** The place (1..size) of pre-queue number `n` (1..size) under `seed`. A bijection on 1..size. */
export function shuffledPosition(n: number, size: number, seed: number): number {
  if (!Number.isInteger(size) || size < 1 || size > PERMUTATION_SIZE_MAX) throw new RangeError(`size out of range: ${size}`);
  if (!Number.isInteger(n) || n < 1 || n > size) throw new RangeError(`n out of range: ${n} of ${size}`);
  if (size === 1) return 1;
  let bits = Math.ceil(Math.log2(size));
  if (bits % 2 === 1) bits++;
  const halfBits = Math.max(1, bits / 2);
  let x = n - 1;
  // Cycle-walking: at most domain/size < 4 expected steps; bounded for safety.
  for (let i = 0; ; i++) {
    assert(i < 1_000_000, 'permutation cycle walk did not terminate');
    x = feistel(x, halfBits, seed >>> 0);
    if (x < size) return x + 1;
  }
}
