/**
 * `npm run bench` — every bench in one run, then bench/RESULTS.md: the machine, the versions, the
 * settings and, for each figure, the median of its rounds, its ratio to the baseline measured in
 * the same run, the aim and whether it is met, with where the time goes (CPU profiles).
 *
 *   bench:queue      status poll, join (proof of work off and on) against a bare Fastify handler;
 *                    p99 at 80 % of the maximum; memory per waiting citizen
 *   bench:identity   a new person's verification (start + verify) against a bare handler
 *   bench:booking    the hot clinic-day against a bare single-row UPDATE loop (PostgreSQL when
 *                    DATABASE_URL is set, else PGlite)
 *   rehearsal        `yeyak rehearse` against a server started here (profiled): booked per hour
 *
 * Each bench is its own child process writing `--json FILE` ({ figures: BenchFigure[] }); one
 * that fails or runs past its time leaves its rows "not measured" with the command to run.
 * Bounded: about 8–10 minutes on a 2-core machine. Not part of `npm test`.
 *
 *   npm run bench -- [--out bench/RESULTS.md] [--rounds 3] [--duration-s 5]
 *                    [--only queue,identity,booking,rehearsal] [--citizens 20000]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { machineMonotonicMs, systemClock } from '../src/core/clock.ts';
import { type BenchFigure, type CpuProfile, fmtMs, fmtRate, fmtRatio, formatShares, freePort, loadAverage, machineDescription, stopChild, summarizeCpuProfile } from './lib.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench/RESULTS.md' },
    rounds: { type: 'string', default: '3' },
    'duration-s': { type: 'string', default: '5' },
    only: { type: 'string', default: 'queue,identity,booking,rehearsal' },
    citizens: { type: 'string', default: '20000' },
  },
});
const rounds = values.rounds as string;
const durationS = values['duration-s'] as string;
const only = new Set((values.only as string).split(','));
const work = mkdtempSync(joinPath(tmpdir(), 'yeyak-bench-all-'));
const databaseUrl = process.env.DATABASE_URL || null;
const redisUrl = process.env.REDIS_URL || null;

interface Section {
  name: string;
  command: string;
  figures: BenchFigure[];
  /** Why there are no figures (failed, timed out, not available yet). */
  missing: string | null;
  seconds: number;
}

/** Runs a child to completion (or kills it at `limitMs`); its output goes to this terminal. */
function run(args: string[], limitMs: number, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? null : signal ? `stopped after ${Math.round(limitMs / 1000)} s (${signal})` : `exited with ${code}`);
    });
  });
}

async function bench(name: string, script: string, args: string[], limitMs: number): Promise<Section> {
  const json = joinPath(work, `${name}.json`);
  const command = `node bin/run-ts.js ${script} ${args.join(' ')}`.trim().replaceAll(work, 'DIR');
  process.stderr.write(`\n== ${name}: ${command} (load average ${loadAverage()})\n`);
  const t0 = machineMonotonicMs();
  const failed = await run(['bin/run-ts.js', script, ...args, '--json', json], limitMs);
  const seconds = (machineMonotonicMs() - t0) / 1000;
  let figures: BenchFigure[] = [];
  let missing = failed;
  if (existsSync(json)) figures = (JSON.parse(readFileSync(json, 'utf8')) as { figures: BenchFigure[] }).figures;
  else missing ??= 'wrote no --json figures';
  return { name, command: `${command} --json FILE`, figures, missing: figures.length > 0 ? failed : missing, seconds };
}

/** Fields of the rehearsal's summary.json (src/rehearsal/summary.ts) read here. */
interface RehearsalSummaryPart {
  bookedPerHour?: number;
  citizens?: { simulated?: number; booked?: number };
  bookingsPerSecond?: { median?: number; peak?: number };
  endpoints?: { endpoint: string; count: number; p99: number }[];
  invariants?: { name: string; ok: boolean }[];
  cpu?: { rehearsalSeconds?: number; serverSeconds?: number | null; wallSeconds?: number };
}

