/**
 * The end of a rehearsal: bookings read back, ETA accuracy, FIFO, the invariants, and the
 * summary (summary.ts) with the figures the CLI prints.
 */
import { cpus, totalmem } from 'node:os';
import { systemClock } from '../core/clock.ts';
import type { EtaAccuracy, InvariantResult, RehearsalSummary, TimelinePoint } from './summary.ts';
import { arrivalText, type RehearsalOptions } from './options.ts';
import type { Answer, Loadgen } from './loadgen.ts';
import { API, type BookingRecord, type World } from './world.ts';
import { fifoInversions, type FifoResult } from './fifo.ts';

/** What the run measured while citizens were in it. */
export interface Measured {
  startedAt: string;
  wallSeconds: number;
  rehearsalCpuSeconds: number;
  serverCpuSeconds: number | null;
  timeline: TimelinePoint[];
}

export interface ReadBack {
  checked: number;
  bad: number;
  firstBad: string | null;
}

/** GET /reservations/{n} for each kept booking (verifying again if the session ended meanwhile). */
export async function readBookingsBack(lg: Loadgen, records: BookingRecord[]): Promise<ReadBack> {
  const out: ReadBack = { checked: 0, bad: 0, firstBad: null };
  await Promise.all(
    records.map(async (r) => {
      let token = r.token;
      const get = (tok: string) => lg.request(lg.now, { method: 'GET', path: `${API}/reservations/${r.bookingNumber}`, endpoint: 'GET /api/v1/reservations/{n}', headers: { authorization: `Bearer ${tok}`, 'yeyak-device': r.device, 'x-forwarded-for': r.address } });
      let a = await get(token);
      if (a.status === 401) {
        const again = await reverify(lg, r);
        if (again) {
          token = again;
          a = await get(token);
        }
      }
      out.checked++;
      const status = (a.json as { status?: string } | null)?.status;
      if (a.status !== 200 || status !== r.status) {
        out.bad++;
        out.firstBad ??= `${r.bookingNumber}: ${a.status} ${a.code ?? status ?? ''} (expected ${r.status})`;
      }
    }),
  );
  return out;
}

async function reverify(lg: Loadgen, r: BookingRecord): Promise<string | null> {
  const h = { 'x-forwarded-for': r.address, 'yeyak-device': r.device };
  const ch: Answer = await lg.request(lg.now, { method: 'POST', path: `${API}/identity/challenges`, endpoint: 'POST /api/v1/identity/challenges', headers: h, body: { method: 'phone', name: r.name, rrn: r.rrn, phone: r.phone } });
  if (ch.status !== 201) return null;
  const v = await lg.request(lg.now, { method: 'POST', path: `${API}/identity/challenges/${(ch.json as { challengeId: string }).challengeId}/verify`, endpoint: 'POST /api/v1/identity/challenges/{id}/verify', headers: h, body: { code: '000000' } });
  return v.status === 200 ? (v.json as { sessionToken: string }).sessionToken : null;
}

