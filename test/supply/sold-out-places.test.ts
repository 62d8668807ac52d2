/**
 * Who is admitted in the pre-queue (issue #11's sold-out notice): the pre-queue numbers whose
 * shuffled place is at most admittedUpTo — exactly those, whatever the seed and counts (fast-check
 * against the permutation itself); none before the shuffle; all once the counter passes them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admittedPreNumbers } from '../../src/waiting-room/sold-out.ts';
import { shuffledPosition } from '../../src/waiting-room/permutation.ts';

describe('admitted pre-queue numbers', () => {
  it('are exactly the numbers whose shuffled place is admitted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 500 }), (size, seed, admittedUpTo) => {
        const got = admittedPreNumbers({ admittedUpTo, frozenPreCount: size, shuffleSeed: seed });
        const expected = Array.from({ length: size }, (_, i) => i + 1).filter((n) => shuffledPosition(n, size, seed) <= admittedUpTo);
        if (admittedUpTo >= size) expect(got).toBe('all');
        else expect(got).toEqual(expected);
      }),
    );
  });

  it('none before the opening shuffle', () => {
    expect(admittedPreNumbers({ admittedUpTo: 0, frozenPreCount: null, shuffleSeed: null })).toEqual([]);
    expect(admittedPreNumbers({ admittedUpTo: 10, frozenPreCount: null, shuffleSeed: null })).toEqual([]);
  });
});
