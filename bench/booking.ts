/**
 * `npm run bench:booking` — the opening-night hot spot.
 *
 * This file: flags, the run and the report. Its parts: booking-engines.ts (PGlite, a PostgreSQL
 * database made for the run), booking-fixture.ts (seed, targets, people), booking-rounds.ts
 * (booking and baseline rounds, checks, cases).
 *
 * Committed bookings per second with N concurrent clients (default 64) all on ONE clinic-day,
 * through the production path (Batcher → bookBatch → book_batch, made by the service's own
 * factory createBookingBatcher and submitted with its submitBooking), against — same run, same database — a bare autocommit
 *   UPDATE bench_counter SET remaining = remaining - 1 WHERE id = $1 AND remaining > 0
 * loop with the same concurrency. Also the spread case (clients over 1,000 clinic-days), and a
 * sell-out check on a small clinic-day. Every case ends with an oversell check: for every slot,
 * capacity - remaining = confirmed reservation_dose rows on it, and remaining >= 0.
 *
 * Engines: PGlite in memory (always, unless --engine postgres) and PostgreSQL when DATABASE_URL or
 * --pg is given; on PostgreSQL a fresh database yeyak_bench_<random> is created and dropped.
 * Baseline and booking rounds alternate (A/B/A/B) so a noisy machine hurts both alike.
 *
 * Default 5 s per measurement: 2 engines × 2 cases × 3 rounds × (baseline + booking) plus warm-ups,
 * setup and the sell-out check come to about 2.5 minutes; use --duration-s 10 for steadier figures.
 *
 *   npm run bench:booking -- [--duration-s 5] [--rounds 3] [--clients 64]
 *                            [--engine pglite|postgres|both] [--pg postgres://…] [--batch-max 256]
 *                            [--in-flight-max 1] [--hot-only] [--json FILE]
 *
 * --json FILE writes the figures for bench/all.ts ({ figures: [...] }, bench/lib.ts BenchFigure);
 * --hot-only skips the spread case and the sell-out check (the runner's budget).
 *
 * --in-flight-max is for experiments: BookingService runs the Batcher with 1 (one batch per node
 * in the database at a time), and that is what the default measures.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { machineMonotonicMs } from '../src/core/clock.ts';
import { defaults } from '../src/core/config.ts';
import { openPgliteEngine, openPostgresEngine } from './booking-engines.ts';
import { CAPACITY_BOOST, CLINICS, NOW, PersonPool, SCENARIO, setUp, SPREAD_CLINIC_DAYS } from './booking-fixture.ts';
import { BASELINE_SQL, runCase, selloutCheck, WARMUP_MS, type CaseSummary, type RunSettings } from './booking-rounds.ts';
import { type BenchFigure, fmtMs, fmtRate, fmtRatio, formatTable, loadAverage, machineDescription } from './lib.ts';

// ---------------------------------------------------------------------------------------------
// Settings

const QUEUE_MAX = defaults.bookingQueueMax; // the service's, per node

const { values: flags } = parseArgs({
  options: {
    'duration-s': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    clients: { type: 'string', default: '64' },
    engine: { type: 'string' },
    pg: { type: 'string' },
    'batch-max': { type: 'string', default: String(defaults.bookingBatchMax) },
    'in-flight-max': { type: 'string', default: '1' },
    'hot-only': { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
  allowPositionals: false,
});

if (flags.help) {
  console.log(
    'usage: npm run bench:booking -- [--duration-s 5] [--rounds 3] [--clients 64] [--engine pglite|postgres|both]\n' +
      '                              [--pg postgres://user@host:port/db] [--batch-max 256] [--in-flight-max 1]\n' +
      'PostgreSQL is used when --pg or DATABASE_URL is set: a fresh database yeyak_bench_<random> is created there and dropped.',
  );
  process.exit(0);
}

function intFlag(name: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const durationS = intFlag('duration-s', flags['duration-s'], 1, 600);
const rounds = intFlag('rounds', flags.rounds, 1, 50);
const clients = intFlag('clients', flags.clients, 1, 1_000);
const batchMax = intFlag('batch-max', flags['batch-max'], 1, 10_000);
const inFlightMax = intFlag('in-flight-max', flags['in-flight-max'], 1, 16);
const pgUrl = flags.pg ?? process.env.DATABASE_URL ?? null;
const engineFlag = flags.engine ?? (pgUrl ? 'both' : 'pglite');
if (!['pglite', 'postgres', 'both'].includes(engineFlag)) {
  console.error(`--engine must be pglite, postgres or both, got ${JSON.stringify(engineFlag)}`);
  process.exit(2);
}
if (engineFlag !== 'pglite' && !pgUrl) {
  console.error('--engine postgres needs DATABASE_URL or --pg postgres://…');
  process.exit(2);
}
const engines: ('pglite' | 'postgres')[] = engineFlag === 'both' ? ['pglite', 'postgres'] : [engineFlag as 'pglite' | 'postgres'];
const durationMs = durationS * 1_000;

// Bounded: every phase is deadline-driven; this only catches a hang (e.g. a lost connection).
const measurements = engines.length * 2 /* cases */ * (rounds * 2 + 2 /* warm-ups */);
const watchdogMs = measurements * durationMs + engines.length * 180_000;
setTimeout(() => {
  console.error(`bench:booking: watchdog — still running after ${Math.round(watchdogMs / 1000)} s; aborting`);
  process.exit(3);
}, watchdogMs).unref();

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.error('\ninterrupted: finishing the current measurement, then cleaning up (Ctrl-C again to quit now)');
});