/** `yeyak serve` on embedded PGlite (korea-2021-08, clock 5 s before the opening), under --cpu-prof, logging to a file. */
async function rehearsalServer(profDir: string, adminToken: string): Promise<{ url: string; child: ChildProcess } | null> {
  const port = await freePort();
  const log = openSync(joinPath(work, 'rehearsal-server.log'), 'w');
  const env = {
    ...process.env,
    DATABASE_URL: '',
    REDIS_URL: '',
    HOST: '127.0.0.1',
    YEYAK_DATA_DIR: 'memory:',
    YEYAK_NOW: '2021-08-09T10:59:55+00:00', // 5 s before the 20:00 KST opening
    YEYAK_IDENTITY: 'sandbox',
    // As the rehearsal's own embedded server (src/rehearsal/embedded.ts): its citizens are told
    // apart by X-Forwarded-For from loopback, not throttled as one address.
    YEYAK_TRUST_PROXY: 'loopback',
    YEYAK_ADMIN_TOKEN: adminToken,
    YEYAK_LOG_LEVEL: 'info',
    NODE_ENV: 'development',
  };
  const args = ['--cpu-prof', '--cpu-prof-dir', profDir, 'bin/yeyak.js', 'serve', '--scenario', 'korea-2021-08', '--clinics', '2000', '--port', String(port)];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', log, log] });
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = machineMonotonicMs() + 300_000;
  while (!(await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || machineMonotonicMs() > deadline) {
      child.kill('SIGKILL');
      return null;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { url, child };
}

/** The rehearsal's summary as figures: booked per hour (with the server's profile), and p99 per endpoint. */
function rehearsalFigures(s: RehearsalSummaryPart, where: ReturnType<typeof summarizeCpuProfile> | null): BenchFigure[] {
  const broken = (s.invariants ?? []).filter((i) => !i.ok).map((i) => i.name);
  const cpu = s.cpu ? `CPU: rehearsal ${s.cpu.rehearsalSeconds?.toFixed(0)} s, server ${s.cpu.serverSeconds?.toFixed(0) ?? '?'} s in ${s.cpu.wallSeconds?.toFixed(0)} s` : '';
  const notes = [
    `${Number(s.citizens?.simulated ?? values.citizens).toLocaleString('en-US')} citizens (burst), ${s.citizens?.booked ?? '?'} booked; bookings/s median ${fmtRate(s.bookingsPerSecond?.median ?? Number.NaN)}, peak ${fmtRate(s.bookingsPerSecond?.peak ?? Number.NaN)}`,
    cpu,
    broken.length > 0 ? `INVARIANTS BROKEN: ${broken.join(', ')}` : 'invariants held',
    where ? `server CPU self time by package: ${formatShares(where.buckets)}; top functions: ${formatShares(where.functions)}` : '',
  ];
  return [
    {
      name: 'end-to-end rehearsal, verified citizens booked per hour',
      unit: 'per hour',
      median: s.bookedPerHour ?? Number.NaN,
      baselineMedian: null,
      ratio: null,
      aim: '≥ 10,000,000 per hour',
      rounds: [s.bookedPerHour ?? Number.NaN],
      notes: notes.filter(Boolean).join('; '),
    },
    ...(s.endpoints ?? []).map((e) => ({
      name: `rehearsal p99, ${e.endpoint}`,
      unit: 'ms',
      median: e.p99,
      baselineMedian: null,
      ratio: null,
      aim: '',
      rounds: [e.p99],
      notes: `${e.count.toLocaleString('en-US')} requests, from each one's planned start (open model), under the rehearsal's own load`,
    })),
  ];
}

/**
 * `yeyak rehearse` against a server started here, profiled from the rehearsal's start: booked
 * per hour, and the p99 per endpoint as the rehearsal measured them.
 */
async function rehearsal(): Promise<Section> {
  const citizens = values.citizens as string;
  const command = `node bin/yeyak.js rehearse --citizens ${citizens} --arrival burst --duration 150 --out DIR`;
  const t0 = machineMonotonicMs();
  const section = (figures: BenchFigure[], missing: string | null): Section => ({ name: 'rehearsal', command, figures, missing, seconds: (machineMonotonicMs() - t0) / 1000 });
  if (spawnSync(process.execPath, ['bin/yeyak.js', 'rehearse', '--help'], { stdio: 'ignore' }).status !== 0) {
    return section([], '`yeyak rehearse` is not available in this build');
  }
  process.stderr.write(`\n== rehearsal: ${command} (load average ${loadAverage()})\n`);
  const adminToken = randomBytes(24).toString('base64url');
  const profDir = joinPath(work, 'rehearsal-profile');
  mkdirSync(profDir, { recursive: true });
  const server = await rehearsalServer(profDir, adminToken);
  if (!server) return section([], 'the server for the rehearsal did not start');
  const out = joinPath(work, 'rehearsal');
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const args = ['bin/yeyak.js', 'rehearse', '--target', server.url, '--citizens', citizens, '--arrival', 'burst', '--duration', '150', '--out', out, '--no-progress', '--server-pid', String(server.child.pid)];
  const failed = await run(args, 300_000, { ...process.env, YEYAK_ADMIN_TOKEN: adminToken });
  await stopChild(server.child, 30_000);
  const file = joinPath(out, 'summary.json');
  if (!existsSync(file)) return section([], failed ?? 'wrote no summary.json');
  const prof = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  const where = prof ? summarizeCpuProfile(JSON.parse(readFileSync(joinPath(profDir, prof), 'utf8')) as CpuProfile, 6, fromUs) : null;
  return section(rehearsalFigures(JSON.parse(readFileSync(file, 'utf8')) as RehearsalSummaryPart, where), failed);
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(joinPath('node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

async function serverVersions(): Promise<{ postgres: string; redis: string }> {
  let postgres = 'not used (no DATABASE_URL)';
  if (databaseUrl) {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: databaseUrl });
    postgres = await client
      .connect()
      .then(() => client.query<{ server_version: string }>('SHOW server_version'))
      .then((r) => `${r.rows[0]?.server_version ?? '?'} (DATABASE_URL)`, (e: Error) => `unreachable: ${e.message}`)
      .finally(() => client.end().catch(() => undefined));
  }
  let redis = 'not used (no REDIS_URL)';
  if (redisUrl) {
    const { Redis } = await import('ioredis');
    const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis = await client
      .connect()
      .then(() => client.info('server'))
      .then((info) => `${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'} (REDIS_URL)`, (e: Error) => `unreachable: ${e.message}`)
      .finally(() => client.disconnect());
  }
  return { postgres, redis };
}

/** '≥ 0.9×' compares the ratio; '< 50 ms', '≤ 64 bytes', '≥ 10,000,000 per hour' the median. */
function aimMet(f: Pick<BenchFigure, 'aim' | 'median' | 'ratio'>): boolean | null {
  const m = /^(≥|≤|<|>)\s*([\d,.]+)\s*(×)?/.exec(f.aim);
  if (!m) return null;
  const target = Number((m[2] as string).replaceAll(',', ''));
  const value = m[3] ? f.ratio : f.median;
  if (value === null || !Number.isFinite(value)) return null;
  switch (m[1]) {
    case '≥':
      return value >= target;
    case '≤':
      return value <= target;
    case '<':
      return value < target;
    default:
      return value > target;
  }
}

function fmtValue(x: number, unit: string): string {
  if (!Number.isFinite(x)) return 'n/a';
  return unit === 'ms' ? `${fmtMs(x)} ms` : `${fmtRate(x)} ${unit}`;
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function figureRow(f: BenchFigure): string {
  const met = aimMet(f);
  return `| ${cell(f.name)} | ${fmtValue(f.median, f.unit)} | ${f.baselineMedian === null ? '—' : fmtValue(f.baselineMedian, f.unit)} | ${f.ratio === null ? '—' : fmtRatio(f.ratio)} | ${f.aim || '—'} | ${met === null ? '—' : met ? 'yes' : '**no**'} | ${f.rounds.map((r) => (f.unit === 'ms' ? fmtMs(r) : fmtRate(r))).join(', ')} | ${cell(f.notes)} |`;
}

/** The issue's table first, in its order; a missing figure says how to measure it. */
const HEADLINE: { match: RegExp; name: string; aim: string; section: string }[] = [
  { match: /^waiting-room status poll \(a waiting ticket\)$/, name: 'waiting-room status poll (a waiting ticket)', aim: '≥ 0.9×', section: 'queue' },
  { match: /^join, proof of work off$/, name: 'join, proof of work off', aim: '≥ 0.5×', section: 'queue' },
  { match: /^join, proof of work on/, name: 'join, proof of work on', aim: '≥ 0.5×', section: 'queue' },
  { match: /verification|verify/i, name: 'verification start + verify', aim: '≥ 0.3×', section: 'identity' },
  { match: /^hot clinic-day booking on PostgreSQL$/, name: 'hot clinic-day booking on PostgreSQL', aim: '≥ 3×', section: 'booking' },
  { match: /^end-to-end rehearsal/, name: 'end-to-end rehearsal, verified citizens booked per hour', aim: '≥ 10,000,000 per hour', section: 'rehearsal' },
  { match: /^p99 of any citizen request at 80 %/, name: 'p99 of any citizen request at 80 % of the maximum load', aim: '< 50 ms', section: 'queue' },
];

function worstP99(figures: BenchFigure[]): BenchFigure | null {
  const at80 = figures.filter((f) => /^p99 of .* at 80 % of the maximum/.test(f.name));
  if (at80.length === 0) return null;
  const worst = at80.reduce((a, b) => (b.median > a.median ? b : a));
  return {
    name: 'p99 of any citizen request at 80 % of the maximum load',
    unit: 'ms',
    median: worst.median,
    baselineMedian: null,
    ratio: null,
    aim: '< 50 ms',
    rounds: at80.map((f) => f.median),
    notes: `the worst of: ${at80.map((f) => `${f.name.replace(/^p99 of /, '').replace(/ at 80 % of the maximum/, '')} ${fmtMs(f.median)} ms`).join(', ')}`,
  };
}

function report(sections: Section[], versions: { postgres: string; redis: string }, started: Date, totalS: number, loadStart: string): string {
  const all = sections.flatMap((s) => s.figures);
  const worst = worstP99(all);
  const figures = worst ? [...all, worst] : all;
  const used = new Set<BenchFigure>();
  const rows: string[] = [];
  for (const h of HEADLINE) {
    const f = figures.find((x) => !used.has(x) && h.match.test(x.name) && (h.section !== 'identity' || sections.find((s) => s.name === 'identity')?.figures.includes(x)));
    if (f) {
      used.add(f);
      rows.push(figureRow(f));
    } else {
      const s = sections.find((x) => x.name === h.section);
      const why = s ? (s.missing ?? 'no such figure in its output') : 'not run (--only)';
      rows.push(`| ${h.name} | not measured | — | — | ${h.aim} | — | — | ${cell(why)}; to measure: \`${s?.command ?? h.section}\` |`);
    }
  }
  const rest = figures.filter((f) => !used.has(f));
  const header = '| figure | median | baseline (same run) | ratio | aim | met | rounds | notes |\n| --- | --: | --: | --: | --- | --- | --- | --- |';
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (bench/all.ts) on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC in ${Math.round(totalS)} s. Every figure is the median of its rounds; a ratio is to the baseline measured in the same run (a bare Fastify handler with the same load generator and connections for HTTP figures, a bare single-row UPDATE loop at the same concurrency for booking). Figures from a shared, noisy machine move by tens of percent between runs: compare ratios, and re-run on a quiet machine before quoting absolute rates.`,
    '',
    '## Machine',
    '',
    `- ${machineDescription()}`,
    `- load average (1 / 5 / 15 min) at the start ${loadStart}, at the end ${loadAverage()}`,
    '',
    '## Versions',
    '',
    `- Node ${process.version}, fastify ${packageVersion('fastify')}, pg ${packageVersion('pg')}, ioredis ${packageVersion('ioredis')}, autocannon ${packageVersion('autocannon')}, PGlite ${packageVersion('@electric-sql/pglite')}`,
    `- PostgreSQL server: ${versions.postgres}`,
    `- Redis server: ${versions.redis}`,
    '',
    '## Settings',
    '',
    `- ${rounds} rounds of ${durationS} s per measurement, cases alternating within each round (a noisy machine hurts all alike); the servers in child processes, the load generator in another, logging at info as \`yeyak serve\` does`,
    '- HTTP: autocannon, 64 connections, on 127.0.0.1; p99 at 80 %: a fixed rate of 80 % of the median maximum just measured, for twice as long (autocannon corrects for coordinated omission at a fixed rate)',
    '- booking: 64 clients on one clinic-day through the production batcher, against the bare UPDATE loop',
    `- rehearsal: \`yeyak rehearse\` with ${values.citizens} citizens (burst) against a \`yeyak serve\` on embedded PGlite started by the runner and profiled from the rehearsal's start`,
    `- CPU profiles (notes): V8 sampling profiles of the server process under each load, self time as a share of busy time (idle excluded)`,
    '',
    '## The table',
    '',
    header,
    ...rows,
    '',
    '## Other figures',
    '',
    header,
    ...rest.map(figureRow),
    '',
    '## Runs',
    '',
    ...sections.map((s) => `- ${s.name}: \`${s.command}\` — ${s.missing ? `**${s.missing}**` : 'ok'}, ${Math.round(s.seconds)} s`),
    '',
  ];
  return lines.join('\n');
}

const started = systemClock.now();
const t0 = machineMonotonicMs();
const loadStart = loadAverage();
const common = ['--rounds', rounds, '--duration-s', durationS];
const sections: Section[] = [];
try {
  if (only.has('queue')) sections.push(await bench('queue', 'bench/queue.ts', [...common, '--profile', joinPath(work, 'queue-profiles')], 420_000));
  if (only.has('identity')) sections.push(await bench('identity', 'bench/identity.ts', [...common, '--http-only', '--connections', '64'], 300_000));
  if (only.has('booking')) sections.push(await bench('booking', 'bench/booking.ts', [...common, '--engine', databaseUrl ? 'postgres' : 'pglite', '--hot-only'], 300_000));
  if (only.has('rehearsal')) sections.push(await rehearsal());
  const md = report(sections, await serverVersions(), started, (machineMonotonicMs() - t0) / 1000, loadStart);
  writeFileSync(values.out as string, md);
  console.log(`\n${md}\nwritten to ${values.out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