function etaAccuracy(world: World): EtaAccuracy {
  const o = world.obs;
  const errors: number[] = [];
  const waits: number[] = [];
  let within = 0;
  for (let i = 0; i < o.size; i++) {
    const shown = o.firstEta[i] as number;
    const adm = o.admittedRecv[i] as number;
    if (shown < 0 || Number.isNaN(adm)) continue;
    const actual = (adm - (o.joinRecv[i] as number)) / 1000;
    waits.push(actual);
    if (shown <= 0) continue;
    const err = (actual - shown) / shown;
    errors.push(err);
    if (Math.abs(err) <= 0.2) within++;
  }
  const e = Float64Array.from(errors).sort();
  const w = Float64Array.from(waits).sort();
  return {
    samples: errors.length,
    errorP50: round3(quantile(e, 0.5)),
    errorP90: round3(quantile(e, 0.9)),
    withinTwentyPercent: errors.length ? round3(within / errors.length) : 0,
    waitP50Seconds: round1(quantile(w, 0.5)),
    waitP99Seconds: round1(quantile(w, 0.99)),
  };
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function median(xs: number[]): number {
  return round1(quantile(Float64Array.from(xs).sort(), 0.5));
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** True when every invariant held (the CLI's exit code follows it). */
export function rehearsalPassed(summary: RehearsalSummary): boolean {
  return summary.invariants.every((i) => i.ok);
}

/** The figures the CLI prints at the end. */
export function headline(s: RehearsalSummary): string[] {
  const worst = [...s.endpoints].filter((e) => e.count > 0).sort((a, b) => b.p99 - a.p99)[0];
  return [
    `${s.citizens.simulated} citizens in ${s.cpu.wallSeconds} s: ${s.citizens.verified} verified, ${s.citizens.joined} joined, ${s.citizens.admitted} admitted, ${s.citizens.booked} booked (${s.citizens.changed} changed, ${s.citizens.cancelled} cancelled), ${s.citizens.gaveUp} gave up, ${s.citizens.ineligible} not eligible or not yet, ${s.citizens.stillWaiting} still waiting`,
    `booked/s median ${s.bookingsPerSecond.median}, peak ${s.bookingsPerSecond.peak} → ${s.bookedPerHour.toLocaleString('en')} booked/hour; admitted/s median ${s.admissionPerSecond}; peak waiting ${s.peakWaiting}`,
    `p99 by endpoint: ${s.endpoints.filter((e) => e.count > 0 && !e.endpoint.endsWith('(after the run)')).map((e) => `${e.endpoint} ${e.p99} ms`).join('; ')}${worst ? ` (worst: ${worst.endpoint})` : ''}`,
    `ETA: ${Math.round(s.eta.withinTwentyPercent * 100)} % within ±20 % (${s.eta.samples} samples), wait p50 ${s.eta.waitP50Seconds} s, p99 ${s.eta.waitP99Seconds} s; FIFO inversions ${s.fifoInversions}`,
    `CPU: rehearsal ${s.cpu.rehearsalSeconds} s, server ${s.cpu.serverSeconds ?? 'unknown'} s over ${s.cpu.wallSeconds} s wall`,
    `bots: ${s.bots.map((b) => `${b.kind} ${b.attempts - b.succeeded}/${b.attempts} refused`).join(', ')}`,
    ...s.invariants.map((i) => `${i.ok ? 'ok  ' : 'FAIL'} ${i.name}: ${i.detail}`),
  ];
}

/** Bookings over the span in which bookings happened (first to last second with one), per hour. */
function bookedPerHour(booked: number, timeline: TimelinePoint[]): number {
  const booking = timeline.filter((p) => p.bookingsPerSecond > 0);
  if (booking.length === 0) return 0;
  const span = Math.max(1, (booking[booking.length - 1] as TimelinePoint).t - (booking[0] as TimelinePoint).t + 1);
  return Math.round((booked / span) * 3600);
}

/** The fast poller got through if the FIFO record shows a bot admitted ahead of its turn. */
function markJumpers(world: World, fifo: FifoResult): void {
  const fastPoll = world.bots.get('fast-poll');
  if (!fastPoll) return;
  for (const i of fifo.jumpers) {
    if (world.obs.bot[i] !== 1) continue;
    fastPoll.succeeded++;
    fastPoll.passed = false;
  }
}

function invariantsOf(world: World, endpoints: RehearsalSummary['endpoints'], readBack: ReadBack, fifo: FifoResult): InvariantResult[] {
  const fiveXX = endpoints.reduce((n, e) => n + Object.entries(e.statuses).filter(([s]) => Number(s) >= 500).reduce((m, [, k]) => m + k, 0), 0);
  const failedRequests = endpoints.reduce((n, e) => n + (e.statuses.error ?? 0), 0);
  const bots = [...world.bots.values()];
  const botsFailed = bots.filter((b) => !b.passed);
  return [
    {
      name: 'every 201 booking reads back',
      ok: readBack.bad === 0,
      detail: `${readBack.checked - readBack.bad} of ${readBack.checked} read back as booked (${world.readBackSeen} bookings made${readBack.checked < world.readBackSeen ? ', a uniform sample checked' : ''})${readBack.firstBad ? `; first wrong: ${readBack.firstBad}` : ''}`,
    },
    {
      name: 'no bot succeeded',
      ok: botsFailed.length === 0,
      detail: botsFailed.length === 0 ? `${bots.reduce((n, b) => n + b.attempts, 0)} bypass attempts by ${bots.length} kinds, all refused` : `got through: ${botsFailed.map((b) => `${b.kind} (${b.succeeded})`).join(', ')}`,
    },
    {
      name: 'no FIFO inversion beyond the shuffle',
      ok: fifo.inversions === 0,
      detail: `${fifo.compared} citizens joined after the opening: ${fifo.admissionInversions} passed over in admission, ${fifo.joinInversions} placed ahead of an earlier join`,
    },
    { name: 'no 5xx', ok: fiveXX === 0, detail: `${fiveXX} answers with a 5xx status` },
    { name: 'every request answered', ok: failedRequests === 0, detail: `${failedRequests} requests failed (connection or timeout)` },
    { name: 'a retry storm books once', ok: world.storms.splitBookings === 0, detail: `${world.storms.storms} storms of 4 identical bookings; ${world.storms.splitBookings} gave two booking numbers` },
  ];
}

export function summarize(args: { o: RehearsalOptions; target: string; world: World; after: Loadgen; measured: Measured; readBack: ReadBack; fairness: unknown }): RehearsalSummary {
  const { o, world, measured } = args;
  const fifo = fifoInversions(world.obs);
  markJumpers(world, fifo);
  const endpoints = [...world.lg.latencies(), ...args.after.latencies().map((e) => ({ ...e, endpoint: `${e.endpoint} (after the run)` }))];
  const c = world.counters;
  const nonZero = (xs: number[]) => xs.filter((x) => x > 0);
  const bookingRates = nonZero(measured.timeline.map((p) => p.bookingsPerSecond));
  return {
    version: 1,
    startedAt: measured.startedAt,
    finishedAt: systemClock.now().toISOString(),
    target: args.target,
    settings: { citizens: o.citizens, arrival: arrivalText(o.arrival), seed: o.seed, durationSeconds: o.durationSeconds, connections: o.connections, maxInFlight: o.maxInFlight, scale: o.scale },
    machine: `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`,
    cpu: {
      rehearsalSeconds: round1(measured.rehearsalCpuSeconds),
      serverSeconds: measured.serverCpuSeconds === null ? null : round1(measured.serverCpuSeconds),
      wallSeconds: round1(measured.wallSeconds),
    },
    citizens: {
      simulated: c.simulated,
      verified: c.verified,
      joined: c.joined,
      admitted: c.admitted,
      booked: c.booked,
      changed: c.changed,
      cancelled: c.cancelled,
      gaveUp: c.gaveUp,
      ineligible: c.ineligible,
      stillWaiting: Math.max(0, c.waiting),
    },
    peakWaiting: c.peakWaiting,
    admissionPerSecond: median(nonZero(measured.timeline.map((p) => p.admittedPerSecond))),
    bookingsPerSecond: { median: median(bookingRates), peak: bookingRates.length ? Math.max(...bookingRates) : 0 },
    bookedPerHour: bookedPerHour(c.booked, measured.timeline),
    endpoints,
    errorsByCode: world.errorsByCode,
    eta: etaAccuracy(world),
    fifoInversions: fifo.inversions,
    bots: [...world.bots.values()].sort((a, b) => a.kind.localeCompare(b.kind)),
    timeline: measured.timeline,
    invariants: invariantsOf(world, endpoints, args.readBack, fifo),
    fairness: args.fairness,
  };
}
