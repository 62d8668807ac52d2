/**
 * Who the simulated citizens are and when they arrive: a pure function of the seed and the
 * citizen's index, so nothing is stored per citizen and the same seed gives the same rehearsal
 * plan. Synthetic people only: made-up names, RRNs with a valid check digit, phones from a
 * bijection of the index (distinct per citizen, so the sandbox sees distinct people).
 */
import type { Arrival } from './options.ts';
import { NIGHT_2021_08_09 } from './replay-2021-08-09.ts';
import { mulberry32 } from '../core/random.ts';
import { DEFAULT_MIX, type Behaviour, type CitizenKind, type Mix } from './mix.ts';

export type { Behaviour, CitizenKind, Mix } from './mix.ts';


/** A 32-bit hash of (seed, index): each citizen's own PRNG seed. */
export function citizenSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface CitizenPlan {
  index: number;
  kind: CitizenKind;
  behaviour: Behaviour;
  name: string;
  rrn: string;
  phone: string;
  /** Their own address (X-Forwarded-For): per-address limits count per person, as for real people. */
  address: string;
  wrongCode: boolean;
  /** Verification starts abandoned before the one that completes. */
  abandonedVerifications: number;
  /** Polls a give-up citizen makes before leaving the line. */
  givesUpAfterPolls: number;
  /** The citizen's own PRNG (think times, choices), seeded by (seed, index). */
  random: () => number;
}

const SURNAMES = ['김', '이', '박', '최', '정', '강', '조', '윤', '장', '임', '한', '오', '서', '신', '권'];
const GIVEN = ['민준', '서연', '도윤', '지우', '하준', '서윤', '예준', '하은', '시우', '지민', '주원', '수아', '지호', '지아', '은우', '윤서'];

/** The RRN's check digit (the classic weights 2–9, 2–5; numbers since 2020 may lack it, these have it). */
export function rrnCheckDigit(first12: string): number {
  const weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
  let sum = 0;
  for (let k = 0; k < 12; k++) sum += Number(first12[k]) * (weights[k] as number);
  return (11 - (sum % 11)) % 10;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const DAYS_IN_MONTH = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** Birth dates of a kind, as [year, month, day], in a fixed order. */
function birthDates(kind: CitizenKind): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  // korea-2021-08: born 1972–2003; 9 Aug is for days of birth ending in 9 (src/rules/korea-2021-08.ts).
  const years = kind === 'outside-cohort' ? [1950, 1955, 1960, 1965, 1970, 1971, 2004, 2005] : Array.from({ length: 32 }, (_, k) => 1972 + k);
  const days = kind === 'not-yet' ? [10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22] : [9, 19, 29];
  for (const y of years) for (let m = 1; m <= 12; m++) for (const d of days) if (d <= DAYS_IN_MONTH(y, m)) out.push([y, m, d]);
  return out;
}
const DATES: Record<'eligible' | 'outside-cohort' | 'not-yet', Array<[number, number, number]>> = {
  eligible: birthDates('regular'),
  'outside-cohort': birthDates('outside-cohort'),
  'not-yet': birthDates('not-yet'),
};

/**
 * A distinct RRN per (kind's date set, index): the 5-digit serial is index mod 10^5 and the date
 * is offset by index ÷ 10^5, so two citizens with one serial differ in the date (unique below
 * 10^5 × the set's dates: > 40 M).
 */
function rrnOf(kind: CitizenKind, index: number, female: boolean, salt: number): string {
  const set = kind === 'outside-cohort' || kind === 'not-yet' ? DATES[kind] : DATES.eligible;
  const serial = index % 100_000;
  const [y, m, d] = set[(Math.floor(index / 100_000) + (salt % set.length)) % set.length] as [number, number, number];
  const sexDigit = (y >= 2000 ? 3 : 1) + (female ? 1 : 0);
  const first12 = `${pad(y % 100, 2)}${pad(m, 2)}${pad(d, 2)}${sexDigit}${pad(serial, 5)}`;
  return `${first12.slice(0, 6)}-${first12.slice(6)}${rrnCheckDigit(first12)}`;
}