const problems: string[] = [];
const settings: RunSettings = { clients, rounds, durationMs, batchMax, inFlightMax, queueMax: QUEUE_MAX, interrupted: () => interrupted, problems };

// ---------------------------------------------------------------------------------------------
// Main

interface EngineReport {
  label: string;
  version: string;
  cases: CaseSummary[];
  sellout: string;
}

async function benchEngine(kind: 'pglite' | 'postgres'): Promise<EngineReport | null> {
  const t0 = machineMonotonicMs();
  const engine = kind === 'pglite' ? await openPgliteEngine(clients) : await openPostgresEngine(pgUrl as string, clients, inFlightMax);
  try {
    console.log(`\n== ${engine.label} ==`);
    console.log(`  engine: ${engine.version}`);
    console.log(`  load average (1/5/15 min): ${loadAverage()}`);
    for (const n of engine.notes) console.log(`  note: ${n}`);
    const fx = await setUp(engine.db);
    const persons = new PersonPool(engine.db);
    const counterIds = Array.from({ length: SPREAD_CLINIC_DAYS }, (_, i) => i + 1);
    console.log(
      `  setup: migrate + seed ${SCENARIO} (${CLINICS} clinics, ${fx.slots.toLocaleString('en-US')} slots) + capacity boost in ${((machineMonotonicMs() - t0) / 1000).toFixed(1)} s;` +
        ` hot clinic-day ${fx.hot.clinicId} ${fx.hot.day1} (dose 2 ${fx.hot.day2}); spread over ${fx.spread.length} clinic-days`,
    );
    const okSoFar = { n: 0 };
    const cases: CaseSummary[] = [];
    cases.push(await runCase(settings, engine, fx, persons, 'hot', [fx.hot], [1], okSoFar));
    if (!interrupted && !flags['hot-only']) cases.push(await runCase(settings, engine, fx, persons, 'spread', fx.spread, counterIds, okSoFar));
    const sellout = interrupted || flags['hot-only'] ? 'skipped' : await selloutCheck(settings, engine, fx, persons, okSoFar);
    console.log(`  sell-out check: ${sellout}`);
    console.log(`  (${engine.label}: ${((machineMonotonicMs() - t0) / 1000).toFixed(0)} s)`);
    return { label: engine.label, version: engine.version, cases, sellout };
  } finally {
    await engine.close();
  }
}

function reportTable(r: EngineReport): string {
  return formatTable(
    ['case', 'bookings/s (median)', 'baseline UPDATE/s (median)', 'ratio', 'ratio per round', 'booking p50 ms', 'booking p99 ms', 'avg batch', 'oversell', 'undisturbed rounds'],
    r.cases.map((c) => [
      c.name === 'hot' ? 'hot: 1 clinic-day' : `spread: ${SPREAD_CLINIC_DAYS} clinic-days`,
      fmtRate(c.bookingRate),
      fmtRate(c.baselineRate),
      fmtRatio(c.bookingRate / c.baselineRate),
      `${fmtRatio(c.ratioMin)}–${fmtRatio(c.ratioMax)}`,
      fmtMs(c.p50),
      fmtMs(c.p99),
      c.avgBatch.toFixed(1),
      c.oversell,
      c.cleanRounds,
    ]),
  );
}

