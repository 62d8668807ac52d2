/**
 * bench:booking's measurements (bench/booking.ts): one booking round through the service's own
 * batcher factory and submit, one baseline round of the bare conditional UPDATE, the oversell
 * check, and the cases made of them (warm-up, alternating rounds, check; the sell-out).
 */
import type { Db } from '../src/core/db.ts';
import { createBookingBatcher, submitBooking } from '../src/booking/book-batcher.ts';
import { disturbanceText, watched, type Disturbance, type Engine } from './booking-engines.ts';
import { SELLOUT_CAPACITY, type Fixture, type PersonPool, type Target } from './booking-fixture.ts';
import { fmtMs, fmtRate, fmtRatio, mean, median, percentile, runClosedLoop } from './lib.ts';

export const BASELINE_SQL = 'UPDATE bench_counter SET remaining = remaining - 1 WHERE id = $1 AND remaining > 0';
export const WARMUP_MS = 1_000;

/** The run's settings (flags) and its shared state: the problems found, whether Ctrl-C was pressed. */
export interface RunSettings {
  clients: number;
  rounds: number;
  durationMs: number;
  batchMax: number;
  inFlightMax: number;
  queueMax: number;
  interrupted: () => boolean;
  problems: string[];
}

export interface BookingRound {
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
  s: RunSettings,
  db: Db,
  fx: Fixture,
  persons: PersonPool,
  targets: readonly Target[],
  ms: number,
  untilFull = false,
): Promise<BookingRound> {
  const batchSizes: number[] = [];
  const batchMs: number[] = [];
  // The service's own factory (src/booking/book-batcher.ts): Batcher → bookBatch → book_batch().
  const batcher = createBookingBatcher(db, fx.clock, {
    batchMax: s.batchMax,
    queueMax: s.queueMax,
    inFlightMax: s.inFlightMax,
    onBatch: (size, t) => {
      batchSizes.push(size);
      batchMs.push(t);
    },
  });
  const codes = new Map<string, number>();
  let ok = 0;
  let exhausted = false;
  const res = await runClosedLoop(
    s.clients,
    ms,
    async () => {
      const personId = persons.take();
      if (personId === undefined) {
        exhausted = true;
        return false;
      }
      const t = targets.length === 1 ? (targets[0] as Target) : pickFrom(targets);
      // As BookingService.bookAdmitted submits: a fresh booking number while the drawn one is taken.
      const outcome = await submitBooking(batcher, {
        personId,
        campaignId: fx.campaign.id,
        clinicId: t.clinicId,
        day1: t.day1,
        day2: t.day2,
        idemKey: `bench-${personId}`,
        idemHash: t.idemHash,
        caller: `person:${personId}`,
        actor: `person:${personId}`,
        bookedBy: 'self',
      });
      const code = outcome.code;
      if (code === 'OK') ok++;
      else codes.set(code, (codes.get(code) ?? 0) + 1);
      return !(untilFull && code === 'SLOT_FULL');
    },
    s.interrupted,
  );
  await batcher.drain();
  return { ok, rate: (ok * 1000) / res.elapsedMs, elapsedMs: res.elapsedMs, latenciesMs: res.latenciesMs, batchSizes, batchMs, codes, errors: res.errors, exhausted };
}

async function counterTotal(db: Db): Promise<number> {
  const r = await db.query<{ s: number }>('SELECT sum(remaining)::int8 AS s FROM bench_counter');
  return Number(r.rows[0]?.s ?? 0);
}

