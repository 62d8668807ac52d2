/**
 * bench:identity's HTTP part (bench/identity.ts runs it): the verification path against a bare
 * Fastify handler under the same load generator, each server in its own child process, rounds
 * alternating, medians. Also the server child itself (`bench/identity.ts --serve bare|yeyak`).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import pg from 'pg';
import { systemClock } from '../src/core/clock.ts';
import type { Db, Queryable } from '../src/core/db.ts';
import {
  type BenchFigure,
  type CpuProfile,
  fmtMs,
  fmtRate,
  fmtRatio,
  formatShares,
  formatTable,
  median,
  spawnReadyServer,
  stopChild,
  summarizeCpuProfile,
} from './lib.ts';

export interface ServeOptions {
  db: string | null;
  redis: string | null;
  logLevel: string;
}

/** One load generator is one address: the per-address start limit would refuse nearly all of it. */
const BENCH_STARTS_PER_IP_PER_MIN = 1_000_000;

/** The server child: `bare` (the baseline) or `yeyak` as `yeyak serve` builds it (logger, limits). */
export async function serve(mode: string, opts: ServeOptions): Promise<void> {
  const Fastify = (await import('fastify')).default;
  let app;
  if (mode === 'bare') {
    app = Fastify({ logger: false });
    app.post('/', async (request) => ({ challengeId: 'x'.repeat(22), expiresAt: systemClock.now().toISOString(), n: Object.keys(request.body as object).length }));
  } else {
    const { loadConfig } = await import('../src/core/config.ts');
    const { openDb } = await import('../src/core/db.ts');
    const { migrate } = await import('../src/core/migrate.ts');
    const { seedScenario } = await import('../src/scenarios/seed.ts');
    const { buildApp } = await import('../src/app.ts');
    const { createQueueStore } = await import('../src/waiting-room/factory.ts');
    const { loadCampaign } = await import('../src/campaigns/store.ts');
    const databaseUrl = opts.db;
    // Chosen: on PostgreSQL the sandbox identity is off unless YEYAK_IDENTITY=sandbox (src/core/config.ts).
    const config = loadConfig(
      { dataDir: 'memory:', databaseUrl, redisUrl: opts.redis, logLevel: opts.logLevel, identity: 'sandbox', challengesPerIpPerMin: BENCH_STARTS_PER_IP_PER_MIN,
        // The outbox worker's claim each second is not a verification's statement: off while counting.
        notifyIntervalMs: 0 },
      {},
    );
    const db = await openDb({ databaseUrl, dataDir: 'memory:', poolMax: config.dbPoolMax });
    await migrate(db);
    await seedScenario(db, { scenario: 'demo', clinics: 20, clock: systemClock });
    const queue = opts.redis ? { queue: (campaigns: Parameters<typeof createQueueStore>[1]['campaigns']) => createQueueStore(config, { db, campaigns, loadCampaign: (id) => loadCampaign(db, id), clock: systemClock }) } : {};
    const counts: StatementCounts = { roundTrips: 0, writes: 0 };
    app = await buildApp(config, { db: countingDb(db, counts), clock: systemClock, startController: false, ...queue });
    // Read by the bench around each round: what the database was asked, per verification.
    app.get('/_bench/statements', async () => counts);
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  console.log(`READY ${typeof address === 'object' && address ? address.port : 0}`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

/** Everything the app sends to its database: round trips (BEGIN and COMMIT too) and writing statements. */
interface StatementCounts {
  roundTrips: number;
  writes: number;
}

const WRITES = /\b(INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/i;

/** The node's Db, counting every statement it sends (background timers' too). */
function countingDb(db: Db, counts: StatementCounts): Db {
  const count = (text: string) => {
    counts.roundTrips++;
    if (WRITES.test(text)) counts.writes++;
  };
  const counted = (q: Queryable): Queryable => ({
    query: (text, params) => {
      count(text);
      return q.query(text, params);
    },
  });
  return {
    ...db,
    ...counted(db),
    transaction: (fn) => {
      counts.roundTrips += 2; // BEGIN, COMMIT (or ROLLBACK)
      return db.transaction((tx) => fn(counted(tx)));
    },
  };
}

export interface HttpOptions {
  durationMs: number;
  rounds: number;
  connections: number;
  /** PostgreSQL server to make a scratch database on; '' = PGlite only. */
  pg: string;
  redis: string;
  logLevel: string;
  /** Where CPU profiles go; null: no profile. */
  profileDir: string | null;
}

interface Ctx {
  challengeId?: string | undefined;
}

interface Run {
  /** 2xx answers per second. */
  rps: number;
  /** Completed verifications (verify answered 200) per second; = rps for a single request. */
  verifiedPerS: number;
  /** Completed verifications in the run. */
  verified: number;
  p99: number;
  bad: number;
  /** What the server sent its database during the run (every statement, background ones too). */
  statements?: StatementCounts;
}

const serverArgs = (mode: string, o: { db?: string | undefined; redis?: string | undefined; logLevel: string }) => [
  'bench/identity.ts', '--serve', mode, '--log-level', o.logLevel, ...(o.db ? ['--db', o.db] : []), ...(o.redis ? ['--redis', o.redis] : []),
];

/** A fresh database on the --pg server, dropped after (WITH (FORCE) ends the server child's connections). */
async function scratchDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `yeyak_bench_identity_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: baseUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

type Load = (opts: import('autocannon').Options) => Promise<{ ok: number; durationS: number; p99: number; bad: number }>;

/** One autocannon measurement: `connections` connections for `durationMs`; only 2xx answers count. */
async function loader(durationMs: number, connections: number): Promise<Load> {
  const autocannon = (await import('autocannon')).default;
  return async (opts) => {
    const r = await autocannon({ connections, duration: durationMs / 1000, ...opts });
    return { ok: r['2xx'], durationS: r.duration, p99: r.latency.p99, bad: r.non2xx + r.errors + r.timeouts };
  };
}

const json = { 'content-type': 'application/json' };

/**
 * One new person's whole verification per autocannon iteration: start, then verify with 000000.
 * Each loader numbers its people from its own offset, so no person verifies twice on a server.
 */
function verifyLoader(load: Load, firstSerial: number): (port: number) => Promise<Run> {
  let serial = firstSerial;
  // One phone per person: the sandbox's identity (CI) is the phone's subscriber (issue #7).
  const person = () => {
    const n = String(serial++ % 10_000_000).padStart(7, '0');
    return { rrn: `900505-1${n.slice(1)}`, phone: `010-${n.slice(0, 3).padStart(4, '9')}-${n.slice(3)}` };
  };
  return async (port) => {
    let verified = 0;
    const r = await load({
      url: `http://127.0.0.1:${port}`,
      requests: [
        {
          method: 'POST',
          path: '/api/v1/identity/challenges',
          headers: json,
          setupRequest: (req) => ({ ...req, body: JSON.stringify({ method: 'phone', name: '벤치', ...person() }) }),
          onResponse: (status, body, context) => {
            (context as Ctx).challengeId = status === 201 ? (JSON.parse(body) as { challengeId: string }).challengeId : undefined;
          },
        },
        {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ code: '000000' }),
          setupRequest: (req, context) => {
            const id = (context as Ctx).challengeId;
            return id ? { ...req, path: `/api/v1/identity/challenges/${id}/verify` } : undefined;
          },
          onResponse: (status) => {
            if (status === 200) verified++;
          },
        },
      ] as import('autocannon').Request[],
    });
    return { rps: r.ok / r.durationS, verifiedPerS: verified / r.durationS, verified, p99: r.p99, bad: r.bad };
  };
}

