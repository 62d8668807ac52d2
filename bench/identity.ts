/**
 * `npm run bench:identity` — identity verification: throughput of the sandbox providers behind
 * their resilience policies, and what one slow provider does to the others.
 *
 * 1. Provider layer, in process (no HTTP, no database): verifications/s (start + check) through
 *    the five sandbox providers at zero latency, each behind timeout → bulkhead → breaker, against
 *    the same closed loop calling a bare async function. The cost of the policies per call.
 * 2. HTTP, each server in its own child process (autocannon drives it from this one), rounds
 *    alternating so a noisy machine hurts all alike, medians reported:
 *      bare     POST / on a Fastify app that parses a small JSON body and answers (the baseline)
 *      verify   POST /api/v1/identity/challenges then POST …/{id}/verify (000000): one new
 *               person's whole verification, sandbox providers at zero latency, on in-memory
 *               PGlite and, with --pg URL or DATABASE_URL, on PostgreSQL (a fresh database,
 *               dropped after). Counted: 2xx answers only (start and verify each one request);
 *               the per-address start limit is raised (one load generator is one address), the
 *               limiter still counts every start. The server counts what it sends its database
 *               (round trips, writing statements; timers' too), read around each round.
 *      methods  GET /api/v1/identity/methods (the lights every landing page polls)
 *    The yeyak servers log as `yeyak serve` does (--log-level, default info). With --profile DIR
 *    (or --json), a fresh server (PostgreSQL when given) is profiled under the verify load and
 *    the profile summarised (self time by package and by function).
 * 3. One provider made slow, in process: every method under a closed-loop load; then kakao's
 *    sandbox latency goes far past its timeout. Its light and breaker are sampled over time, and
 *    the other methods' throughput is compared before and after; then kakao recovers.
 *
 *   npm run bench:identity -- [--duration-s 5] [--rounds 3] [--connections 50] [--clients 20]
 *                             [--slow-ms 10000] [--skip-http] [--http-only] [--pg postgres://…]
 *                             [--json FILE] [--profile DIR] [--log-level info]
 *
 * The same file is the HTTP server child: `--serve bare|yeyak [--db URL] [--redis URL]` (prints READY <port>;
 * bench/identity-http.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { machineMonotonicMs } from '../src/core/clock.ts';
import type { IdentityMethod } from '../src/identity/providers/types.ts';
import { http, serve, writeFigures } from './identity-http.ts';
import { fmtMs, fmtRate, fmtRatio, formatTable, loadAverage, machineDescription, median, runClosedLoop } from './lib.ts';

const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    db: { type: 'string' },
    redis: { type: 'string', default: '' },
    pg: { type: 'string', default: process.env.DATABASE_URL ?? '' },
    json: { type: 'string' },
    profile: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    'http-only': { type: 'boolean', default: false },
    'duration-s': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    clients: { type: 'string', default: '20' },
    'slow-ms': { type: 'string', default: '10000' },
    'skip-http': { type: 'boolean', default: false },
  },
});

// ---------------------------------------------------------------------------------------------
// The bench

async function bench(): Promise<void> {
  const durationMs = Number(values['duration-s']) * 1000;
  const rounds = Number(values.rounds);
  const clients = Number(values.clients);
  console.log(`bench:identity — ${machineDescription()}`);
  console.log(`load average at start: ${loadAverage()}`);
  console.log('');
  const httpOnly = values['http-only'];
  if (!httpOnly) await providerLayer(durationMs, clients);
  if (!values['skip-http']) {
    // --json needs the notes' profile: without --profile it goes to a directory of its own.
    const profileDir = values.profile ?? (values.json ? mkdtempSync(joinPath(tmpdir(), 'yeyak-bench-identity-')) : null);
    const figures = await http({
      durationMs, rounds, connections: Number(values.connections), pg: values.pg, redis: values.redis, logLevel: values['log-level'], profileDir,
    });
    if (values.json) writeFigures(values.json, figures);
  }
  if (!httpOnly) await slowProvider(durationMs, clients, Number(values['slow-ms']));
  console.log(`load average at end: ${loadAverage()}`);
}

async function providerLayer(durationMs: number, clients: number): Promise<void> {
  const { createProviderRegistry } = await import('../src/identity/providers/registry.ts');
  const { identityMethods, SANDBOX_CODE } = await import('../src/identity/providers/types.ts');
  const registry = createProviderRegistry({ identity: 'sandbox', identityProviders: {}, identityHttpUrl: null, identityHttpToken: null });
  const bare = { start: async (_r: unknown) => undefined, check: async (_r: unknown) => 'verified' };
  let n = 0;
  const total = clients * identityMethods.length;
  const viaProviders = async (client: number) => {
    const method = identityMethods[client % identityMethods.length] ?? 'phone';
    const p = registry.get(method);
    if (!p) throw new Error(`no provider for ${method}`);
    const req = { transactionId: `b-${n++}`, method, name: '벤치', birthDate: '1990-05-05', sexDigit: '1', phone: '01012345678' };
    await p.start(req);
    if ((await p.check({ transactionId: req.transactionId, method, code: SANDBOX_CODE, stated: req })).status !== 'verified') throw new Error('not verified');
    return true;
  };
  const viaBare = async () => {
    const req = { transactionId: `b-${n++}` };
    await bare.start(req);
    if ((await bare.check(req)) !== 'verified') throw new Error('not verified');
    return true;
  };
  await runClosedLoop(total, 500, viaProviders); // warm-up
  await runClosedLoop(total, 500, viaBare);
  const rows: string[][] = [];
  const rates = { bare: [] as number[], providers: [] as number[] };
  for (let round = 0; round < 3; round++) {
    const b = await runClosedLoop(total, durationMs / 2, viaBare);
    rates.bare.push((b.ops * 1000) / b.elapsedMs);
    const p = await runClosedLoop(total, durationMs / 2, viaProviders);
    rates.providers.push((p.ops * 1000) / p.elapsedMs);
    if (p.errors.length || b.errors.length) throw new Error(`errors: ${String(p.errors[0] ?? b.errors[0])}`);
  }
  const base = median(rates.bare);
  rows.push(['bare async start + check', fmtRate(base), '1.00×', 'n/a']);
  const via = median(rates.providers);
  rows.push(['5 sandbox providers, timeout → bulkhead → breaker', fmtRate(via), fmtRatio(via / base), `${fmtMs(1000 / via * 1000)} µs`]);
  console.log(`1. provider layer, in process: ${total} closed-loop clients (${clients} per method), zero latency, ${durationMs / 2000} s × 3 rounds, medians`);
  console.log(formatTable(['case', 'verifications/s', 'ratio', 'per verification'], rows));
  console.log('');
}

// ---------------------------------------------------------------------------------------------
// One provider made slow

async function slowProvider(durationMs: number, clients: number, slowMs: number): Promise<void> {
  const { createProviderRegistry } = await import('../src/identity/providers/registry.ts');
  const { identityMethods, SANDBOX_CODE } = await import('../src/identity/providers/types.ts');
  const { defaultProviderSettings } = await import('../src/identity/providers/settings.ts');
  const { isYeyakError } = await import('../src/core/errors.ts');
  // Default timeout (5 s), bulkhead and breaker; a 3 s open period so the story fits in seconds.
  const HALF_OPEN_AFTER_MS = 3_000;
  const spec = { '*': { halfOpenAfterMs: HALF_OPEN_AFTER_MS } };
  const registry = createProviderRegistry({ identity: 'sandbox', identityProviders: spec, identityHttpUrl: null, identityHttpToken: null });
  const kakao = registry.sandbox('kakao');
  if (!kakao) throw new Error('no kakao sandbox');
  const CLIENT_BACKOFF_MS = 50; // a refused citizen's page waits a little before trying again

  let n = 0;
  const counts = () => Object.fromEntries(identityMethods.map((m) => [m, { ok: 0, refused: 0 }])) as Record<IdentityMethod, { ok: number; refused: number }>;
  const phase = async (ms: number, sample?: (tMs: number) => void) => {
    const c = counts();
    const started = machineMonotonicMs();
    const timer = sample ? setInterval(() => sample(machineMonotonicMs() - started), 100) : null;
    sample?.(0);
    await runClosedLoop(clients * identityMethods.length, ms, async (client) => {
      const method = identityMethods[client % identityMethods.length] ?? 'phone';
      const p = registry.get(method);
      if (!p) throw new Error(`no provider for ${method}`);
      const req = { transactionId: `s-${n++}`, method, name: '벤치', birthDate: '1990-05-05', sexDigit: '1', phone: '01012345678' };
      await nextTurn(); // each verification arrives as I/O, as a request does: timers get their turn
      try {
        await p.start(req);
        await p.check({ transactionId: req.transactionId, method, code: SANDBOX_CODE, stated: req });
        c[method].ok++;
      } catch (e) {
        if (!isYeyakError(e)) throw e;
        c[method].refused++;
        await new Promise((r) => setTimeout(r, CLIENT_BACKOFF_MS));
      }
      return true;
    });
    if (timer) clearInterval(timer);
    const elapsedS = (machineMonotonicMs() - started) / 1000;
    return Object.fromEntries(identityMethods.map((m) => [m, { okPerS: c[m].ok / elapsedS, refused: c[m].refused }])) as Record<IdentityMethod, { okPerS: number; refused: number }>;
  };

  const { timeline, watch } = kakaoTimeline(registry);

  await phase(500); // warm-up
  const before = await phase(durationMs, watch('before'));
  kakao.tune({ latencyMs: slowMs });
  const during = await phase(Math.max(durationMs, 12_000), watch('slow  '));
  kakao.tune({ latencyMs: 0 });
  const after = await phase(Math.max(durationMs, HALF_OPEN_AFTER_MS + 3_000), watch('healed'));

  const settings = { ...defaultProviderSettings, halfOpenAfterMs: HALF_OPEN_AFTER_MS };
  printSlow({ methods: identityMethods, settings, clients, slowMs, backoffMs: CLIENT_BACKOFF_MS, timeline, before, during, after });
}

type ProviderRegistry = ReturnType<typeof import('../src/identity/providers/registry.ts').createProviderRegistry>;

/** Kakao's light and breaker, one line each time they change, with the identity health factor. */
function kakaoTimeline(registry: ProviderRegistry): { timeline: string[]; watch: (label: string) => (tMs: number) => void } {
  const timeline: string[] = [];
  let last = '';
  const watch = (label: string) => (tMs: number) => {
    const s = registry.get('kakao')?.status();
    if (!s) return;
    const h = registry.health();
    const line = `${s.light} / breaker ${s.breaker}`;
    if (line !== last) {
      last = line;
      timeline.push(
        `  ${label} +${(tMs / 1000).toFixed(1).padStart(4)} s  kakao ${s.light.padEnd(6)} breaker ${s.breaker.padEnd(9)} latency ${String(s.latencyMs).padStart(5)} ms, ` +
          `in flight ${String(s.inFlight).padStart(3)}/${s.maxInFlight}, errors ${(s.errorRate * 100).toFixed(0)} %; identity health factor ${h.factor.toFixed(2)}${s.reasons.length ? ` (${s.reasons.join('; ')})` : ''}`,
      );
    }
  };
  return { timeline, watch };
}

