/**
 * What the rehearsal observes, shared by every simulated citizen: counters, the per-citizen
 * observations in typed arrays (~45 bytes a citizen, allocated once), the bots' results, the
 * bookings sampled for reading back. No object per citizen lives here.
 */
import type { Answer, Loadgen, RequestSpec } from './loadgen.ts';
import type { BotResult, RehearsalSummary } from './summary.ts';
import { mulberry32 } from '../core/random.ts';

export const API = '/api/v1';

/** Thrown when the rehearsal stopped (--duration): a citizen's flow unwinds without counting a failure. */
export class Stopped extends Error {
  override name = 'Stopped';
}

/** The summary's citizen counts (stillWaiting is `waiting` at the end), and the run's own. */
export type Counters = Omit<RehearsalSummary['citizens'], 'stillWaiting'> & {
  verificationStarts: number;
  /** Citizens in line now (joined, neither admitted nor gone). */
  waiting: number;
  peakWaiting: number;
  finished: number;
  /** Citizens whose flow ended on an answer it could not go on from (counted by code in errorsByCode). */
  failed: number;
};

/** A booking that got a 201, kept to be read back at the end. */
export interface BookingRecord {
  index: number;
  bookingNumber: string;
  token: string;
  device: string;
  address: string;
  /** What the reservation must say now: confirmed or cancelled. */
  status: 'confirmed' | 'cancelled';
  name: string;
  rrn: string;
  phone: string;
}

export class Observations {
  /** When the citizen's first join was sent / answered (ms on the load generator's clock; NaN: never). */
  readonly joinSent: Float64Array;
  readonly joinRecv: Float64Array;
  /** The place's position (the server's), -1 while unknown. */
  readonly position: Int32Array;
  /** 1: joined the pre-queue (before the opening shuffle: not held to join order). */
  readonly preQueue: Uint8Array;
  /** The first ETA shown after joining, seconds (-1: none). */
  readonly firstEta: Float32Array;
  /** When the last poll answered "waiting" was sent. */
  readonly lastWaitingSent: Float64Array;
  /** When the first "admitted" answer arrived. */
  readonly admittedRecv: Float64Array;
  /** 1: a bot (its FIFO inversion would be a bypass). */
  readonly bot: Uint8Array;

  constructor(readonly size: number) {
    this.joinSent = new Float64Array(size).fill(NaN);
    this.joinRecv = new Float64Array(size).fill(NaN);
    this.position = new Int32Array(size).fill(-1);
    this.preQueue = new Uint8Array(size);
    this.firstEta = new Float32Array(size).fill(-1);
    this.lastWaitingSent = new Float64Array(size).fill(NaN);
    this.admittedRecv = new Float64Array(size).fill(NaN);
    this.bot = new Uint8Array(size);
  }
}

export interface StormTally {
  storms: number;
  /** Storms whose 201s named more than one booking number (must be 0). */
  splitBookings: number;
}

export interface World {
  lg: Loadgen;
  campaignId: string;
  seed: number;
  runId: string;
  /** Multiplies every human think time (tests: 0). */
  thinkScale: number;
  counters: Counters;
  obs: Observations;
  errorsByCode: Record<string, number>;
  bots: Map<string, BotResult>;
  storms: StormTally;
  /** The proof of work the line asks for (learned from the first answer that asks), bits; 0 = off. */
  powBits: number;
  /** A recent citizen's pass and device, for the bot that borrows one. */
  lastPass: { pass: string; device: string } | null;
  /** A recent citizen's solved proof of work, for the bot that reuses one. */
  lastPow: { challenge: string; nonce: string } | null;
  /** Bookings sampled (reservoir) for reading back. */
  readBack: BookingRecord[];
  readBackMax: number;
  readBackSeen: number;
  readBackRandom: () => number;
  /** Bots started so far (the next one's kind is round robin). */
  botsStarted: number;
  /** True once --duration has passed: no more arrivals, no more requests. */
  stopped: boolean;
}

export function newCounters(): Counters {
  return { simulated: 0, verified: 0, verificationStarts: 0, joined: 0, admitted: 0, booked: 0, changed: 0, cancelled: 0, gaveUp: 0, ineligible: 0, waiting: 0, peakWaiting: 0, finished: 0, failed: 0 };
}

export function newWorld(args: { lg: Loadgen; campaignId: string; seed: number; runId: string; citizens: number; readBackMax: number; thinkScale: number }): World {
  return {
    lg: args.lg,
    campaignId: args.campaignId,
    seed: args.seed,
    runId: args.runId,
    thinkScale: args.thinkScale,
    counters: newCounters(),
    obs: new Observations(args.citizens),
    errorsByCode: {},
    bots: new Map(),
    storms: { storms: 0, splitBookings: 0 },
    powBits: 0,
    lastPass: null,
    lastPow: null,
    readBack: [],
    readBackMax: args.readBackMax,
    readBackSeen: 0,
    readBackRandom: mulberry32(args.seed ^ 0x5eed),
    stopped: false,
    botsStarted: 0,
  };
}

/** Sends one request; a stopped rehearsal unwinds the citizen (Stopped). */
export async function send(world: World, plannedMs: number, spec: RequestSpec): Promise<Answer> {
  const a = await world.lg.request(plannedMs, spec);
  if (a.code === 'STOPPED') throw new Stopped();
  return a;
}

/** "status code" of an error answer, as errorsByCode counts it. */
export function answerKey(a: Pick<Answer, 'status' | 'code'>): string {
  return a.status === 0 ? 'connection failed' : `${a.status}${a.code ? ` ${a.code}` : ''}`;
}

export function countError(world: World, a: Pick<Answer, 'status' | 'code'>): void {
  const key = answerKey(a);
  world.errorsByCode[key] = (world.errorsByCode[key] ?? 0) + 1;
}

export function setWaiting(world: World, delta: number): void {
  const c = world.counters;
  c.waiting += delta;
  if (c.waiting > c.peakWaiting) c.peakWaiting = c.waiting;
}

/** Keeps a booking for reading back: all of them up to readBackMax, then a uniform sample (reservoir). */
export function keepForReadBack(world: World, record: BookingRecord): void {
  world.readBackSeen++;
  if (world.readBack.length < world.readBackMax) {
    world.readBack.push(record);
    return;
  }
  const j = Math.floor(world.readBackRandom() * world.readBackSeen);
  if (j < world.readBackMax) world.readBack[j] = record;
}

/** The bot result of a kind, made on first use. */
export function botResult(world: World, kind: string, tries: string): BotResult {
  let r = world.bots.get(kind);
  if (!r) {
    r = { kind, tries, attempts: 0, answers: {}, succeeded: 0, passed: true };
    world.bots.set(kind, r);
  }
  return r;
}

/** One bypass attempt and its answer; `succeeded` when the server let it through. */
export function botAttempt(r: BotResult, a: Pick<Answer, 'status' | 'code'>, succeeded: boolean): void {
  r.attempts++;
  const key = answerKey(a);
  r.answers[key] = (r.answers[key] ?? 0) + 1;
  if (succeeded) {
    r.succeeded++;
    r.passed = false;
  }
}
