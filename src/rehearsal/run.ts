/**
 * `yeyak rehearse`: simulated citizens end to end against a real server, over HTTP only (the
 * tool imports core and rules, never a capability). The plan (plan.ts) is a pure function of the
 * seed; the load generator (loadgen.ts) is an open model; the citizens (citizen.ts, bots.ts)
 * record what they saw into typed arrays (world.ts); at the end the bookings are read back, the
 * server's fairness record fetched, and the invariants decided.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineMonotonicMs, systemClock } from '../core/clock.ts';
import type { RehearsalSummary, TimelinePoint } from './summary.ts';
import { REHEARSAL_DEFAULTS, type RehearsalOptions } from './options.ts';
import { Loadgen, poolTransport, type Transport } from './loadgen.ts';
import { arrivalTimes, citizenOf } from './plan.ts';
import { DEFAULT_MIX } from './mix.ts';
import { NIGHT_2021_08_09, NIGHT_2021_08_09_MIX, REPLAY_SECONDS_DEFAULT, citizensForScale, replayScale } from './replay-2021-08-09.ts';
import { runCitizen } from './citizen.ts';
import { runBot } from './bots.ts';
import { API, countError, newWorld, Stopped, type World } from './world.ts';
import { cpuSecondsOf, localPort, pidsListeningOn } from './cpu.ts';
import { EMBEDDED_DEFAULTS, startEmbeddedServer, type EmbeddedServer } from './embedded.ts';
import { rehearsalProgress } from './terminal.ts';
import { renderReport } from './report.ts';
import { readBookingsBack, summarize, type Measured } from './summarize.ts';

export { headline, rehearsalPassed } from './summarize.ts';
export type { RehearsalOptions } from './options.ts';

/** Options a caller may leave out; internal knobs (tests) included. */
export type RehearsalInput = Partial<RehearsalOptions> & {
  citizens: number;
  /** Multiplies human think times (default 1; tests 0). */
  thinkScale?: number;
  /** Replay: the night compressed into this many seconds of arrivals. */
  replaySeconds?: number;
  /** The embedded server's settings (no target). */
  embedded?: { clinics?: number; secondsBeforeOpening?: number; ratePerS?: number; powBits?: number };
  /** With an operator token: set the line's admission rate, cap and proof of work before starting. */
  admission?: { ratePerS?: number; activeMax?: number; powBits?: number };
  /** A transport instead of the undici pool (tests). */
  transport?: Transport;
  /** Aborted (Ctrl-C): stop as --duration would, and still judge and report what happened. */
  signal?: AbortSignal;
  /** Lines of the server's output and the rehearsal's notes. */
  log?: (line: string) => void;
};

/** The embedded server's line: wide open, so 100,000 citizens finish in minutes; light proof of work. */
const EMBEDDED_ADMISSION = { ratePerS: 2000, activeMax: 20_000, powBits: 8 };
const TIMELINE_MS = 1000;

function resolve(input: RehearsalInput): RehearsalOptions {
  const arrival = input.arrival ?? { kind: 'burst' };
  const scale = arrival.kind === 'replay' ? (input.scale ?? replayScale(input.citizens)) : null;
  const citizens = arrival.kind === 'replay' && input.scale != null ? citizensForScale(input.scale) : input.citizens;
  return {
    target: input.target ?? null,
    citizens,
    arrival,
    seed: input.seed ?? REHEARSAL_DEFAULTS.seed,
    durationSeconds: input.durationSeconds ?? null,
    connections: input.connections ?? REHEARSAL_DEFAULTS.connections,
    maxInFlight: input.maxInFlight ?? REHEARSAL_DEFAULTS.maxInFlight,
    outDir: input.outDir ?? null,
    campaignId: input.campaignId ?? REHEARSAL_DEFAULTS.campaignId,
    scale,
    serverPids: input.serverPids ?? null,
    adminToken: input.adminToken ?? null,
    progress: input.progress ?? false,
    readBackMax: input.readBackMax ?? REHEARSAL_DEFAULTS.readBackMax,
  };
}

