/**
 * npm run bench:queue — the waiting room against a bare Fastify handler, in one run:
 *   bare       GET / on a Fastify app that returns a small JSON body (the baseline)
 *   status     GET /api/v1/queue/status: a waiting ticket (line open, moving, far from the front),
 *              with the ticket and device cookies a browser would send as well; 2,000 tickets in
 *              turn (each found again in the node's verified-ticket cache), and more tickets than
 *              that cache holds (each poll verifies its MAC)
 *   join       POST /api/v1/campaigns/korea-2021-08/queue (a new ticket each), proof of work off
 *   join+pow   the same on a campaign asking for proof of work, each with its own solved
 *              challenge (fetched and solved before the round; 4 bits: the server's check costs
 *              the same at any difficulty)
 * Each server runs in its own child process as `yeyak serve` would (logger at info, every
 * timer running); autocannon drives it from this one. Rounds alternate the cases so a noisy
 * shared machine hurts all alike; medians are reported. Then, at 80 % of the measured maximum (a
 * fixed rate: autocannon corrects for coordinated omission), the p99 of status and join; with
 * --profile DIR, a CPU profile of the server under each load, summarised; and the memory per
 * waiting citizen with --tickets issued (0 skips it).
 * Flags: --duration-s 5 --rounds 3 --connections 64 --tickets 1000000 --redis redis://…
 *        --json FILE (figures for bench/all.ts) --profile DIR
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { deleteKeys } from '../test/helpers/redis.ts';
import { solve } from '../src/waiting-room/pow.ts';
import { TICKET_CACHE_SIZE } from '../src/waiting-room/tokens.ts';
import {
  type BenchFigure,
  type CpuProfile,
  fmtMs,
  fmtRate,
  fmtRatio,
  formatShares,
  formatTable,
  loadAverage,
  machineDescription,
  median,
  spawnReadyServer,
  stopChild,
  summarizeCpuProfile,
} from './lib.ts';

const { values } = parseArgs({
  options: {
    'duration-s': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    tickets: { type: 'string', default: '1000000' },
    redis: { type: 'string', default: process.env.REDIS_URL ?? '' },
    json: { type: 'string' },
    profile: { type: 'string' },
  },
});
const durationS = Number(values['duration-s']);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const CAMPAIGN = 'korea-2021-08';
const POW_BITS = 4;
const STATUS_TICKETS = 2_000;
/** More tickets than a node's verified-ticket cache holds (tokens.ts TICKET_CACHE_SIZE), polled in turn: every poll verifies its MAC. */
const COLD_TICKETS = TICKET_CACHE_SIZE + 4_000;

const logDir = mkdtempSync(joinPath(tmpdir(), 'yeyak-bench-queue-'));
let servers = 0;
// Each server logs to a file of its own (as to a log collector), not to a pipe this busy process reads.
const startServer = (args: string[]) => spawnReadyServer(['bench/queue-server.ts', ...args], 180_000, { logFile: joinPath(logDir, `server-${++servers}.log`) });
type Server = Awaited<ReturnType<typeof startServer>>;

interface Run {
  rps: number;
  p99: number;
  non2xx: number;
}

async function load(opts: autocannon.Options): Promise<Run> {
  const r = await autocannon({ connections, duration: durationS, ...opts });
  return { rps: r.requests.total / r.duration, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts };
}

const base = (port: number) => `http://127.0.0.1:${port}/api/v1`;

interface Held {
  ticket: string;
  cookie: string;
}

