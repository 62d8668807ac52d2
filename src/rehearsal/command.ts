/**
 * The `yeyak rehearse` subcommand (registered by src/cli/main.ts): flags → runRehearsal, the
 * headline figures on stdout, summary.json + report.html in --out, exit 1 when an invariant broke.
 */
import { Command, InvalidArgumentError } from 'commander';
import { systemClock } from '../core/clock.ts';
import { parseArrival, REHEARSAL_DEFAULTS } from './options.ts';
import { headline, rehearsalPassed, runRehearsal } from './run.ts';

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function arrival(value: string) {
  try {
    return parseArrival(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function pids(value: string): number[] {
  const list = value.split(',').map((p) => Number(p.trim()));
  if (list.some((p) => !Number.isInteger(p) || p < 1)) throw new InvalidArgumentError('a comma list of process ids');
  return list;
}

/** ./rehearsal-2026-12-02T17-06-14/ (git-ignored) */
function defaultOutDir(): string {
  return `rehearsal-${systemClock.now().toISOString().slice(0, 19).replaceAll(':', '-')}`;
}

export function registerRehearse(program: Command): void {
  program
    .command('rehearse')
    .description('simulated citizens end to end against a server (without --target: its own korea-2021-08 server at 9 Aug 2021 19:59:55)')
    .option('--target <url>', 'the server, e.g. http://localhost:8080 (default: start one in a child process)')
    .option('--citizens <n>', 'simulated citizens', count, REHEARSAL_DEFAULTS.citizens)
    .option('--arrival <profile>', 'burst | poisson:RATE (per second) | replay:2021-08-09', arrival, { kind: 'burst' as const })
    .option('--seed <n>', 'the plan is a function of the seed', count, REHEARSAL_DEFAULTS.seed)
    .option('--duration <seconds>', 'stop after this long (those still in line count as still waiting)', positive)
    .option('--connections <n>', 'HTTP connections to the target', count, REHEARSAL_DEFAULTS.connections)
    .option('--max-in-flight <n>', 'requests in flight at once; due requests beyond wait (and their latency grows)', count, REHEARSAL_DEFAULTS.maxInFlight)
    .option('--out <dir>', 'where summary.json and report.html go (default ./rehearsal-<timestamp>/)')
    .option('--campaign <id>', 'the campaign', REHEARSAL_DEFAULTS.campaignId)
    .option('--scale <factor>', 'replay: the factor on the night’s 1.41M eligible (sets --citizens; default: --citizens ÷ 1.41M)', positive)
    .option('--replay-seconds <s>', 'replay: the 22-h window compressed into this many seconds of arrivals', positive)
    .option('--server-pid <pids>', "the server's process ids, for its CPU (default: found from a local target's port)", pids)
    .option('--clinics <n>', 'the embedded server: clinics seeded', count)
    .option('--admission-rate <n>', 'with an operator token (YEYAK_ADMIN_TOKEN) or the embedded server: admissions per second', count)
    .option('--think-scale <f>', 'multiplies the citizens’ pauses between steps (0.3–1.5 s each; 0: none)', (v) => { const n = Number(v); if (!(n >= 0)) throw new InvalidArgumentError('must be ≥ 0'); return n; }, 1)
    .option('--no-progress', 'no progress bar')
    .action(async (opts: Record<string, unknown>) => {
      const outDir = (opts.out as string | undefined) ?? defaultOutDir();
      const rate = opts.admissionRate as number | undefined;
      // Ctrl-C: stop the citizens, judge and report what happened, stop the embedded server; twice: now.
      const abort = new AbortController();
      const onSignal = () => {
        if (abort.signal.aborted) process.exit(130);
        console.error('Stopping: the citizens in flight finish, then the summary (Ctrl-C again to quit at once)…');
        abort.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const summary = await runRehearsal({
        target: (opts.target as string | undefined) ?? null,
        citizens: opts.citizens as number,
        arrival: opts.arrival as ReturnType<typeof parseArrival>,
        seed: opts.seed as number,
        durationSeconds: (opts.duration as number | undefined) ?? null,
        connections: opts.connections as number,
        maxInFlight: opts.maxInFlight as number,
        outDir,
        campaignId: opts.campaign as string,
        scale: (opts.scale as number | undefined) ?? null,
        serverPids: (opts.serverPid as number[] | undefined) ?? null,
        adminToken: process.env.YEYAK_ADMIN_TOKEN ?? null,
        progress: opts.progress as boolean,
        thinkScale: opts.thinkScale as number,
        ...(opts.replaySeconds !== undefined ? { replaySeconds: opts.replaySeconds as number } : {}),
        ...(opts.clinics !== undefined || rate !== undefined ? { embedded: { ...(opts.clinics !== undefined ? { clinics: opts.clinics as number } : {}), ...(rate !== undefined ? { ratePerS: rate } : {}) } } : {}),
        ...(rate !== undefined && opts.target !== undefined ? { admission: { ratePerS: rate } } : {}),
        log: (line) => console.error(line),
        signal: abort.signal,
      });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      for (const line of headline(summary)) console.log(line);
      console.log(`summary: ${outDir}/summary.json, report: ${outDir}/report.html`);
      if (!rehearsalPassed(summary)) process.exitCode = 1;
    });
}
