/**
 * The fairness record's rules, pure: the seed's commitment, where a ticket should stand by its
 * join order after the shuffle, and the count of admissions out of that order. The record itself
 * (fairness-record.ts) applies them to what the database holds; the verifier (fairness-verify.ts)
 * applies them to the published JSON alone.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { shuffledPosition } from './permutation.ts';

/** Names the shuffle (permutation.ts): a change of it is a new name, never a silent change. */
export const SHUFFLE_ALGORITHM = 'yeyak-feistel-v1';
/** What the commitment's input starts with (its version): `yeyak-shuffle-v1:<campaign>:<seed>:<nonce>`. */
export const COMMITMENT_PREFIX = 'yeyak-shuffle-v1';

export const SEED_MAX = 2 ** 31 - 1; // the Feistel takes a 32-bit key; a positive int4-safe seed
const NONCE_BYTES = 16; // 128 bits: the commitment cannot be inverted by trying every seed

export interface SeedDraw {
  seed: number;
  /** 32 lowercase hex digits. */
  nonce: string;
}

export function drawSeed(): SeedDraw {
  return { seed: randomInt(1, SEED_MAX + 1), nonce: randomBytes(NONCE_BYTES).toString('hex') };
}

/**
 * The exact text whose SHA-256 is published: UTF-8 of `yeyak-shuffle-v1:` + campaign id + `:` +
 * the seed in decimal + `:` + the nonce in lowercase hex. Campaign ids are [A-Za-z0-9-], so the
 * separators are unambiguous; `printf '%s' "$input" | sha256sum` checks it.
 */
export function commitmentInput(campaignId: string, seed: number, nonce: string): string {
  return `${COMMITMENT_PREFIX}:${campaignId}:${seed}:${nonce}`;
}

/** SHA-256 (lowercase hex) of commitmentInput. */
export function commitmentOf(campaignId: string, seed: number, nonce: string): string {
  return createHash('sha256').update(commitmentInput(campaignId, seed, nonce), 'utf8').digest('hex');
}

/** What an admitted place's record holds of its ticket (signed facts) and of the node that served it. */
export interface AdmittedPlace {
  /** The position the serving node computed and admitted. */
  position: number;
  /** The ticket joined the pre-queue (its place is the shuffle's). */
  pre: boolean;
  /** The ticket's number: pre-queue 1..P, or main line 1, 2, … in join order. */
  seq: number;
}

/**
 * Where a ticket stands by its join order after the shuffle: a pre-queue number n at
 * shuffledPosition(n, P, seed), main-line number s at P + s. Null when the facts cannot hold a
 * place (a pre-queue number beyond P, or a pre-queue ticket with no shuffle recorded).
 */
export function expectedPosition(place: Pick<AdmittedPlace, 'pre' | 'seq'>, preQueueSize: number, seed: number | null): number | null {
  if (!place.pre) return preQueueSize + place.seq;
  if (seed === null || place.seq < 1 || place.seq > preQueueSize) return null;
  return shuffledPosition(place.seq, preQueueSize, seed);
}

export const INVERSION_EXAMPLES_MAX = 5;

/**
 * Admission order against join order, fed admitted places in DESCENDING position (admission
 * order backwards: the counter admits positions in order, so a lower position went in earlier).
 * A place is an inversion when it went in ahead of someone it should have been behind: some place
 * admitted later (higher position) has a smaller expected position. The shuffle itself is no
 * inversion — expected positions are the shuffle's. 0 expected; each out-of-order place counts
 * once, however many it passed. A place whose facts give no expected position counts as a
 * mismatch (and an inversion: it cannot be in order). O(1) memory: one running minimum.
 */
export class InversionSweep {
  recorded = 0;
  inversions = 0;
  /** Places whose position is not the one their ticket's facts give. */
  positionMismatches = 0;
  readonly examples: { position: number; expectedPosition: number | null }[] = [];
  private minExpectedLater = Infinity;
  private lastPosition = Infinity;