/** The yeyak server's statement counts so far (its /_bench/statements). */
async function statementsOf(port: number): Promise<StatementCounts> {
  const res = await fetch(`http://127.0.0.1:${port}/_bench/statements`);
  return (await res.json()) as StatementCounts;
}

/** One verify round with the statements the server sent meanwhile. */
async function countedRound(run: (port: number) => Promise<Run>, port: number): Promise<Run> {
  const before = await statementsOf(port);
  const r = await run(port);
  const after = await statementsOf(port);
  return { ...r, statements: { roundTrips: after.roundTrips - before.roundTrips, writes: after.writes - before.writes } };
}

interface HttpRuns {
  bare: Run[];
  lite: Run[];
  pg: Run[];
  methods: Run[];
}

function printHttp(runs: HttpRuns, withPg: boolean, o: HttpOptions): void {
  const base = median(runs.bare.map((r) => r.rps));
  const row = (name: string, rs: Run[]) => {
    const rps = median(rs.map((r) => r.rps));
    return [name, fmtRate(rps), fmtRate(median(rs.map((r) => r.verifiedPerS))), fmtMs(median(rs.map((r) => r.p99))), fmtRatio(rps / base), String(rs.reduce((s, r) => s + r.bad, 0))];
  };
  const rows = [row('bare POST (baseline)', runs.bare), row('verify, PGlite: start + verify', runs.lite)];
  if (withPg) rows.push(row('verify, PostgreSQL: start + verify', runs.pg));
  rows.push(row('GET /identity/methods', runs.methods));
  console.log(
    `2. HTTP: ${o.connections} connections, ${o.durationMs / 1000} s per measurement, ${o.rounds} rounds (cases alternating), medians, 2xx answers only; ` +
      `yeyak logs at ${o.logLevel}${withPg ? '' : ' (no --pg / DATABASE_URL: PGlite only)'}${o.redis ? `; Redis store on the PostgreSQL server` : ''}`,
  );
  console.log(formatTable(['case', '2xx req/s', 'verified /s', 'p99 ms', 'req ratio', 'non-2xx'], rows));
  console.log(`database per verification, PGlite: ${statementsPerVerification(runs.lite)}${withPg ? `; PostgreSQL: ${statementsPerVerification(runs.pg)}` : ''}`);
  console.log('');
}

