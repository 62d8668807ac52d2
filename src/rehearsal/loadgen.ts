/**
 * The rehearsal's load generator: an open model. Every request has a planned start (when the
 * schedule says the citizen acts); its latency runs from that planned start to the answer, so a
 * saturated server — or a saturated client, waiting for a free slot — shows as latency instead of
 * hiding as fewer requests (coordinated omission). Requests in flight are bounded (`maxInFlight`);
 * due requests beyond it wait in a FIFO. Future requests wait in one binary heap driven by one
 * timer; citizens who have not arrived yet cost nothing (the arrival source is pulled lazily).
 */
import { Pool } from 'undici';
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { EndpointLatency } from './summary.ts';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path with its query, e.g. /api/v1/queue/status. */
  path: string;
  /** The route template the latency is filed under, e.g. "GET /api/v1/queue/status". */
  endpoint: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface RawAnswer {
  /** HTTP status; 0 for a connection failure or timeout. */
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface Answer {
  status: number;
  /** The parsed JSON body (null when none or not JSON). */
  json: unknown;
  /** Retry-After in ms, when the answer had one. */
  retryAfterMs: number | null;
  /** The catalogue code of an error answer ("YEYAK_E_…"), if any. */
  code: string | null;
  plannedMs: number;
  sentMs: number;
  endMs: number;
}

/** One HTTP exchange; the rehearsal's is an undici Pool, the tests' a fake. */
export type Transport = (spec: RequestSpec) => Promise<RawAnswer>;

/** The next citizen to arrive: when, and what starting it does (it issues its first request). */
export interface ArrivalSource {
  /** Planned arrival of the next citizen (ms on the load generator's clock), or null when none is left. */
  peek(): number | null;
  /** Takes the next citizen and starts it at its planned arrival. */
  start(): void;
}

interface Job {
  planned: number;
  spec: RequestSpec;
  resolve: (a: Answer) => void;
}

/** A binary min-heap of jobs by planned start (ties: insertion order, kept by a sequence number). */
class JobHeap {
  private readonly jobs: Job[] = [];
  private readonly seqs: number[] = [];
  private seq = 0;
  get size(): number {
    return this.jobs.length;
  }
  peek(): Job | undefined {
    return this.jobs[0];
  }
  private less(a: number, b: number): boolean {
    const ja = this.jobs[a] as Job;
    const jb = this.jobs[b] as Job;
    return ja.planned < jb.planned || (ja.planned === jb.planned && (this.seqs[a] as number) < (this.seqs[b] as number));
  }
  private swap(a: number, b: number): void {
    [this.jobs[a], this.jobs[b]] = [this.jobs[b] as Job, this.jobs[a] as Job];
    [this.seqs[a], this.seqs[b]] = [this.seqs[b] as number, this.seqs[a] as number];
  }
  push(job: Job): void {
    this.jobs.push(job);
    this.seqs.push(this.seq++);
    let i = this.jobs.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): Job | undefined {
    const top = this.jobs[0];
    const lastJob = this.jobs.pop();
    const lastSeq = this.seqs.pop();
    if (this.jobs.length > 0 && lastJob && lastSeq !== undefined) {
      this.jobs[0] = lastJob;
      this.seqs[0] = lastSeq;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.jobs.length && this.less(l, m)) m = l;
        if (r < this.jobs.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/** A FIFO of jobs due now but waiting for a free slot (an array with a moving head). */
class JobQueue {
  private items: Job[] = [];
  private head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  push(job: Job): void {
    this.items.push(job);
  }
  shift(): Job | undefined {
    if (this.head >= this.items.length) return undefined;
    const job = this.items[this.head++];
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return job;
  }
}

/** Latencies in microseconds (integers, as HDR histograms count), 3 significant digits. */
export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

const US_PER_MS = 1000;
const ms = (us: number) => Math.round(us / 10) / 100; // µs → ms with 2 decimals

interface EndpointStats {
  histogram: Histogram;
  statuses: Record<string, number>;
}

export interface LoadgenOptions {
  transport: Transport;
  maxInFlight: number;
  /** The load generator's monotonic clock, ms. */
  now: () => number;
  /** Every answer, as it arrives (the rehearsal's counters). */
  onAnswer?: (spec: RequestSpec, answer: Answer) => void;
}

export class Loadgen {
  private readonly heap = new JobHeap();
  private readonly due = new JobQueue();
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private pumpQueued = false;
  private arrivals: ArrivalSource | null = null;
  private readonly endpoints = new Map<string, EndpointStats>();
  /** Every request finished since the last `takeInterval()`, for the timeline's p99. */
  private interval = newHistogram();
  private intervalStarted = 0;
  private intervalErrors = 0;
  stopped = false;
  requestsStarted = 0;

  constructor(private readonly opts: LoadgenOptions) {}

  get now(): number {
    return this.opts.now();
  }

  /** Requests due but not started (waiting for a slot), and in flight. */
  get backlog(): { due: number; inFlight: number; scheduled: number } {
    return { due: this.due.size, inFlight: this.inFlight, scheduled: this.heap.size };
  }

  setArrivals(source: ArrivalSource): void {
    this.arrivals = source;
    this.pump();
  }

  /**
   * Sends `spec` at `plannedMs` (at once when that is past) and answers when it is done; latency is
   * measured from `plannedMs`. After stop(), a request is not sent: it answers status 0 at once.
   */
  request(plannedMs: number, spec: RequestSpec): Promise<Answer> {
    return new Promise<Answer>((resolve) => {
      const job = { planned: plannedMs, spec, resolve };
      if (this.stopped) {
        resolve(stoppedAnswer(job, this.now));
        return;
      }
      if (plannedMs <= this.now) this.due.push(job);
      else this.heap.push(job);
      this.schedulePump();
    });
  }

  /** No new requests from now: those scheduled or waiting answer status 0, those in flight finish. */
  stop(): void {
    this.stopped = true;
    const now = this.now;
    for (let job = this.due.shift(); job; job = this.due.shift()) job.resolve(stoppedAnswer(job, now));
    for (let job = this.heap.pop(); job; job = this.heap.pop()) job.resolve(stoppedAnswer(job, now));
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** True when nothing is scheduled, due, in flight, or still to arrive. */
  get idle(): boolean {
    return this.inFlight === 0 && this.due.size === 0 && this.heap.size === 0 && (this.arrivals?.peek() ?? null) === null;
  }

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped) return;
    const now = this.now;
    for (let top = this.heap.peek(); top && top.planned <= now; top = this.heap.peek()) this.due.push(this.heap.pop() as Job);
    while (this.inFlight < this.opts.maxInFlight) {
      const job = this.due.shift();
      if (job) {
        this.send(job);
        continue;
      }
      // Arrivals only when nobody already in the system is waiting: a citizen's next step is
      // due before a newcomer's first. A newcomer started late still counts from its planned arrival.
      const next = this.arrivals?.peek() ?? null;
      if (next === null || next > now) break;
      this.arrivals?.start();
      // A start issues its first request synchronously (into `due`); one that issues none moves on.
      if (this.due.size === 0 && this.arrivals?.peek() === next) break;
    }
    this.armTimer();
  }

  private armTimer(): void {
    const heapAt = this.heap.peek()?.planned ?? Infinity;
    const arrivalAt = this.arrivals?.peek() ?? Infinity;
    const at = this.inFlight < this.opts.maxInFlight ? Math.min(heapAt, arrivalAt) : heapAt;
    if (at === Infinity || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - this.now));
  }

  private send(job: Job): void {
    this.inFlight++;
    this.requestsStarted++;
    const sent = this.now;
    this.opts.transport(job.spec).then(
      (raw) => this.finish(job, sent, raw),
      () => this.finish(job, sent, { status: 0, headers: {}, text: '' }),
    );
  }

  private finish(job: Job, sentMs: number, raw: RawAnswer): void {
    this.inFlight--;
    const endMs = this.now;
    const answer = parseAnswer(raw, job.planned, sentMs, endMs);
    const us = Math.max(1, Math.round((endMs - job.planned) * US_PER_MS));
    const stats = this.statsOf(job.spec.endpoint);
    stats.histogram.recordValue(us);
    const key = raw.status === 0 ? 'error' : String(raw.status);
    stats.statuses[key] = (stats.statuses[key] ?? 0) + 1;
    this.interval.recordValue(us);
    if (raw.status === 0 || raw.status >= 500) this.intervalErrors++;
    this.opts.onAnswer?.(job.spec, answer);
    job.resolve(answer);
    this.schedulePump();
  }

  private statsOf(endpoint: string): EndpointStats {
    let s = this.endpoints.get(endpoint);
    if (!s) {
      s = { histogram: newHistogram(), statuses: {} };
      this.endpoints.set(endpoint, s);
    }
    return s;
  }

  /** The p99 (ms) and failures of the requests finished since the last call, and how many there were. */
  takeInterval(): { p99: number; count: number; errors: number; seconds: number } {
    const now = this.now;
    const h = this.interval;
    const out = { p99: h.totalCount ? ms(h.getValueAtPercentile(99)) : 0, count: h.totalCount, errors: this.intervalErrors, seconds: (now - this.intervalStarted) / 1000 };
    h.reset();
    this.intervalErrors = 0;
    this.intervalStarted = now;
    return out;
  }

  /** Percentiles per endpoint (ms), busiest first. */
  latencies(): EndpointLatency[] {
    return [...this.endpoints.entries()]
      .map(([endpoint, s]) => {
        const h = s.histogram;
        return {
          endpoint,
          count: h.totalCount,
          statuses: s.statuses,
          p50: ms(h.getValueAtPercentile(50)),
          p90: ms(h.getValueAtPercentile(90)),
          p99: ms(h.getValueAtPercentile(99)),
          p999: ms(h.getValueAtPercentile(99.9)),
          max: ms(h.maxValue),
        };
      })
      .sort((a, b) => b.count - a.count);
  }

  /** The p99 over every endpoint so far (ms). */
  overallP99(): number {
    const all = newHistogram();
    for (const s of this.endpoints.values()) all.add(s.histogram);
    return all.totalCount ? ms(all.getValueAtPercentile(99)) : 0;
  }
}

function stoppedAnswer(job: Job, now: number): Answer {
  return { status: 0, json: null, retryAfterMs: null, code: 'STOPPED', plannedMs: job.planned, sentMs: now, endMs: now };
}

function parseAnswer(raw: RawAnswer, plannedMs: number, sentMs: number, endMs: number): Answer {
  let json: unknown = null;
  if (raw.text.length > 0) {
    try {
      json = JSON.parse(raw.text);
    } catch {
      json = null;
    }
  }
  const ra = raw.headers['retry-after'];
  const retryAfterS = typeof ra === 'string' ? Number(ra) : NaN;
  const error = (json as { error?: { code?: unknown } } | null)?.error;
  const code = raw.status === 0 ? 'CONNECTION' : typeof error?.code === 'string' ? error.code : null;
  return { status: raw.status, json, retryAfterMs: Number.isFinite(retryAfterS) ? retryAfterS * 1000 : null, code, plannedMs, sentMs, endMs };
}

/** The rehearsal's transport: one undici Pool of `connections` keep-alive connections to `origin`. */
export function poolTransport(origin: string, connections: number): { transport: Transport; close: () => Promise<void> } {
  const pool = new Pool(origin, { connections, pipelining: 1, headersTimeout: 120_000, bodyTimeout: 120_000, keepAliveTimeout: 60_000 });
  const transport: Transport = async (spec) => {
    const headers: Record<string, string> = { ...spec.headers };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    const res = await pool.request({ method: spec.method, path: spec.path, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  };
  return { transport, close: () => pool.close() };
}
