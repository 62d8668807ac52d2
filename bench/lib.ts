/**
 * Shared benchmark helpers: a description of the machine, order statistics, closed-loop client
 * runs and plain-text tables. No database code here; each bench owns its setup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
 * Starts `node bin/run-ts.js <args>` as a child that prints `READY <port>` once listening; the
 * bench then drives it from this process, so server and load generator each get a core.
 */
export function spawnReadyServer(args: readonly string[], startMs = 180_000): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server ${args.join(' ')} did not start in ${startMs / 1000} s`)), startMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`server ${args.join(' ')} exited with ${code}`)));
  });
}