async function baselineRound(s: RunSettings, db: Db, ids: readonly number[], ms: number): Promise<BaselineRound> {
  const before = await counterTotal(db);
  const res = await runClosedLoop(
    s.clients,
    ms,
    async () => {
      await db.query(BASELINE_SQL, [ids.length === 1 ? ids[0] : pickFrom(ids)]);
      return true;
    },
    s.interrupted,
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

export interface CaseSummary {
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
  /** Each round's bookings/s and baseline UPDATE/s, in order (--json). */
  bookingRounds: number[];
  baselineRounds: number[];
}

function describeErrors(s: RunSettings, where: string, errors: readonly unknown[]): void {
  if (errors.length === 0) return;
  const first = errors[0];
  const msg = first instanceof Error ? first.message : String(first);
  s.problems.push(`${where}: ${errors.length} error(s), first: ${msg}`);
  console.log(`    ! ${where}: ${errors.length} error(s), first: ${msg}`);
}

function codesText(codes: Map<string, number>): string {
  return codes.size === 0 ? '' : `, not OK: ${[...codes].map(([k, v]) => `${k} ${v}`).join(', ')}`;
}

function roundLine(name: string, r: number, base: BaselineRound, book: BookingRound, d: Disturbance | null): string {
  return (
    `  ${name.padEnd(6)} round ${r}: baseline ${fmtRate(base.rate)} UPDATE/s (p50 ${fmtMs(percentile(base.latenciesMs, 50))} ms)` +
    ` | booking ${fmtRate(book.rate)}/s (${book.ok.toLocaleString('en-US')} in ${(book.elapsedMs / 1000).toFixed(2)} s,` +
    ` ${book.batchSizes.length.toLocaleString('en-US')} batches, avg batch ${mean(book.batchSizes).toFixed(1)}` +
    ` (p50 ${percentile(book.batchSizes, 50)}, max ${Math.max(0, ...book.batchSizes)}, size-1 ${book.batchSizes.filter((n) => n === 1).length}),` +
    ` avg batch time ${fmtMs(mean(book.batchMs))} ms, p50 ${fmtMs(percentile(book.latenciesMs, 50))} ms,` +
    ` p99 ${fmtMs(percentile(book.latenciesMs, 99))} ms${codesText(book.codes)})` +
    ` → ${fmtRatio(book.rate / base.rate)}${disturbanceText(d)}`
  );
}

export async function runCase(
  s: RunSettings,
  engine: Engine,
  fx: Fixture,
  persons: PersonPool,
  name: string,
  targets: readonly Target[],
  counterIds: readonly number[],
  okSoFar: { n: number },
): Promise<CaseSummary> {
  let peakRate = 20_000; // bookings/s, a first guess for sizing the person pool; raised as measured
  const personsFor = (ms: number) => (peakRate * ms) / 1000 * 1.5 + s.clients * 4 + 1_000;

  // Warm-up (not recorded): caches, plans, the baseline pool's connections.
  await persons.ensure(personsFor(WARMUP_MS));
  await baselineRound(s, engine.baselineDb, counterIds, WARMUP_MS);
  const warm = await bookingRound(s, engine.db, fx, persons, targets, WARMUP_MS);
  okSoFar.n += warm.ok;
  peakRate = Math.max(warm.rate, 100);
  describeErrors(s, `${name} warm-up booking`, warm.errors);

  const bookings: BookingRound[] = [];
  const baselines: BaselineRound[] = [];
  let disturbed = 0;
  for (let r = 1; r <= s.rounds && !s.interrupted(); r++) {
    const { result: base, disturbance: d1 } = await watched(engine.disturbance, () => baselineRound(s, engine.baselineDb, counterIds, s.durationMs));
    baselines.push(base);
    describeErrors(s, `${name} round ${r} baseline`, base.errors);

    await persons.ensure(personsFor(s.durationMs));
    const { result: book, disturbance: d2 } = await watched(engine.disturbance, () => bookingRound(s, engine.db, fx, persons, targets, s.durationMs));
    bookings.push(book);
    const d = d1 && (!d2 || d1.ageS >= d2.ageS) ? d1 : d2;
    if (d) disturbed++;
    okSoFar.n += book.ok;
    peakRate = Math.max(peakRate, book.rate);
    describeErrors(s, `${name} round ${r} booking`, book.errors);
    if (book.codes.size > 0) s.problems.push(`${name} round ${r}: bookings not OK with unlimited capacity${codesText(book.codes)}`);
    if (book.exhausted) s.problems.push(`${name} round ${r}: the person pool ran out; the round ended early`);

    console.log(roundLine(name, r, base, book, d));
  }

  const check = await checkOversell(engine.db, fx.campaign.id);
  const oversellOk = check.oversold === 0 && check.negative === 0 && check.mismatched === 0 && check.confirmed === okSoFar.n;
  const oversellText = oversellOk ? '0' : `FAIL (oversold ${check.oversold})`;
  console.log(
    `  ${name.padEnd(6)} check: ${check.confirmed.toLocaleString('en-US')} confirmed reservations (OK answers so far ${okSoFar.n.toLocaleString('en-US')}),` +
      ` ${check.bookedDoses.toLocaleString('en-US')} doses booked; slots with capacity - remaining ≠ booked doses: ${check.mismatched},` +
      ` remaining < 0: ${check.negative} → oversell: ${oversellText}`,
  );
  if (!oversellOk) s.problems.push(`${engine.label} ${name}: oversell check failed ${JSON.stringify(check)} (OK answers ${okSoFar.n})`);

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
    bookingRounds: bookings.map((b) => b.rate),
    baselineRounds: baselines.map((b) => b.rate),
  };
}

/** A small clinic-day booked until full: exactly its capacity is sold, every other answer SLOT_FULL. */
export async function selloutCheck(s: RunSettings, engine: Engine, fx: Fixture, persons: PersonPool, okSoFar: { n: number }): Promise<string> {
  await persons.ensure(SELLOUT_CAPACITY + s.clients * 4);
  const res = await bookingRound(s, engine.db, fx, persons, [fx.sellout], 60_000, true);
  okSoFar.n += res.ok;
  describeErrors(s, 'sell-out', res.errors);
  const slot = await engine.db.query<{ capacity: number; remaining: number }>(
    'SELECT capacity, remaining FROM slot WHERE campaign_id = $1 AND clinic_id = $2 AND day = $3 AND dose = 1',
    [fx.campaign.id, fx.sellout.clinicId, fx.sellout.day1],
  );
  const row = slot.rows[0];
  const full = res.codes.get('SLOT_FULL') ?? 0;
  const others = [...res.codes].filter(([k]) => k !== 'SLOT_FULL');
  const good = res.ok === SELLOUT_CAPACITY && row?.remaining === 0 && full >= s.clients && others.length === 0 && !res.exhausted;
  const text =
    `capacity ${SELLOUT_CAPACITY} on ${fx.sellout.clinicId} ${fx.sellout.day1}: ${res.ok} OK, ${full} SLOT_FULL` +
    `${others.length ? `, other ${others.map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}, remaining ${row?.remaining}` +
    ` (${fmtRate(res.rate)} bookings/s, avg batch ${mean(res.batchSizes).toFixed(1)}) → ${good ? 'sold exactly out' : 'FAIL'}`;
  if (!good) s.problems.push(`${engine.label} sell-out: ${text}`);
  return text;
}
