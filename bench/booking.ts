/**
 * `npm run bench:booking` — the opening-night hot spot.
 *
 * (One file on purpose, ~760 lines: a rig is read top to bottom — set-up, baseline, rounds, checks,
 * report — and each section is used by it alone.)
 *
 * Committed bookings per second with N concurrent clients (default 64) all on ONE clinic-day,
 * through the production path (Batcher → bookBatch → book_batch, wired as BookingService wires
 * them), against — same run, same database — a bare autocommit
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
 *                            [--in-flight-max 1]
 *
 * --in-flight-max is for experiments: BookingService wires the Batcher with 1 (one batch per node
 * in the database at a time), and that is what the default measures.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { FakeClock } from '../src/core/clock.ts';
import { defaults } from '../src/core/config.ts';
import { openPglite, openPostgres, type Db } from '../src/core/db.ts';
import { migrate } from '../src/core/migrate.ts';
import { seedScenario } from '../src/scenarios/seed.ts';
import { loadCampaign } from '../src/campaigns/store.ts';
import type { Campaign } from '../src/rules/campaign.ts';
import { Batcher } from '../src/booking/batcher.ts';
import { bookBatch, type BookingOutcome, type BookingRow } from '../src/booking/sql.ts';
import { newBookingNumber } from '../src/booking/booking-number.ts';
import { dose2Day } from '../src/rules/dose-dates.ts';
import { fmtMs, fmtRate, fmtRatio, formatTable, loadAverage, machineDescription, mean, median, percentile, runClosedLoop } from './lib.ts';

// ---------------------------------------------------------------------------------------------
// Settings

const NOW = '2026-11-26T12:00:00+09:00';
const SCENARIO = 'demo';
const CLINICS = 1_000; // demo: 21 dose-1 days per clinic → 21,000 dose-1 clinic-days
const SPREAD_CLINIC_DAYS = 1_000;
const QUEUE_MAX = 20_000; // as src/app.ts BOOKING_QUEUE_MAX
const WARMUP_MS = 1_000;
const SELLOUT_CAPACITY = 1_000;
const COUNTER_START = 2_000_000_000; // bench_counter.remaining: never reaches 0 in a run
const CAPACITY_BOOST = 1_000_000; // slot capacity and remaining, so no case ever sells out
const DOSES_BOOST = 10_000_000; // supply: allocated <= doses stays true
/** Tables seedScenario fills; the booking tables (reservation, …) start empty. */
const SEEDED_TABLES = ['region', 'vaccine', 'clinic', 'campaign', 'campaign_window', 'campaign_vaccine_rule', 'campaign_blackout', 'supply', 'slot'];
const BASELINE_SQL = 'UPDATE bench_counter SET remaining = remaining - 1 WHERE id = $1 AND remaining > 0';

