/**
 * Shared benchmark helpers: a description of the machine, order statistics, closed-loop client
 * runs and plain-text tables. No database code here; each bench owns its setup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { freePort } from '../src/core/net.ts';
import os from 'node:os';
import { machineMonotonicMs } from '../src/core/clock.ts';

/** One line: CPU model × count, memory, OS and Node version. */
export function machineDescription(): string {
  const cpus = os.cpus();
  const model = (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  const memGiB = os.totalmem() / 1024 ** 3;
  return `${model} × ${cpus.length} logical CPUs, ${memGiB.toFixed(1)} GiB RAM, ${os.type()} ${os.release()} (${os.arch()}), Node ${process.version}`;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest-rank percentile, p in [0, 100]. Sorts a copy; NaN for an empty input. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = Float64Array.from(xs).sort();
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1] as number;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

export interface ClosedLoopResult {
  /** Operations that completed (the callback returned normally), whatever their outcome. */
  ops: number;
  /** Wall time from the first start to the last client's end, in ms (includes the tail). */
  elapsedMs: number;
  /** Per-operation latency in ms. */
  latenciesMs: number[];
  /** Thrown errors (each ends its client's loop). */
  errors: unknown[];
}

/**
 * Runs `clients` async loops. Each loop calls `op(client)` until `deadlineMs` (machineMonotonicMs()
 * scale) has passed, `op` returns false (nothing left to do) or `stop()` says so. Counted: every
 * op that returns; an op that throws is recorded and ends its loop.
 */
export async function runClosedLoop(
  clients: number,
  durationMs: number,
  op: (client: number) => Promise<boolean>,
  stop: () => boolean = () => false,
): Promise<ClosedLoopResult> {
  const latenciesMs: number[] = [];
  const errors: unknown[] = [];
  let ops = 0;
  const started = machineMonotonicMs();
  const deadline = started + durationMs;
  const loop = async (client: number) => {
    while (machineMonotonicMs() < deadline && !stop()) {
      const t0 = machineMonotonicMs();
      let more: boolean;
      try {
        more = await op(client);
      } catch (e) {
        errors.push(e);
        return;
      }
      latenciesMs.push(machineMonotonicMs() - t0);
      ops++;
      if (!more) return;
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
  return { ops, elapsedMs: machineMonotonicMs() - started, latenciesMs, errors };
}

export type Align = 'left' | 'right';

/** A plain-text table with a header rule; numeric-looking columns are right-aligned by default. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const alignOf = (i: number): Align =>
    align?.[i] ?? (rows.length > 0 && rows.every((r) => /^[-+0-9.,×%x ]*$|^n\/a$/.test(r[i] ?? '')) ? 'right' : 'left');
  const cell = (s: string, i: number) => (alignOf(i) === 'right' ? s.padStart(widths[i] ?? 0) : s.padEnd(widths[i] ?? 0));
  const line = (r: readonly string[]) => `| ${r.map((s, i) => cell(s, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (alignOf(i) === 'right' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(headers), rule, ...rows.map((r) => line(r))].join('\n');
}

/** 12345.6 → '12,346'; small rates keep one decimal. */
export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
}

export function fmtMs(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function fmtRatio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a';
}

/** '1.23 / 0.98 / 0.50' (1, 5 and 15 minutes): other work on a shared machine shows here. */
export function loadAverage(): string {
  return os.loadavg().map((x) => x.toFixed(2)).join(' / ');
}

/**
 * Starts `node [nodeArgs] bin/run-ts.js <args>` as a child that prints `READY <port>` once
 * listening; the bench then drives it from this process, so server and load generator each get a
 * core. With `logFile`, the child's stdout (its log) goes to that file, as to a log collector,
 * and READY comes over IPC (`process.send({ ready: port })`); otherwise its later stdout is read
 * and dropped.
 */
export function spawnReadyServer(
  args: readonly string[],
  startMs = 180_000,
  opts: { nodeArgs?: readonly string[]; logFile?: string } = {},
): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const logFd = opts.logFile ? openSync(opts.logFile, 'w') : null;
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), 'bin/run-ts.js', ...args], {
      stdio: logFd === null ? ['ignore', 'pipe', 'inherit'] : ['ignore', logFd, 'inherit', 'ipc'],
    });
    if (logFd !== null) closeSync(logFd);
    let out = '';
    let ready = false;
    const timer = setTimeout(() => reject(new Error(`server ${args.join(' ')} did not start in ${startMs / 1000} s`)), startMs);
    const started = (port: number) => {
      ready = true;
      out = '';
      clearTimeout(timer);
      resolve({ child, port });
    };
    child.on('message', (m: { ready?: number }) => {
      if (!ready && typeof m?.ready === 'number') started(m.ready);
    });
    child.stdout?.on('data', (d: Buffer) => {
      if (ready) return;
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) started(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`server ${args.join(' ')} exited with ${code}`)));
  });
}