/** '1.00 round trips, 1.00 writing statements' — medians over the rounds, background statements included. */
function statementsPerVerification(rs: Run[]): string {
  const per = (f: (c: StatementCounts) => number) => median(rs.filter((r) => r.statements && r.verified > 0).map((r) => f(r.statements as StatementCounts) / r.verified));
  return `${per((c) => c.roundTrips).toFixed(2)} round trips, ${per((c) => c.writes).toFixed(2)} writing statements (all the server sent, timers included, ÷ verifications)`;
}

/** A CPU profile of a fresh yeyak server under the verify load, summarised. */
async function profiled(dir: string, o: HttpOptions, db: string | undefined, run: (port: number) => Promise<unknown>): Promise<string> {
  const out = joinPath(dir, 'identity-verify');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const server = await spawnReadyServer(serverArgs('yeyak', { db, redis: db ? o.redis : undefined, logLevel: o.logLevel }), 180_000, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', out] });
  try {
    await run(server.port);
  } finally {
    await stopChild(server.child);
  }
  const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return 'no profile written';
  const s = summarizeCpuProfile(JSON.parse(readFileSync(joinPath(out, file), 'utf8')) as CpuProfile, 8);
  return `CPU profile of the server (${db ? 'PostgreSQL' : 'PGlite'}), self time by package: ${formatShares(s.buckets)}; top functions: ${formatShares(s.functions)}`;
}

export async function http(o: HttpOptions): Promise<BenchFigure[]> {
  const load = await loader(o.durationMs, o.connections);
  const scratch = o.pg ? await scratchDatabase(o.pg) : null;
  const servers: { name: string; child: ChildProcess }[] = [];
  const runs: HttpRuns = { bare: [], lite: [], pg: [], methods: [] };
  try {
    const bare = await spawnReadyServer(serverArgs('bare', o));
    servers.push({ name: 'bare', ...bare });
    const lite = await spawnReadyServer(serverArgs('yeyak', o));
    servers.push({ name: 'pglite', ...lite });
    const pgServer = scratch ? await spawnReadyServer(serverArgs('yeyak', { ...o, db: scratch.url })) : null;
    if (pgServer) servers.push({ name: 'postgres', ...pgServer });
    const liteLoad = verifyLoader(load, 0);
    const pgLoad = verifyLoader(load, 0);
    for (let round = 1; round <= o.rounds; round++) {
      const b = await load({ url: `http://127.0.0.1:${bare.port}/`, method: 'POST', headers: json, body: JSON.stringify({ method: 'phone', name: '벤치', rrn: '900505-1000000', phone: '010-1234-5678' }) });
      runs.bare.push({ rps: b.ok / b.durationS, verifiedPerS: b.ok / b.durationS, verified: 0, p99: b.p99, bad: b.bad });
      runs.lite.push(await countedRound(liteLoad, lite.port));
      if (pgServer) runs.pg.push(await countedRound(pgLoad, pgServer.port));
      const m = await load({ url: `http://127.0.0.1:${lite.port}/api/v1/identity/methods` });
      runs.methods.push({ rps: m.ok / m.durationS, verifiedPerS: m.ok / m.durationS, verified: 0, p99: m.p99, bad: m.bad });
      const last = (rs: Run[]) => Math.round(rs.at(-1)?.rps ?? 0);
      process.stderr.write(`  round ${round}/${o.rounds}: bare ${last(runs.bare)}/s, verify pglite ${last(runs.lite)} req/s${pgServer ? `, verify postgres ${last(runs.pg)} req/s` : ''}, methods ${last(runs.methods)}/s\n`);
    }
    printHttp(runs, pgServer !== null, o);
  } finally {
    await Promise.all(servers.map((s) => stopChild(s.child)));
  }
  await scratch?.drop();
  // A fresh server on a fresh database: the profile sees what the measured rounds saw.
  const profileDb = o.profileDir && o.pg ? await scratchDatabase(o.pg) : null;
  try {
    const profile = o.profileDir ? await profiled(o.profileDir, o, profileDb?.url, verifyLoader(load, 0)) : '';
    if (profile) console.log(`profile, verification: ${profile}\n`);
    return figuresOf(runs, o, profile);
  } finally {
    await profileDb?.drop();
  }
}

/** The figures for --json: on PostgreSQL when measured (the store a deployment runs), else PGlite. */
function figuresOf(runs: HttpRuns, o: HttpOptions, profile: string): BenchFigure[] {
  const baseline = median(runs.bare.map((r) => r.rps));
  const figure = (name: string, rs: Run[], store: string, withProfile: boolean): BenchFigure => {
    const v = median(rs.map((r) => r.rps));
    const bad = rs.reduce((s, r) => s + r.bad, 0);
    const notes = [
      `${store}; requests/s of 2xx answers, start and verify each one request (verifications/s: ${fmtRate(median(rs.map((r) => r.verifiedPerS)))}); ` +
        `${o.connections} connections (autocannon), ${o.durationMs / 1000} s × ${o.rounds} rounds; sandbox providers at zero latency; server logs at ${o.logLevel}`,
      `database per verification: ${statementsPerVerification(rs)}`,
      ...(bad > 0 ? [`${bad} non-2xx answers`] : []),
      ...(profile && withProfile ? [profile] : []),
    ];
    return { name, unit: 'req/s', median: v, baselineMedian: baseline, ratio: v / baseline, aim: '≥ 0.3×', rounds: rs.map((r) => r.rps), notes: notes.join('; ') };
  };
  const name = 'verification start + verify (new person)';
  const lite = 'PGlite (in-memory), in-process store';
  if (runs.pg.length === 0) return [figure(name, runs.lite, lite, true)];
  return [figure(name, runs.pg, `PostgreSQL, ${o.redis ? 'Redis' : 'in-process'} store`, true), figure(`${name}, PGlite`, runs.lite, lite, false)];
}

/** Writes `{ figures }` for bench/all.ts. */
export function writeFigures(file: string, figures: BenchFigure[]): void {
  writeFileSync(file, `${JSON.stringify({ figures }, null, 2)}\n`);
}