  constructor(
    private readonly preQueueSize: number,
    private readonly seed: number | null,
  ) {}

  add(place: AdmittedPlace): void {
    if (place.position >= this.lastPosition) throw new RangeError('InversionSweep: positions must come in descending order');
    this.lastPosition = place.position;
    this.recorded++;
    const expected = expectedPosition(place, this.preQueueSize, this.seed);
    if (expected !== place.position) this.positionMismatches++;
    const outOfOrder = expected === null || expected > this.minExpectedLater;
    if (outOfOrder) {
      this.inversions++;
      if (this.examples.length < INVERSION_EXAMPLES_MAX) this.examples.push({ position: place.position, expectedPosition: expected });
    }
    if (expected !== null) this.minExpectedLater = Math.min(this.minExpectedLater, expected);
  }
}

/** The ETA shown against the wait had, over every recorded place that was shown one. */
export interface EtaFigures {
  samples: number;
  /** Percentiles of actual − shown, seconds (positive: waited longer than told). */
  errorP10Seconds: number | null;
  errorP50Seconds: number | null;
  errorP90Seconds: number | null;
  errorP99Seconds: number | null;
  /** Percentiles of (actual − shown) / shown, over places shown more than 0 s. */
  errorP50: number | null;
  errorP90: number | null;
  /** Share (0–1) whose wait was within ±20 % of the ETA shown: |actual − shown| ≤ 0.2 × shown. */
  withinTwentyPercent: number | null;
  waitP50Seconds: number | null;
  waitP99Seconds: number | null;
}

/** A growing array of doubles (8 bytes a sample: 8 MB per million). */
class Samples {
  private values = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = v;
  }

  /** Sorted percentiles, interpolated between ranks as PostgreSQL's percentile_cont. */
  percentiles(ps: readonly number[], digits: number): (number | null)[] {
    const sorted = this.values.subarray(0, this.length).sort();
    return ps.map((p) => {
      if (sorted.length === 0) return null;
      const rank = p * (sorted.length - 1);
      const lo = Math.floor(rank);
      const a = sorted[lo] as number;
      const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
      return Math.round((a + (b - a) * (rank - lo)) * 10 ** digits) / 10 ** digits;
    });
  }
}

/**
 * Collects (shown, waited) pairs and answers the figures. Exact percentiles, computed here rather
 * than by percentile_cont in the database: three sorts of a million rows in one statement ran past
 * the 5 s statement timeout on this machine under load, while the sweep reads the rows anyway.
 */
export class EtaAccumulator {
  private readonly errors = new Samples();
  private readonly relative = new Samples();
  private readonly waits = new Samples();
  private within = 0;

  add(shownSeconds: number, waitedSeconds: number): void {
    const error = waitedSeconds - shownSeconds;
    this.errors.push(error);
    if (shownSeconds > 0) this.relative.push(error / shownSeconds);
    this.waits.push(waitedSeconds);
    if (Math.abs(error) <= 0.2 * shownSeconds) this.within++;
  }

  figures(): EtaFigures {
    const n = this.errors.length;
    const [errorP10Seconds, errorP50Seconds, errorP90Seconds, errorP99Seconds] = this.errors.percentiles([0.1, 0.5, 0.9, 0.99], 1);
    const [errorP50, errorP90] = this.relative.percentiles([0.5, 0.9], 3);
    const [waitP50Seconds, waitP99Seconds] = this.waits.percentiles([0.5, 0.99], 1);
    return {
      samples: n,
      errorP10Seconds: errorP10Seconds ?? null,
      errorP50Seconds: errorP50Seconds ?? null,
      errorP90Seconds: errorP90Seconds ?? null,
      errorP99Seconds: errorP99Seconds ?? null,
      errorP50: errorP50 ?? null,
      errorP90: errorP90 ?? null,
      withinTwentyPercent: n === 0 ? null : Math.round((this.within / n) * 1000) / 1000,
      waitP50Seconds: waitP50Seconds ?? null,
      waitP99Seconds: waitP99Seconds ?? null,
    };
  }
}