async function adminCall(target: string, token: string, method: 'GET' | 'PATCH', path: string, body?: unknown): Promise<Record<string, unknown> | null> {
  const res = await fetch(`${target}${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  }).catch(() => null);
  if (!res?.ok) return null;
  return (await res.json()) as Record<string, unknown>;
}

/** Runs one rehearsal and returns what it found; `summary.invariants` says whether it passed. */
export async function runRehearsal(input: RehearsalInput): Promise<RehearsalSummary> {
  const o = resolve(input);
  const log = input.log ?? (() => {});
  let embedded: EmbeddedServer | null = null;
  let target = o.target;
  let adminToken = o.adminToken;
  let admission = input.admission ?? null;
  if (target === null) {
    log(`Starting a server: korea-2021-08 in memory, ${input.embedded?.clinics ?? EMBEDDED_DEFAULTS.clinics} clinics (seeding takes a while)…`);
    embedded = await startEmbeddedServer({ ...EMBEDDED_DEFAULTS, ...input.embedded });
    log(`Server ${embedded.url} (pid ${embedded.pid}) ready in ${embedded.startSeconds.toFixed(1)} s`);
    target = embedded.url;
    adminToken = embedded.adminToken;
    admission = { ...EMBEDDED_ADMISSION, ...(input.embedded?.ratePerS ? { ratePerS: input.embedded.ratePerS } : {}), ...(input.embedded?.powBits !== undefined ? { powBits: input.embedded.powBits } : {}), ...input.admission };
  }
  const pool = input.transport ? null : poolTransport(target, o.connections);
  const transport = input.transport ?? (pool as { transport: Transport }).transport;
  try {
    const powBits = await configureLine(o, target, adminToken, admission, log);
    return await rehearse({ o, input, target, transport, embedded, powBits });
  } finally {
    await pool?.close();
    await embedded?.stop();
  }
}

/** The line's settings (PATCH with an operator token, else read): the proof of work it asks. */
async function configureLine(o: RehearsalOptions, target: string, adminToken: string | null, admission: RehearsalInput['admission'] | null, log: (line: string) => void): Promise<number> {
  if (!adminToken) return 0;
  const path = `/admin/queue/${o.campaignId}`;
  const line = admission && Object.keys(admission).length ? await adminCall(target, adminToken, 'PATCH', path, admission) : await adminCall(target, adminToken, 'GET', path);
  if (!line) return 0;
  log(`Line ${o.campaignId}: ${line.ratePerS} admissions/s, at most ${line.activeMax} passes in use, proof of work ${line.powBits} bits`);
  return typeof line.powBits === 'number' ? line.powBits : 0;
}

/** Starts every citizen on schedule and resolves when all are done (or stopped by --duration). */
function driveCitizens(o: RehearsalOptions, input: RehearsalInput, world: World): Promise<void> {
  const mix = o.arrival.kind === 'replay' ? NIGHT_2021_08_09_MIX : DEFAULT_MIX;
  const nextArrival = arrivalTimes(o.arrival, o.citizens, o.seed, input.replaySeconds ?? REPLAY_SECONDS_DEFAULT);
  let nextAt = nextArrival();
  let index = 0;
  let active = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((r) => (allDone = r));
  const checkDone = () => {
    if (active === 0 && (nextAt === null || world.stopped)) allDone();
  };
  world.lg.setArrivals({
    peek: () => (world.stopped ? null : nextAt),
    start: () => {
      const at = nextAt as number;
      const c = citizenOf(o.seed, index++, mix);
      nextAt = nextArrival();
      world.counters.simulated++;
      active++;
      const flow = c.kind === 'bot' ? runBot(world, c, at) : runCitizen(world, c, at);
      flow
        .catch((e: unknown) => {
          if (e instanceof Stopped) return;
          world.counters.failed++;
          countError(world, { status: 0, code: `client error: ${e instanceof Error ? e.message : String(e)}` });
        })
        .finally(() => {
          active--;
          world.counters.finished++;
          checkDone();
        });
    },
  });
  const stopNow = () => {
    world.stopped = true;
    world.lg.stop();
    checkDone();
  };
  const stopper = o.durationSeconds !== null ? setTimeout(stopNow, o.durationSeconds * 1000) : null;
  input.signal?.addEventListener('abort', stopNow, { once: true });
  if (input.signal?.aborted) stopNow();
  checkDone();
  return done.finally(() => {
    if (stopper) clearTimeout(stopper);
    input.signal?.removeEventListener('abort', stopNow);
  });
}

/** Every second: a timeline point, and the terminal's live line. */
function sampleTimeline(o: RehearsalOptions, world: World): { timeline: TimelinePoint[]; stop: () => void } {
  const timeline: TimelinePoint[] = [];
  const lg = world.lg;
  let last = { admitted: 0, booked: 0, requests: 0 };
  const progress = rehearsalProgress(o.progress);
  const sample = () => {
    const c = world.counters;
    const interval = lg.takeInterval();
    const seconds = Math.max(interval.seconds, 0.001);
    const point: TimelinePoint = {
      t: Math.round(lg.now / 100) / 10,
      waiting: c.waiting,
      admittedPerSecond: round1((c.admitted - last.admitted) / seconds),
      bookingsPerSecond: round1((c.booked - last.booked) / seconds),
      requestsPerSecond: round1((lg.requestsStarted - last.requests) / seconds),
      p99: interval.p99,
      errors: interval.errors,
    };
    timeline.push(point);
    last = { admitted: c.admitted, booked: c.booked, requests: lg.requestsStarted };
    progress.update({ done: c.finished, total: o.citizens, waiting: c.waiting, admittedPerSecond: point.admittedPerSecond, bookedPerSecond: point.bookingsPerSecond, p99: point.p99, errors: interval.errors, t: point.t });
  };
  const ticker = setInterval(sample, TIMELINE_MS);
  return {
    timeline,
    stop: () => {
      clearInterval(ticker);
      sample();
      progress.stop();
    },
  };
}

async function rehearse(run: { o: RehearsalOptions; input: RehearsalInput; target: string; transport: Transport; embedded: EmbeddedServer | null; powBits: number }): Promise<RehearsalSummary> {
  const { o, input, target, transport, embedded } = run;
  const serverPids = o.serverPids ?? (embedded ? [embedded.pid] : localPids(target));
  const startedAt = systemClock.now().toISOString();
  const t0 = machineMonotonicMs();
  const cpu0 = process.cpuUsage();
  const server0 = cpuSecondsOf(serverPids);
  const now = () => machineMonotonicMs() - t0;
  const lg = new Loadgen({ transport, maxInFlight: o.maxInFlight, now, onAnswer: (_spec, a) => a.status === 0 || a.status >= 400 ? countError(world, a) : undefined });
  const world = newWorld({ lg, campaignId: o.campaignId, seed: o.seed, runId: Math.floor(systemClock.nowMs() / 1000).toString(36), citizens: o.citizens, readBackMax: o.readBackMax, thinkScale: input.thinkScale ?? 1 });
  world.powBits = run.powBits;
  const sampler = sampleTimeline(o, world);
  await driveCitizens(o, input, world);
  sampler.stop();
  const rehearsalCpu = process.cpuUsage(cpu0);
  const server1 = cpuSecondsOf(serverPids);
  const measured: Measured = {
    startedAt,
    wallSeconds: lg.now / 1000,
    rehearsalCpuSeconds: (rehearsalCpu.user + rehearsalCpu.system) / 1e6,
    serverCpuSeconds: server0 !== null && server1 !== null ? server1 - server0 : null,
    timeline: sampler.timeline,
  };
  // After the run: the bookings read back and the fairness record, on a load generator of their own.
  const after = new Loadgen({ transport, maxInFlight: Math.min(o.maxInFlight, 64), now, onAnswer: (_spec, a) => a.status === 0 || a.status >= 400 ? countError(world, a) : undefined });
  const readBack = await readBookingsBack(after, world.readBack);
  const fairnessAnswer = await after.request(after.now, { method: 'GET', path: `${API}/campaigns/${o.campaignId}/fairness`, endpoint: 'GET /api/v1/campaigns/{id}/fairness' });
  const summary = summarize({ o, target, world, after, measured, readBack, fairness: fairnessAnswer.status === 200 ? fairnessAnswer.json : null });
  Object.assign(summary, replayNotes(o, input, world), embedded ? { embeddedServer: { startSeconds: round1(embedded.startSeconds), clinics: input.embedded?.clinics ?? EMBEDDED_DEFAULTS.clinics } } : {});
  if (o.outDir !== null) writeOutputs(o.outDir, summary);
  return summary;
}

function localPids(target: string): number[] {
  const port = localPort(target);
  return port === null ? [] : pidsListeningOn(port);
}

/** Added to the summary: verification starts, and for a replay the night's figures beside ours. */
function replayNotes(o: RehearsalOptions, input: RehearsalInput, world: World): Record<string, unknown> {
  const c = world.counters;
  if (o.arrival.kind !== 'replay') return { verificationStarts: c.verificationStarts };
  return {
    verificationStarts: c.verificationStarts,
    replay: {
      night: NIGHT_2021_08_09,
      scale: o.scale,
      replaySeconds: input.replaySeconds ?? REPLAY_SECONDS_DEFAULT,
      expectedBookings: Math.round(NIGHT_2021_08_09.bookedByWindowEnd * (o.scale ?? 0)),
      verificationStartsPerBooking: c.booked ? round1(c.verificationStarts / c.booked) : null,
    },
  };
}

/** summary.json and report.html (report.ts) in `dir`. */
function writeOutputs(dir: string, summary: RehearsalSummary): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, 'report.html'), renderReport(summary));
}


const round1 = (x: number) => Math.round(x * 10) / 10;