/** The report's figures for bench/all.ts: bookings/s against the bare UPDATE loop, per case. */
function figuresOf(r: EngineReport): BenchFigure[] {
  return r.cases.map((c) => ({
    name: `${c.name === 'hot' ? 'hot clinic-day booking' : `bookings spread over ${SPREAD_CLINIC_DAYS} clinic-days`} on ${r.label.startsWith('PostgreSQL') ? 'PostgreSQL' : 'PGlite (in memory)'}`,
    unit: 'bookings/s',
    median: c.bookingRate,
    baselineMedian: c.baselineRate,
    ratio: c.bookingRate / c.baselineRate,
    aim: c.name === 'hot' ? '≥ 3×' : '',
    rounds: c.bookingRounds,
    notes:
      `${r.version}; ${clients} clients; baseline rounds ${c.baselineRounds.map(fmtRate).join(', ')} UPDATE/s; round ratios ${fmtRatio(c.ratioMin)}–${fmtRatio(c.ratioMax)};` +
      ` p99 ${fmtMs(c.p99)} ms, avg batch ${c.avgBatch.toFixed(1)}; oversell ${c.oversell}; undisturbed rounds ${c.cleanRounds}`,
  }));
}

async function main(): Promise<void> {
  const started = machineMonotonicMs();
  console.log('yeyak bench:booking — committed bookings/s at the opening-night hot spot vs a bare conditional UPDATE loop');
  console.log(`machine: ${machineDescription()}; load average ${loadAverage()} at start`);
  console.log(
    `settings: ${clients} clients, ${durationS} s per measurement, ${rounds} rounds (baseline/booking alternating; median shown),` +
      ` ${WARMUP_MS / 1000} s warm-up per case; engines: ${engines.join(', ')}`,
  );
  console.log(
    `  booking: Batcher(batchMax ${batchMax}, inFlightMax ${inFlightMax}, queueMax ${QUEUE_MAX}) → bookBatch → book_batch(); each booking a new person,` +
      ` dose 1 + dose 2 (day + 21), idempotency key, audit and outbox rows — counted when the answer is OK (committed)`,
  );
  console.log(`  baseline: autocommit "${BASELINE_SQL}" (hot: id 1; spread: random id of ${SPREAD_CLINIC_DAYS})`);
  console.log(`  data: scenario ${SCENARIO}, ${CLINICS} clinics, clock ${NOW}; capacity raised by ${CAPACITY_BOOST.toLocaleString('en-US')} per slot so nothing sells out`);
  console.log('  latency: submit → answer per booking, pooled over the rounds');

  const reports: EngineReport[] = [];
  for (const kind of engines) {
    if (interrupted) break;
    try {
      const r = await benchEngine(kind);
      if (r) reports.push(r);
    } catch (e) {
      problems.push(`${kind}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      console.error(`\n${kind} failed:`, e);
    }
  }

  console.log('\n== Summary ==');
  console.log(`machine: ${machineDescription()}`);
  console.log(`settings: ${clients} clients, ${durationS} s × ${rounds} rounds per figure, batchMax ${batchMax}, inFlightMax ${inFlightMax}`);
  for (const r of reports) {
    console.log(`\n${r.label} — ${r.version}`);
    console.log(reportTable(r));
    console.log(
      '(ratio = median bookings/s ÷ median baseline UPDATE/s; ratio per round: lowest–highest of the rounds\' own ratios;' +
        ' latency pooled over rounds; undisturbed = no transaction held open ≥ 2 s elsewhere on the server)',
    );
    console.log(`sell-out: ${r.sellout}`);
  }
  console.log(`\ntotal time ${((machineMonotonicMs() - started) / 1000).toFixed(0)} s`);
  if (flags.json) writeFileSync(flags.json, `${JSON.stringify({ figures: reports.flatMap(figuresOf) }, null, 2)}\n`);
  if (problems.length > 0 || interrupted) {
    console.error(`\nbench:booking FAILED${interrupted ? ' (interrupted)' : ''}:`);
    for (const p of problems) console.error(`  - ${p}`);
    process.exitCode = 1;
  } else {
    console.log('oversell: 0 on every engine and case');
  }
}

await main();