type PhaseRates = Record<IdentityMethod, { okPerS: number; refused: number }>;

interface SlowReport {
  methods: readonly IdentityMethod[];
  settings: { timeoutMs: number; breakerFailures: number; halfOpenAfterMs: number };
  clients: number;
  slowMs: number;
  backoffMs: number;
  timeline: string[];
  before: PhaseRates;
  during: PhaseRates;
  after: PhaseRates;
}

function printSlow({ methods, settings, clients, slowMs, backoffMs, timeline, before, during, after }: SlowReport): void {
  console.log(
    `3. one provider made slow, in process: ${clients} closed-loop clients per method, sandbox at zero latency; kakao's latency then set to ${slowMs} ms ` +
      `(timeout ${settings.timeoutMs / 1000} s, breaker opens after ${settings.breakerFailures} consecutive faults, half-opens after ${settings.halfOpenAfterMs / 1000} s; ` +
      `a refused client waits ${backoffMs} ms). Kakao over time:`,
  );
  console.log(timeline.join('\n'));
  const rows = methods.map((m) => [
    m,
    fmtRate(before[m].okPerS),
    fmtRate(during[m].okPerS),
    String(during[m].refused),
    fmtRatio(during[m].okPerS / before[m].okPerS),
    fmtRate(after[m].okPerS),
  ]);
  console.log(formatTable(['method', 'before /s', 'kakao slow /s', 'refused (429)', 'slow ÷ before', 'kakao healed /s'], rows));
  const others = methods.filter((m) => m !== 'kakao');
  const sum = (r: typeof before) => others.reduce((s, m) => s + r[m].okPerS, 0);
  console.log(`the other four together: ${fmtRate(sum(before))}/s before, ${fmtRate(sum(during))}/s while kakao is slow (${fmtRatio(sum(during) / sum(before))})`);
  console.log('');
}

// Last, after every module-level const (startServer, json): the top-level await runs the bench.
if (values.serve) {
  await serve(values.serve, { db: values.db ?? null, redis: values.redis || null, logLevel: values['log-level'] });
} else {
  await bench();
}