/** 010-XXXX-XXXX from a bijection of the index mod 10^8 (7,654,321 is coprime to 10^8). */
function phoneOf(index: number, seed: number): string {
  const n = (((index % 100_000_000) * 7_654_321 + (seed % 1000) * 7919) % 100_000_000 + 100_000_000) % 100_000_000;
  const digits = pad(n, 8);
  return `010-${digits.slice(0, 4)}-${digits.slice(4)}`;
}

/** 10.a.b.c from index + 1: distinct for 16 M citizens. */
export function addressOf(index: number): string {
  const n = index + 1;
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Citizen `index` of the rehearsal seeded `seed`. */
export function citizenOf(seed: number, index: number, mix: Mix = DEFAULT_MIX): CitizenPlan {
  const random = mulberry32(citizenSeed(seed, index));
  const u = random();
  let kind: CitizenKind = 'regular';
  let edge = mix.outsideCohort;
  if (u < edge) kind = 'outside-cohort';
  else if (u < (edge += mix.notYet)) kind = 'not-yet';
  else if (u < (edge += mix.storm)) kind = 'storm';
  else if (u < (edge += mix.bot)) kind = 'bot';
  const v = random();
  const behaviour: Behaviour = v < mix.giveUp ? 'give-up' : v < mix.giveUp + mix.change ? 'change' : v < mix.giveUp + mix.change + mix.cancel ? 'cancel' : 'book';
  const female = random() < 0.5;
  const salt = Math.floor(random() * 1_000_000);
  const name = `${SURNAMES[Math.floor(random() * SURNAMES.length)]}${GIVEN[Math.floor(random() * GIVEN.length)]}`;
  const wrongCode = random() < mix.wrongCode;
  // Extra starts: whole part always, fractional part by chance (mean = mix.extraVerifications).
  const whole = Math.floor(mix.extraVerifications);
  const abandonedVerifications = whole + (random() < mix.extraVerifications - whole ? 1 : 0);
  const givesUpAfterPolls = 1 + Math.floor(random() * 5);
  return {
    index,
    kind,
    behaviour,
    name,
    rrn: rrnOf(kind, index, female, salt),
    phone: phoneOf(index, seed),
    address: addressOf(index),
    wrongCode,
    abandonedVerifications,
    givesUpAfterPolls,
    random,
  };
}

/**
 * Planned arrival of each citizen in index order (ms from the start), generated lazily: burst
 * spreads everyone over the first second, poisson draws exponential gaps at RATE per second,
 * replay follows the night's arrival curve compressed into `replaySeconds`.
 */
export function arrivalTimes(arrival: Arrival, citizens: number, seed: number, replaySeconds: number): () => number | null {
  let i = 0;
  if (arrival.kind === 'burst') {
    return () => (i < citizens ? (i++ * 1000) / citizens : null);
  }
  if (arrival.kind === 'poisson') {
    const random = mulberry32(citizenSeed(seed, -1));
    let t = 0;
    const meanGapMs = 1000 / arrival.ratePerS;
    return () => {
      if (i >= citizens) return null;
      i++;
      t += -Math.log(1 - random()) * meanGapMs;
      return t;
    };
  }
  const bins = NIGHT_2021_08_09.arrivalBins;
  const nightMs = NIGHT_2021_08_09.windowMinutes * 60_000;
  const compress = (replaySeconds * 1000) / nightMs;
  return () => {
    if (i >= citizens) return null;
    // The inverse of the night's cumulative arrival share at (i + ½) / N: evenly spaced quantiles.
    const q = (i++ + 0.5) / citizens;
    let cum = 0;
    for (const b of bins) {
      if (q <= cum + b.share) return (b.fromMinute + ((q - cum) / b.share) * (b.toMinute - b.fromMinute)) * 60_000 * compress;
      cum += b.share;
    }
    return nightMs * compress;
  };
}