const { values: flags } = parseArgs({
  options: {
    'duration-s': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    clients: { type: 'string', default: '64' },
    engine: { type: 'string' },
    pg: { type: 'string' },
    'batch-max': { type: 'string', default: String(defaults.bookingBatchMax) },
    'in-flight-max': { type: 'string', default: '1' },
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

// ---------------------------------------------------------------------------------------------
// Engines

interface Engine {
  label: string;
  version: string;
  notes: string[];
  /** The booking path's Db (PostgreSQL: a pool sized like production's dbPoolMax). */
  db: Db;
  /** The baseline's Db (PostgreSQL: a pool with one connection per client). */
  baselineDb: Db;
  /** PostgreSQL: what else on the server could skew a measurement (see Disturbance). */
  disturbance?: () => Promise<Disturbance | null>;
  close(): Promise<void>;
}

/**
 * A transaction open for seconds anywhere on the server (any database) holds back the xmin horizon
 * of every snapshot, so the hot row's old versions cannot be pruned and each UPDATE walks a growing
 * chain. On a shared machine another bench or test can do that; such rounds are flagged.
 */
interface Disturbance {
  database: string;
  ageS: number;
}

/** Samples `probe` every second while `fn` runs; returns the worst disturbance seen. */
async function watched<T>(probe: Engine['disturbance'], fn: () => Promise<T>): Promise<{ result: T; disturbance: Disturbance | null }> {
  if (!probe) return { result: await fn(), disturbance: null };
  let worst: Disturbance | null = null;
  const sample = async () => {
    const d = await probe().catch(() => null);
    if (d && (!worst || d.ageS > worst.ageS)) worst = d;
  };
  await sample();
  const timer = setInterval(() => void sample(), 1_000);
  try {
    const result = await fn();
    await sample();
    return { result, disturbance: worst };
  } finally {
    clearInterval(timer);
  }
}

function disturbanceText(d: Disturbance | null | undefined): string {
  return d ? ` [DISTURBED: a transaction in database ${d.database} was open ${d.ageS.toFixed(0)} s]` : '';
}

async function serverVersion(db: Db): Promise<string> {
  const r = await db.query<{ v: string }>('SELECT version() AS v');
  return r.rows[0]?.v ?? '?';
}

async function openPgliteEngine(): Promise<Engine> {
  const db = await openPglite('memory:');
  const version = await serverVersion(db);
  return {
    label: `PGlite ${/PGlite ([0-9.]+)/.exec(version)?.[1] ?? ''} (in memory)`.replace('  ', ' '),
    version,
    notes: [
      `PGlite is one single-user backend in this process: the ${clients} clients' statements (baseline and batches alike) run one at a time, and an in-memory store never waits for a WAL flush.`,
      'So the baseline here is pure per-statement cost, with no commit latency for batching to amortise.',
    ],
    db,
    baselineDb: db,
    close: () => db.close(),
  };
}

async function openPostgresEngine(url: string): Promise<Engine> {
  const name = `yeyak_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const benchUrl = new URL(url);
  benchUrl.pathname = `/${name}`;
  let db: Db | null = null;
  let baselineDb: Db | null = null;
  const dropDatabase = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => c.query(`DROP DATABASE IF EXISTS ${name}`));
    } finally {
      await c.end();
    }
  };
  try {
    db = await openPostgres(benchUrl.toString(), { poolMax: defaults.dbPoolMax, statementTimeoutMs: defaults.statementTimeoutMs });
    baselineDb = await openPostgres(benchUrl.toString(), { poolMax: clients, statementTimeoutMs: defaults.statementTimeoutMs });
    const settings = await db.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('synchronous_commit', 'fsync', 'wal_sync_method', 'commit_delay', 'shared_buffers', 'max_connections')
        ORDER BY name`,
    );
    const safe = new URL(benchUrl);
    safe.password = '';
    return {
      label: `PostgreSQL (${safe.hostname}:${safe.port || 5432}${safe.pathname}, created for this run)`,
      version: await serverVersion(db),
      notes: [
        `server settings: ${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')}`,
        `booking path: one Batcher over a pool of ${defaults.dbPoolMax} (production dbPoolMax; inFlightMax ${inFlightMax} → ${inFlightMax === 1 ? 'one connection' : `up to ${inFlightMax} connections`} busy); baseline: a pool of ${clients}, one connection per client.`,
      ],
      db,
      baselineDb,
      disturbance: async () => {
        const r = await db!.query<{ datname: string; age: number }>(
          `SELECT coalesce(datname, '?') AS datname, extract(epoch FROM now() - xact_start)::float8 AS age
             FROM pg_stat_activity
            WHERE pid <> pg_backend_pid() AND datname IS DISTINCT FROM current_database()
              AND xact_start < now() - interval '2 seconds' AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)
            ORDER BY xact_start LIMIT 1`,
        );
        const row = r.rows[0];
        return row ? { database: row.datname, ageS: Number(row.age) } : null;
      },
      close: async () => {
        await Promise.allSettled([db?.close(), baselineDb?.close()]);
        await dropDatabase();
      },
    };
  } catch (e) {
    await Promise.allSettled([db?.close(), baselineDb?.close()]);
    await dropDatabase().catch(() => undefined);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Setup

interface Target {
  clinicId: string;
  day1: string;
  day2: string | null;
  idemHash: string;
}

interface Fixture {
  campaign: Campaign;
  clock: FakeClock;
  hot: Target;
  spread: Target[];
  sellout: Target;
  slots: number;
}

function targetOf(c: Campaign, clinicId: string, day1: string): Target {
  const day2 = c.doses === 2 && c.dose2IntervalDays !== null ? dose2Day(day1, c.dose2IntervalDays, c.blackoutDays, c.blackoutShiftDays) : null;
  // As BookingService.book: the idempotency hash covers the request body.
  const idemHash = createHash('sha256').update(JSON.stringify([c.id, clinicId, day1])).digest('hex');
  return { clinicId, day1, day2, idemHash };
}

async function setUp(db: Db): Promise<Fixture> {
  const clock = new FakeClock(NOW);
  await migrate(db);
  const summary = await seedScenario(db, { scenario: SCENARIO, clinics: CLINICS, clock });
  const campaign = await loadCampaign(db, summary.campaignId);
  if (!campaign) throw new Error(`campaign ${summary.campaignId} not found after seeding`);
  const hotClinic = 'C000001';
  const selloutClinic = `C${String(CLINICS).padStart(6, '0')}`;
  await db.transaction(async (tx) => {
    await tx.query('SET LOCAL statement_timeout = 0');
    // allocated is only maintained on slot INSERT; raising doses first keeps allocated <= doses.
    await tx.query('UPDATE supply SET doses = doses + $1', [DOSES_BOOST]);
    await tx.query('UPDATE slot SET capacity = capacity + $1, remaining = remaining + $1', [CAPACITY_BOOST]);
    // The sell-out check's clinic-day keeps a small capacity.
    await tx.query(
      `UPDATE slot SET capacity = $4, remaining = $4 WHERE campaign_id = $1 AND clinic_id = $2 AND day = $3 AND dose = 1`,
      [campaign.id, selloutClinic, campaign.firstShotDay, SELLOUT_CAPACITY],
    );
    await tx.query('CREATE TABLE bench_counter (id int PRIMARY KEY, remaining int NOT NULL CHECK (remaining >= 0))');
    await tx.query('INSERT INTO bench_counter SELECT i, $2 FROM generate_series(1, $1::int) i', [SPREAD_CLINIC_DAYS, COUNTER_START]);
  });
  // Deterministic "random" 1,000 dose-1 clinic-days, not the hot or the sell-out clinic.
  const spreadRows = await db.query<{ clinic_id: string; day: string }>(
    `SELECT clinic_id, day FROM slot
      WHERE campaign_id = $1 AND dose = 1 AND clinic_id NOT IN ($2, $3)
      ORDER BY md5(clinic_id || day::text) LIMIT $4`,
    [campaign.id, hotClinic, selloutClinic, SPREAD_CLINIC_DAYS],
  );
  if (spreadRows.rows.length < SPREAD_CLINIC_DAYS) throw new Error(`only ${spreadRows.rows.length} clinic-days for the spread case`);
  // As a freshly seeded store after autovacuum: the seeded tables vacuumed (the capacity boost left a
  // dead version of every slot) and analysed. The booking tables are left un-analysed on purpose:
  // ANALYZE on them while empty makes the planner pick sequential scans (FK checks on reservation,
  // UPDATE idempotency_key) that stay cached per connection while the tables grow.
  await db.exec(`VACUUM ANALYZE ${SEEDED_TABLES.join(', ')}, bench_counter`);
  return {
    campaign,
    clock,
    hot: targetOf(campaign, hotClinic, campaign.firstShotDay),
    spread: spreadRows.rows.map((r) => targetOf(campaign, r.clinic_id, r.day)),
    sellout: targetOf(campaign, selloutClinic, campaign.firstShotDay),
    slots: summary.slots,
  };
}

/** Every booking needs a person of its own (one live reservation per person per campaign). */
class PersonPool {
  private ids: number[] = [];
  private next = 0;
  private serial = 0;

  constructor(private readonly db: Db) {}

  get available(): number {
    return this.ids.length - this.next;
  }

  take(): number | undefined {
    return this.next < this.ids.length ? this.ids[this.next++] : undefined;
  }

  async ensure(n: number): Promise<void> {
    let missing = Math.ceil(n) - this.available;
    if (missing <= 0) return;
    this.ids = this.ids.slice(this.next);
    this.next = 0;
    while (missing > 0) {
      const chunk = Math.min(missing, 200_000);
      const from = this.serial + 1;
      const to = this.serial + chunk;
      const r = await this.db.transaction(async (tx) => {
        await tx.query('SET LOCAL statement_timeout = 0');
        return tx.query<{ lo: number; hi: number; n: number }>(
          `WITH ins AS (
             INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone)
             SELECT md5(i::text), DATE '1990-01-01', 'M', false, 'bench ' || i, '010-0000-' || lpad((i % 10000)::text, 4, '0')
               FROM generate_series($1::int, $2::int) i
             RETURNING id)
           SELECT min(id) AS lo, max(id) AS hi, count(*) AS n FROM ins`,
          [from, to],
        );
      });
      const row = r.rows[0];
      if (!row || Number(row.n) !== chunk) throw new Error(`person top-up: expected ${chunk} rows, got ${row?.n}`);
      const lo = Number(row.lo);
      const hi = Number(row.hi);
      if (hi - lo + 1 !== chunk) throw new Error(`person top-up: ids ${lo}..${hi} are not contiguous for ${chunk} rows`);
      for (let id = lo; id <= hi; id++) this.ids.push(id);
      this.serial = to;
      missing -= chunk;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface BookingRound {
  ok: number;
  rate: number;
  elapsedMs: number;
  latenciesMs: number[];
  batchSizes: number[];
  batchMs: number[];
  codes: Map<string, number>;
  errors: unknown[];
  exhausted: boolean;
}

interface BaselineRound {
  updates: number;
  rate: number;
  latenciesMs: number[];
  errors: unknown[];
}

function pickFrom<T>(xs: readonly T[]): T {
  return xs[Math.floor(Math.random() * xs.length)] as T;
}

async function bookingRound(
  db: Db,
  fx: Fixture,
  persons: PersonPool,
  targets: readonly Target[],
  ms: number,
  untilFull = false,
): Promise<BookingRound> {
  const batchSizes: number[] = [];
  const batchMs: number[] = [];
  // Exactly as BookingService wires it (src/booking/service.ts).
  const batcher = new Batcher<BookingRow, BookingOutcome>({
    run: (rows) => bookBatch(db, rows, fx.clock.now()),
    batchMax,
    queueMax: QUEUE_MAX,
    inFlightMax,
    onBatch: (size, t) => {
      batchSizes.push(size);
      batchMs.push(t);
    },
  });
  const codes = new Map<string, number>();
  let ok = 0;
  let exhausted = false;
  const res = await runClosedLoop(
    clients,
    ms,
    async () => {
      const personId = persons.take();
      if (personId === undefined) {
        exhausted = true;
        return false;
      }
      const t = targets.length === 1 ? (targets[0] as Target) : pickFrom(targets);
      let outcome: BookingOutcome | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        outcome = await batcher.submit({
          personId,
          campaignId: fx.campaign.id,
          clinicId: t.clinicId,
          day1: t.day1,
          day2: t.day2,
          bookingNumber: newBookingNumber(),
          idemKey: `bench-${personId}`,
          idemHash: t.idemHash,
          caller: `person:${personId}`,
          actor: `person:${personId}`,
          bookedBy: 'self',
        });
        if (outcome.code !== 'BOOKING_NUMBER_TAKEN') break;
      }
      const code = outcome?.code ?? 'NONE';
      if (code === 'OK') ok++;
      else codes.set(code, (codes.get(code) ?? 0) + 1);
      return !(untilFull && code === 'SLOT_FULL');
    },
    () => interrupted,
  );
  await batcher.drain();
  return { ok, rate: (ok * 1000) / res.elapsedMs, elapsedMs: res.elapsedMs, latenciesMs: res.latenciesMs, batchSizes, batchMs, codes, errors: res.errors, exhausted };
}

async function counterTotal(db: Db): Promise<number> {
  const r = await db.query<{ s: number }>('SELECT sum(remaining)::int8 AS s FROM bench_counter');
  return Number(r.rows[0]?.s ?? 0);
}

async function baselineRound(db: Db, ids: readonly number[], ms: number): Promise<BaselineRound> {
  const before = await counterTotal(db);
  const res = await runClosedLoop(
    clients,
    ms,
    async () => {
      await db.query(BASELINE_SQL, [ids.length === 1 ? ids[0] : pickFrom(ids)]);
      return true;
    },
    () => interrupted,
  );
  const after = await counterTotal(db);
  if (before - after !== res.ops) {
    res.errors.push(new Error(`baseline: ${res.ops} UPDATEs returned but the counters moved by ${before - after}`));
  }
  return { updates: res.ops, rate: (res.ops * 1000) / res.elapsedMs, latenciesMs: res.latenciesMs, errors: res.errors };
}

interface OversellCheck {
  oversold: number;
  negative: number;
  mismatched: number;
  confirmed: number;
  bookedDoses: number;
}

/** capacity - remaining = confirmed doses on the slot, remaining >= 0, for every slot. */
async function checkOversell(db: Db, campaignId: string): Promise<OversellCheck> {
  const r = await db.query<{ oversold: number; negative: number; mismatched: number; booked: number }>(
    `SELECT coalesce(sum(greatest(0, coalesce(b.n, 0) - (s.capacity - s.remaining))), 0)::int8 AS oversold,
            count(*) FILTER (WHERE s.remaining < 0)::int8 AS negative,
            count(*) FILTER (WHERE s.capacity - s.remaining <> coalesce(b.n, 0))::int8 AS mismatched,
            coalesce(sum(b.n), 0)::int8 AS booked
       FROM slot s
       LEFT JOIN (SELECT d.slot_id, count(*) AS n
                    FROM reservation_dose d JOIN reservation r ON r.id = d.reservation_id
                   WHERE r.status = 'confirmed'
                   GROUP BY d.slot_id) b ON b.slot_id = s.id
      WHERE s.campaign_id = $1`,
    [campaignId],
  );
  const c = await db.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM reservation WHERE campaign_id = $1 AND status = 'confirmed'`, [campaignId]);
  const row = r.rows[0];
  return {
    oversold: Number(row?.oversold ?? 0),
    negative: Number(row?.negative ?? 0),
    mismatched: Number(row?.mismatched ?? 0),
    confirmed: Number(c.rows[0]?.n ?? 0),
    bookedDoses: Number(row?.booked ?? 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Cases

interface CaseSummary {
  name: string;
  bookingRate: number;
  baselineRate: number;
  /** bookings/s ÷ baseline UPDATE/s of the same round: lowest and highest. */
  ratioMin: number;
  ratioMax: number;
  p50: number;
  p99: number;
  avgBatch: number;
  oversell: string;
  /** Rounds without a long transaction elsewhere on the server (PostgreSQL), e.g. '3/3'. */
  cleanRounds: string;
}

const problems: string[] = [];

function describeErrors(where: string, errors: readonly unknown[]): void {
  if (errors.length === 0) return;
  const first = errors[0];
  const msg = first instanceof Error ? first.message : String(first);
  problems.push(`${where}: ${errors.length} error(s), first: ${msg}`);
  console.log(`    ! ${where}: ${errors.length} error(s), first: ${msg}`);
}

function codesText(codes: Map<string, number>): string {
  return codes.size === 0 ? '' : `, not OK: ${[...codes].map(([k, v]) => `${k} ${v}`).join(', ')}`;
}

async function runCase(
  engine: Engine,
  fx: Fixture,
  persons: PersonPool,
  name: string,
  targets: readonly Target[],
  counterIds: readonly number[],
  okSoFar: { n: number },
): Promise<CaseSummary> {
  let peakRate = 20_000; // bookings/s, a first guess for sizing the person pool; raised as measured
  const personsFor = (ms: number) => (peakRate * ms) / 1000 * 1.5 + clients * 4 + 1_000;

  // Warm-up (not recorded): caches, plans, the baseline pool's connections.
  await persons.ensure(personsFor(WARMUP_MS));
  await baselineRound(engine.baselineDb, counterIds, WARMUP_MS);
  const warm = await bookingRound(engine.db, fx, persons, targets, WARMUP_MS);
  okSoFar.n += warm.ok;
  peakRate = Math.max(warm.rate, 100);
  describeErrors(`${name} warm-up booking`, warm.errors);

  const bookings: BookingRound[] = [];
  const baselines: BaselineRound[] = [];
  let disturbed = 0;
  for (let r = 1; r <= rounds && !interrupted; r++) {
    const { result: base, disturbance: d1 } = await watched(engine.disturbance, () => baselineRound(engine.baselineDb, counterIds, durationMs));
    baselines.push(base);
    describeErrors(`${name} round ${r} baseline`, base.errors);

    await persons.ensure(personsFor(durationMs));
    const { result: book, disturbance: d2 } = await watched(engine.disturbance, () => bookingRound(engine.db, fx, persons, targets, durationMs));
    bookings.push(book);
    const d = d1 && (!d2 || d1.ageS >= d2.ageS) ? d1 : d2;
    if (d) disturbed++;
    okSoFar.n += book.ok;
    peakRate = Math.max(peakRate, book.rate);
    describeErrors(`${name} round ${r} booking`, book.errors);
    if (book.codes.size > 0) problems.push(`${name} round ${r}: bookings not OK with unlimited capacity${codesText(book.codes)}`);
    if (book.exhausted) problems.push(`${name} round ${r}: the person pool ran out; the round ended early`);

    console.log(
      `  ${name.padEnd(6)} round ${r}: baseline ${fmtRate(base.rate)} UPDATE/s (p50 ${fmtMs(percentile(base.latenciesMs, 50))} ms)` +
        ` | booking ${fmtRate(book.rate)}/s (${book.ok.toLocaleString('en-US')} in ${(book.elapsedMs / 1000).toFixed(2)} s,` +
        ` ${book.batchSizes.length.toLocaleString('en-US')} batches, avg batch ${mean(book.batchSizes).toFixed(1)}` +
        ` (p50 ${percentile(book.batchSizes, 50)}, max ${Math.max(0, ...book.batchSizes)}, size-1 ${book.batchSizes.filter((n) => n === 1).length}),` +
        ` avg batch time ${fmtMs(mean(book.batchMs))} ms, p50 ${fmtMs(percentile(book.latenciesMs, 50))} ms,` +
        ` p99 ${fmtMs(percentile(book.latenciesMs, 99))} ms${codesText(book.codes)})` +
        ` → ${fmtRatio(book.rate / base.rate)}${disturbanceText(d)}`,
    );
  }

  const check = await checkOversell(engine.db, fx.campaign.id);
  const oversellOk = check.oversold === 0 && check.negative === 0 && check.mismatched === 0 && check.confirmed === okSoFar.n;
  const oversellText = oversellOk ? '0' : `FAIL (oversold ${check.oversold})`;
  console.log(
    `  ${name.padEnd(6)} check: ${check.confirmed.toLocaleString('en-US')} confirmed reservations (OK answers so far ${okSoFar.n.toLocaleString('en-US')}),` +
      ` ${check.bookedDoses.toLocaleString('en-US')} doses booked; slots with capacity - remaining ≠ booked doses: ${check.mismatched},` +
      ` remaining < 0: ${check.negative} → oversell: ${oversellText}`,
  );
  if (!oversellOk) problems.push(`${engine.label} ${name}: oversell check failed ${JSON.stringify(check)} (OK answers ${okSoFar.n})`);

  const allLat = bookings.flatMap((b) => b.latenciesMs);
  const ratios = bookings.map((b, i) => b.rate / (baselines[i] as BaselineRound).rate);
  return {
    name,
    bookingRate: median(bookings.map((b) => b.rate)),
    baselineRate: median(baselines.map((b) => b.rate)),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    p50: percentile(allLat, 50),
    p99: percentile(allLat, 99),
    avgBatch: mean(bookings.flatMap((b) => b.batchSizes)),
    oversell: oversellText,
    cleanRounds: `${bookings.length - disturbed}/${bookings.length}`,
  };
}

/** A small clinic-day booked until full: exactly its capacity is sold, every other answer SLOT_FULL. */
async function selloutCheck(engine: Engine, fx: Fixture, persons: PersonPool, okSoFar: { n: number }): Promise<string> {
  await persons.ensure(SELLOUT_CAPACITY + clients * 4);
  const res = await bookingRound(engine.db, fx, persons, [fx.sellout], 60_000, true);
  okSoFar.n += res.ok;
  describeErrors('sell-out', res.errors);
  const slot = await engine.db.query<{ capacity: number; remaining: number }>(
    'SELECT capacity, remaining FROM slot WHERE campaign_id = $1 AND clinic_id = $2 AND day = $3 AND dose = 1',
    [fx.campaign.id, fx.sellout.clinicId, fx.sellout.day1],
  );
  const s = slot.rows[0];
  const full = res.codes.get('SLOT_FULL') ?? 0;
  const others = [...res.codes].filter(([k]) => k !== 'SLOT_FULL');
  const good = res.ok === SELLOUT_CAPACITY && s?.remaining === 0 && full >= clients && others.length === 0 && !res.exhausted;
  const text =
    `capacity ${SELLOUT_CAPACITY} on ${fx.sellout.clinicId} ${fx.sellout.day1}: ${res.ok} OK, ${full} SLOT_FULL` +
    `${others.length ? `, other ${others.map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}, remaining ${s?.remaining}` +
    ` (${fmtRate(res.rate)} bookings/s, avg batch ${mean(res.batchSizes).toFixed(1)}) → ${good ? 'sold exactly out' : 'FAIL'}`;
  if (!good) problems.push(`${engine.label} sell-out: ${text}`);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Main

interface EngineReport {
  label: string;
  version: string;
  cases: CaseSummary[];
  sellout: string;
}

async function benchEngine(kind: 'pglite' | 'postgres'): Promise<EngineReport | null> {
  const t0 = performance.now();
  const engine = kind === 'pglite' ? await openPgliteEngine() : await openPostgresEngine(pgUrl as string);
  try {
    console.log(`\n== ${engine.label} ==`);
    console.log(`  engine: ${engine.version}`);
    console.log(`  load average (1/5/15 min): ${loadAverage()}`);
    for (const n of engine.notes) console.log(`  note: ${n}`);
    const fx = await setUp(engine.db);
    const persons = new PersonPool(engine.db);
    const counterIds = Array.from({ length: SPREAD_CLINIC_DAYS }, (_, i) => i + 1);
    console.log(
      `  setup: migrate + seed ${SCENARIO} (${CLINICS} clinics, ${fx.slots.toLocaleString('en-US')} slots) + capacity boost in ${((performance.now() - t0) / 1000).toFixed(1)} s;` +
        ` hot clinic-day ${fx.hot.clinicId} ${fx.hot.day1} (dose 2 ${fx.hot.day2}); spread over ${fx.spread.length} clinic-days`,
    );
    const okSoFar = { n: 0 };
    const cases: CaseSummary[] = [];
    cases.push(await runCase(engine, fx, persons, 'hot', [fx.hot], [1], okSoFar));
    if (!interrupted) cases.push(await runCase(engine, fx, persons, 'spread', fx.spread, counterIds, okSoFar));
    const sellout = interrupted ? 'skipped (interrupted)' : await selloutCheck(engine, fx, persons, okSoFar);
    console.log(`  sell-out check: ${sellout}`);
    console.log(`  (${engine.label}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
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

async function main(): Promise<void> {
  const started = performance.now();
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
  console.log(`\ntotal time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (problems.length > 0 || interrupted) {
    console.error(`\nbench:booking FAILED${interrupted ? ' (interrupted)' : ''}:`);
    for (const p of problems) console.error(`  - ${p}`);
    process.exitCode = 1;
  } else {
    console.log('oversell: 0 on every engine and case');
  }
}

await main();