/** Joins as a browser does and keeps what it would send on its polls: the ticket and the cookies set. */
async function prepareTickets(port: number, n: number): Promise<Held[]> {
  const out: Held[] = [];
  const worker = async () => {
    while (out.length < n) {
      const res = await fetch(`${base(port)}/campaigns/${CAMPAIGN}/queue`, { method: 'POST' });
      if (res.status !== 201) throw new Error(`join failed: ${res.status} ${await res.text()}`);
      const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      out.push({ ticket: ((await res.json()) as { ticket: string }).ticket, cookie });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return out.slice(0, n);
}

/** The bench measures a waiting ticket's poll: refuse to report anything else. */
async function assertWaiting(port: number, held: Held): Promise<void> {
  const res = await fetch(`${base(port)}/queue/status`, { headers: { authorization: `Bearer ${held.ticket}`, cookie: held.cookie } });
  const body = (await res.json()) as { state?: string; paused?: boolean; ahead?: number };
  if (res.status !== 200 || body.state !== 'waiting' || body.paused !== false) {
    throw new Error(`the polled ticket is not a waiting one on an open line: ${res.status} ${JSON.stringify(body)}`);
  }
}

/** `n` challenges, solved (concurrently fetched: a round needs thousands). */
async function solvedChallenges(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  const worker = async () => {
    while (out.length < n) {
      const res = await fetch(`${base(port)}/campaigns/${CAMPAIGN}/queue/challenge`);
      const c = (await res.json()) as { challenge: string; difficultyBits: number };
      out.push(JSON.stringify({ pow: { challenge: c.challenge, nonce: solve(c.challenge, c.difficultyBits) } }));
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return out;
}

const statusLoad = (port: number, tickets: Held[], extra: Partial<autocannon.Options> = {}) => {
  let next = 0;
  return load({
    url: `${base(port)}/queue/status`,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => {
          const h = tickets[next++ % tickets.length] as Held;
          return { ...req, headers: { ...req.headers, authorization: `Bearer ${h.ticket}`, cookie: h.cookie } };
        },
      },
    ],
    ...extra,
  });
};
const joinLoad = (port: number, extra: Partial<autocannon.Options> = {}) => load({ url: `${base(port)}/campaigns/${CAMPAIGN}/queue`, method: 'POST', ...extra });
const powJoinLoad = (port: number, bodies: string[]) => {
  let next = 0;
  return load({
    url: `${base(port)}/campaigns/${CAMPAIGN}/queue`,
    amount: bodies.length,
    requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'content-type': 'application/json' }, body: bodies[next++] }) }],
  });
};

interface Measured {
  label: string;
  bare: Run[];
  status: Run[];
  cold: Run[];
  join: Run[];
  powJoin: Run[];
  at80: { status: Run; join: Run };
}

/** redis://host:port/N → …/N+1; any other argument as it is. */
function nextRedisDb(arg: string): string {
  if (!arg.startsWith('redis://')) return arg;
  const url = new URL(arg);
  url.pathname = `/${Number(url.pathname.slice(1) || '0') + 1}`;
  return url.toString();
}

async function measure(label: string, yeyakArgs: string[]): Promise<Measured> {
  const servers: Server[] = [];
  try {
    const bare = await startServer(['--mode', 'bare']);
    servers.push(bare);
    const app = await startServer(['--mode', 'yeyak', ...yeyakArgs]);
    servers.push(app);
    // On Redis the two servers would share one line, and the proof-of-work server's setting would
    // ask the plain server's joins for a solution: the next Redis database keeps them apart.
    const pow = await startServer(['--mode', 'yeyak', '--pow-bits', String(POW_BITS), ...yeyakArgs.map(nextRedisDb)]);
    servers.push(pow);
    const tickets = await prepareTickets(app.port, STATUS_TICKETS);
    const coldTickets = await prepareTickets(app.port, COLD_TICKETS);
    await assertWaiting(app.port, tickets[0] as Held);
    const m: Measured = { label, bare: [], status: [], cold: [], join: [], powJoin: [], at80: { status: { rps: 0, p99: 0, non2xx: 0 }, join: { rps: 0, p99: 0, non2xx: 0 } } };
    for (let round = 1; round <= rounds; round++) {
      m.bare.push(await load({ url: `http://127.0.0.1:${bare.port}/` }));
      m.status.push(await statusLoad(app.port, tickets));
      m.cold.push(await statusLoad(app.port, coldTickets));
      m.join.push(await joinLoad(app.port));
      const bodies = await solvedChallenges(pow.port, Math.ceil((m.join.at(-1)?.rps ?? 1000) * durationS));
      m.powJoin.push(await powJoinLoad(pow.port, bodies));
      const last = (rs: Run[]) => fmtRate(rs.at(-1)?.rps ?? 0);
      process.stderr.write(`  ${label} round ${round}/${rounds}: bare ${last(m.bare)}/s, status ${last(m.status)}/s (cache cold ${last(m.cold)}/s), join ${last(m.join)}/s, join+pow ${last(m.powJoin)}/s (load ${loadAverage()})\n`);
    }
    // 80 % of the maximum just measured, at a fixed rate, for twice as long.
    const rate = (rs: Run[]) => Math.max(1, Math.round(0.8 * median(rs.map((r) => r.rps))));
    m.at80.status = await statusLoad(app.port, tickets, { overallRate: rate(m.status), duration: 2 * durationS });
    m.at80.join = await joinLoad(app.port, { overallRate: rate(m.join), duration: 2 * durationS });
    await assertWaiting(app.port, tickets.at(-1) as Held);
    return m;
  } finally {
    await Promise.all(servers.map((s) => stopChild(s.child)));
    // The line's keys (the proof-of-work server's setting among them) would outlive the bench and
    // meet whatever uses these databases next.
    for (const arg of yeyakArgs) if (arg.startsWith('redis://')) await dropLineKeys([arg, nextRedisDb(arg)]);
  }
}

