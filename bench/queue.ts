/**
 * npm run bench:queue — the waiting room against a bare Fastify handler, in one run:
 *   bare     GET / on a Fastify app that returns a small JSON body (the baseline)
 *   status   GET /api/v1/queue/status with valid tickets (admission paused: everyone waiting)
 *   join     POST /api/v1/campaigns/korea-2021-08/queue (a new ticket each)
 * Each server runs in its own child process; autocannon drives it from this one. Rounds
 * alternate bare/status/join so a noisy shared machine hurts all alike; medians are reported.
 * Then the memory per waiting citizen with 1,000,000 tickets issued.
 * Flags: --duration-s 5 --rounds 3 --connections 50 --tickets 1000000 --redis redis://…
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { machineDescription, median, spawnReadyServer } from './lib.ts';

const { values } = parseArgs({
  options: {
    'duration-s': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    tickets: { type: 'string', default: '1000000' },
    redis: { type: 'string', default: process.env.REDIS_URL ?? '' },
  },
});
const durationS = Number(values['duration-s']);
const rounds = Number(values.rounds);
const connections = Number(values.connections);

const startServer = (args: string[]) => spawnReadyServer(['bench/queue-server.ts', ...args]);

interface Run {
  rps: number;
  p99: number;
  non2xx: number;
}

async function load(opts: autocannon.Options): Promise<Run> {
  const r = await autocannon({ connections, duration: durationS, ...opts });
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx + r.errors };
}

async function prepareTickets(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/campaigns/korea-2021-08/queue`, { method: 'POST' });
    if (res.status !== 201) throw new Error(`join failed: ${res.status} ${await res.text()}`);
    out.push(((await res.json()) as { ticket: string }).ticket);
  }
  return out;
}

async function measure(label: string, yeyakArgs: string[]) {
  const bare = await startServer(['--mode', 'bare']);
  const app = await startServer(['--mode', 'yeyak', ...yeyakArgs]);
  try {
    const tickets = await prepareTickets(app.port, 2_000);
    let next = 0;
    const runs = { bare: [] as Run[], status: [] as Run[], join: [] as Run[] };
    for (let round = 1; round <= rounds; round++) {
      runs.bare.push(await load({ url: `http://127.0.0.1:${bare.port}/` }));
      runs.status.push(
        await load({
          url: `http://127.0.0.1:${app.port}/api/v1/queue/status`,
          requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${tickets[next++ % tickets.length]}` } }) }],
        }),
      );
      runs.join.push(await load({ url: `http://127.0.0.1:${app.port}/api/v1/campaigns/korea-2021-08/queue`, method: 'POST' }));
      process.stderr.write(`  ${label} round ${round}/${rounds}: bare ${Math.round(runs.bare.at(-1)?.rps ?? 0)}/s, status ${Math.round(runs.status.at(-1)?.rps ?? 0)}/s, join ${Math.round(runs.join.at(-1)?.rps ?? 0)}/s\n`);
    }
    const row = (name: string, rs: Run[]) => {
      const rps = median(rs.map((r) => r.rps));
      const base = median(runs.bare.map((r) => r.rps));
      return `| ${label.padEnd(10)} | ${name.padEnd(7)} | ${Math.round(rps).toLocaleString('en-US').padStart(8)} | ${median(rs.map((r) => r.p99)).toFixed(1).padStart(6)} | ${(rps / base).toFixed(2).padStart(5)}× | ${rs.reduce((s, r) => s + r.non2xx, 0)} |`;
    };
    return [row('bare', runs.bare), row('status', runs.status), row('join', runs.join)];
  } finally {
    bare.child.kill('SIGTERM');
    app.child.kill('SIGTERM');
  }
}

async function memoryPerTicket(): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', 'bin/run-ts.js', 'bench/queue-memory.ts', '--tickets', values.tickets], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')) : reject(new Error(`memory bench exited ${code}`))));
  });
}

console.log(`bench:queue — ${machineDescription()}`);
console.log(`settings: ${connections} connections, ${durationS} s per measurement, ${rounds} rounds (bare/status/join alternating), medians`);
const rows = [
  '| store      | case    |   req/s  | p99 ms | ratio | non-2xx |',
  '|------------|---------|----------|--------|-------|---------|',
  ...(await measure('in-process', [])),
];
if (values.redis) rows.push(...(await measure('redis', ['--redis', values.redis])));
console.log(rows.join('\n'));
const mem = await memoryPerTicket();
console.log(
  `memory: ${Number(mem.tickets).toLocaleString('en-US')} tickets issued (in-process store) → heap +${((mem.heapDeltaBytes ?? 0) / 1024).toFixed(0)} KiB, ` +
    `${(mem.bytesPerTicket ?? 0).toFixed(2)} bytes per waiting citizen (aim ≤ 64); a ticket is ${mem.ticketBytes} bytes held by the client; ` +
    `${Math.round(mem.joinsPerS ?? 0).toLocaleString('en-US')} joins/s in-process without HTTP`,
);