export { freePort };

/** Sends SIGTERM and waits for the exit (a --cpu-prof child writes its profile on the way out). */
export function stopChild(child: ChildProcess, waitMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, waitMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * One figure of a bench, as `--json FILE` writes it ({ figures: [...] }) for bench/all.ts:
 * the median of the rounds, the baseline's median measured in the same run, their ratio, the aim
 * (e.g. '≥ 0.9×') and where the time goes.
 */
export interface BenchFigure {
  name: string;
  unit: string;
  median: number;
  baselineMedian: number | null;
  ratio: number | null;
  aim: string;
  rounds: number[];
  notes: string;
}

/**
 * A V8 CPU profile (node --cpu-prof) summarised: self time per function and per bucket (package
 * or source directory), as shares of the busy time (idle excluded), largest first.
 */
export function summarizeCpuProfile(
  profile: CpuProfile,
  top = 8,
  /** Only samples from this instant (µs, the monotonic clock of process.hrtime): a whole-life --cpu-prof without its start-up. */
  fromUs = 0,
): { busyMs: number; functions: [string, number][]; buckets: [string, number][] } {
  const selfUs = new Map<number, number>();
  const dt = profile.timeDeltas;
  let at = profile.startTime ?? 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += dt[i] ?? 0;
    if (at < fromUs) continue;
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (dt[i + 1] ?? 0));
  }
  const fn = new Map<string, number>();
  const bucket = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    const { functionName, url } = node.callFrame;
    if (us === 0 || functionName === '(idle)') continue;
    busy += us;
    const file = url.replace(/^file:\/\//, '').split('/').slice(-1)[0] ?? '';
    const name = `${functionName || '(anonymous)'}${file ? ` ${file}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    bucket.set(bucketOf(functionName, url), (bucket.get(bucketOf(functionName, url)) ?? 0) + us);
  }
  const shares = (m: Map<string, number>): [string, number][] =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, busy > 0 ? v / busy : 0]);
  return { busyMs: busy / 1000, functions: shares(fn), buckets: shares(bucket) };
}

function bucketOf(functionName: string, url: string): string {
  if (functionName.startsWith('(')) return functionName; // (garbage collector), (program)
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('wasm://')) return '@electric-sql/pglite'; // the embedded PostgreSQL's WebAssembly
  const src = /\/(src|bench)\/([^/]+)\//.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  if (url.startsWith('node:') || url === '') return functionName === 'writev' || functionName === 'writeBuffer' || functionName === 'writeUtf8String' ? 'node: socket write' : 'node internals';
  return 'other';
}

/** '(garbage collector) 9 %, fastify 21 %, …' */
export function formatShares(shares: readonly [string, number][]): string {
  return shares.map(([k, v]) => `${k} ${Math.round(v * 100)} %`).join(', ');
}

/** The parts of a .cpuprofile file that summarizeCpuProfile reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
  startTime?: number;
}