/** Deletes `yeyak:*` in each Redis database named (SCAN, never FLUSHDB: the server may be shared). */
async function dropLineKeys(urls: readonly string[]): Promise<void> {
  for (const url of urls) {
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      await deleteKeys(redis, 'yeyak:');
    } finally {
      redis.disconnect();
    }
  }
}

/** A CPU profile of a fresh yeyak server under one load, summarised (top self time, by package and by function). */
async function profiled(dir: string, name: string, yeyakArgs: string[], run: (port: number, startProfile: () => void) => Promise<unknown>): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = joinPath(dir, `${name}.cpuprofile`);
  rmSync(file, { force: true });
  const server = await startServer(['--mode', 'yeyak', '--profile', file, ...yeyakArgs]);
  try {
    await run(server.port, () => server.child.kill('SIGUSR2'));
  } finally {
    await stopChild(server.child);
  }
  const s = summarizeCpuProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 6);
  return `CPU self time by package: ${formatShares(s.buckets)}; top functions: ${formatShares(s.functions)}`;
}

async function memoryPerTicket(): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', 'bin/run-ts.js', 'bench/queue-memory.ts', '--tickets', values.tickets as string], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')) : reject(new Error(`memory bench exited ${code}`))));
  });
}

console.log(`bench:queue — ${machineDescription()}`);
console.log(
  `settings: ${connections} connections (autocannon), ${durationS} s per measurement, ${rounds} rounds (bare/status/join/join+pow alternating), medians; ` +
    `server: logger at info, controller running, line open at 1 place/s; load average ${loadAverage()}`,
);
const measured = [await measure('in-process', [])];
if (values.redis) measured.push(await measure('redis', ['--redis', values.redis]));

const rps = (rs: Run[]) => median(rs.map((r) => r.rps));
const figures: BenchFigure[] = [];
const rows: string[][] = [];
for (const m of measured) {
  const baseline = rps(m.bare);
  const suffix = m.label === 'in-process' ? '' : ` (${m.label} store)`;
  const cases: [string, Run[], string][] = [
    ['waiting-room status poll (a waiting ticket)', m.status, '≥ 0.9×'],
    [`status poll, tickets never found in the verified-ticket cache (${COLD_TICKETS.toLocaleString('en-US')} polled in turn)`, m.cold, ''],
    ['join, proof of work off', m.join, '≥ 0.5×'],
    [`join, proof of work on (${POW_BITS} bits)`, m.powJoin, '≥ 0.5×'],
  ];
  rows.push([m.label, 'bare', fmtRate(baseline), fmtMs(median(m.bare.map((r) => r.p99))), fmtRatio(1), String(m.bare.reduce((s, r) => s + r.non2xx, 0))]);
  for (const [name, rs, aim] of cases) {
    const v = rps(rs);
    const non2xx = rs.reduce((s, r) => s + r.non2xx, 0);
    rows.push([m.label, name, fmtRate(v), fmtMs(median(rs.map((r) => r.p99))), fmtRatio(v / baseline), String(non2xx)]);
    figures.push({
      name: `${name}${suffix}`,
      unit: 'req/s',
      median: v,
      baselineMedian: baseline,
      ratio: v / baseline,
      aim,
      rounds: rs.map((r) => r.rps),
      notes: [
        rs === m.status ? `${STATUS_TICKETS.toLocaleString('en-US')} waiting tickets polled in turn with their cookies (all within the ${TICKET_CACHE_SIZE.toLocaleString('en-US')}-ticket verified cache: a holder polling again within cache ÷ polls/s seconds)` : '',
        non2xx > 0 ? `${non2xx} non-2xx answers` : '',
      ]
        .filter(Boolean)
        .join('; '),
    });
  }
  for (const [name, r] of [['status poll', m.at80.status], ['join', m.at80.join]] as const) {
    rows.push([m.label, `${name} at 80 % (${fmtRate(r.rps)}/s)`, fmtRate(r.rps), fmtMs(r.p99), '', String(r.non2xx)]);
    figures.push({
      name: `p99 of ${name} at 80 % of the maximum${suffix}`,
      unit: 'ms',
      median: r.p99,
      baselineMedian: null,
      ratio: null,
      aim: '< 50 ms',
      rounds: [r.p99],
      notes: `${fmtRate(r.rps)} req/s fixed rate for ${2 * durationS} s, ${connections} connections${r.non2xx > 0 ? `, ${r.non2xx} non-2xx` : ''}`,
    });
  }
}
console.log(formatTable(['store', 'case', 'req/s', 'p99 ms', 'ratio', 'non-2xx'], rows));

if (values.profile) {
  const dir = values.profile;
  const status = await profiled(dir, 'status', [], async (port, start) => {
    const tickets = await prepareTickets(port, STATUS_TICKETS);
    start();
    await statusLoad(port, tickets);
  });
  const join = await profiled(dir, 'join', [], (port, start) => {
    start();
    return joinLoad(port);
  });
  console.log(`profile, status poll: ${status}\nprofile, join: ${join}`);
  for (const f of figures) {
    if (f.name.startsWith('waiting-room status poll')) f.notes = [f.notes, status].filter(Boolean).join('; ');
    if (f.name.startsWith('join, proof of work off')) f.notes = [f.notes, join].filter(Boolean).join('; ');
  }
}

if (Number(values.tickets) > 0) {
  const mem = await memoryPerTicket();
  console.log(
    `memory: ${Number(mem.tickets).toLocaleString('en-US')} tickets issued (in-process store) → heap +${((mem.heapDeltaBytes ?? 0) / 1024).toFixed(0)} KiB, ` +
      `${(mem.bytesPerTicket ?? 0).toFixed(2)} bytes per waiting citizen (aim ≤ 64); a ticket is ${mem.ticketBytes} bytes held by the client; ` +
      `${Math.round(mem.joinsPerS ?? 0).toLocaleString('en-US')} joins/s in-process without HTTP`,
  );
  figures.push({
    name: 'server memory per waiting citizen',
    unit: 'bytes',
    median: mem.bytesPerTicket ?? Number.NaN,
    baselineMedian: null,
    ratio: null,
    aim: '≤ 64 bytes',
    rounds: [mem.bytesPerTicket ?? Number.NaN],
    notes: `${Number(mem.tickets).toLocaleString('en-US')} tickets issued, in-process store; the ${mem.ticketBytes}-byte ticket is held by the client`,
  });
}
rmSync(logDir, { recursive: true, force: true });
if (values.json) writeFileSync(values.json, `${JSON.stringify({ figures }, null, 2)}\n`);
