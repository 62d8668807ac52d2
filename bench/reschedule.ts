/**
 * Bulk dose-2 moves on PostgreSQL (issue #11): N confirmed korea-2021-08 reservations (booked by
 * SQL, test/operations/audit-bulk.ts) moved from 6 weeks to 5–6 weeks (35–41 days, first day with
 * room, Chuseok avoided with the 2021 shift of 5 days earlier), one job per vaccine, by
 * RescheduleService.run — one reschedule_batch transaction per batch. Prints reservations/s
 * (median over batches and overall), the notices written and the batch size, against a baseline
 * measured in the same run on the same rows: plain batches of `UPDATE reservation_dose SET day`
 * (the same batch size, one transaction each) — the bare cost of rewriting the dose rows.
 *
 *   node bin/run-ts.js bench/reschedule.ts [--reservations 1000000] [--clinics 2000]
 *                                          [--batch-size 5000] [--json FILE] [--keep]
 *
 * Needs DATABASE_URL (a role that may CREATE DATABASE); works in its own database
 * yeyak_bench_reschedule_<random>, dropped at the end unless --keep. Heavy: at 1,000,000 it writes
 * about 3 GB and takes minutes; not part of `npm test`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { FakeClock, machineMonotonicMs } from '../src/core/clock.ts';
import { openPostgres, type Db } from '../src/core/db.ts';
import { migrate } from '../src/core/migrate.ts';
import { seedScenario } from '../src/scenarios/seed.ts';
import { RescheduleService, type BatchProgress } from '../src/reschedule/service.ts';
import { bookBulk } from '../test/operations/audit-bulk.ts';
import { type BenchFigure, fmtRate, fmtRatio, loadAverage, machineDescription, median } from './lib.ts';

const { values: flags } = parseArgs({
  options: {
    reservations: { type: 'string', default: '1000000' },
    clinics: { type: 'string', default: '2000' },
    'batch-size': { type: 'string', default: '5000' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const reservations = Number(flags.reservations);
const clinics = Number(flags.clinics);
const batchSize = Number(flags['batch-size']);
const CAMPAIGN = 'korea-2021-08';
const NOW = '2021-08-20T12:00:00+09:00';
const NEW_SLOT_CAPACITY = 400; // dose-2 units per clinic on each plan day that had no dose-2 slot
const plan = (vaccineId: string) => ({
  campaignId: CAMPAIGN, vaccineId, dose1From: '2021-08-26', dose1To: '2021-10-02',
  interval: { minDays: 35, maxDays: 41 }, avoidDays: ['2021-09-20', '2021-09-21', '2021-09-22'], shiftDays: -5, batchSize,
});

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Dose-2 slots (and the deliveries behind them) on plan days where a clinic had none. */
async function addPlanDaySlots(db: Db, service: RescheduleService, vaccines: string[]): Promise<number> {
  let added = 0;
  for (const v of vaccines) {
    const { candidates } = await service.validate(plan(v));
    const r = await db.transaction(async (tx) => {
      await tx.query(
        `CREATE TEMP TABLE bench_new ON COMMIT DROP AS
         SELECT DISTINCT s.clinic_id, s.vaccine_id, c.day2, date_trunc('week', c.day2)::date AS week
           FROM slot s JOIN unnest($2::date[], $3::date[]) AS c(day1, day2) ON c.day1 = s.day
          WHERE s.campaign_id = $1 AND s.dose = 1 AND s.vaccine_id = $4
            AND NOT EXISTS (SELECT 1 FROM slot x WHERE x.campaign_id = $1 AND x.clinic_id = s.clinic_id AND x.day = c.day2 AND x.dose = 2 AND x.vaccine_id = s.vaccine_id)`,
        [CAMPAIGN, candidates.map((c) => c.day1), candidates.map((c) => c.day2), v],
      );
      await tx.query(
        `INSERT INTO supply (campaign_id, clinic_id, vaccine_id, week_start, doses)
         SELECT $1, clinic_id, vaccine_id, week, count(*) * $2 FROM bench_new GROUP BY clinic_id, vaccine_id, week
         ON CONFLICT (campaign_id, clinic_id, vaccine_id, week_start) DO UPDATE SET doses = supply.doses + excluded.doses`,
        [CAMPAIGN, NEW_SLOT_CAPACITY],
      );
      return tx.query<{ n: number }>(
        `WITH ins AS (
           INSERT INTO slot (campaign_id, clinic_id, day, dose, vaccine_id, supply_id, capacity, remaining)
           SELECT $1, n.clinic_id, n.day2, 2, n.vaccine_id, p.id, $2, $2 FROM bench_new n
             JOIN supply p ON p.campaign_id = $1 AND p.clinic_id = n.clinic_id AND p.vaccine_id = n.vaccine_id AND p.week_start = n.week
            ORDER BY n.clinic_id, n.day2 RETURNING 1)
         SELECT count(*)::int AS n FROM ins`,
        [CAMPAIGN, NEW_SLOT_CAPACITY],
      );
    });
    added += r.rows[0]?.n ?? 0;
  }
  return added;
}

/** The baseline: the same rows' dose-2 day rewritten in plain batches of the same size. */
async function baseline(db: Db): Promise<{ rates: number[]; rows: number; seconds: number }> {
  const rates: number[] = [];
  let cursor = 0;
  let rows = 0;
  const t0 = machineMonotonicMs();
  for (;;) {
    const b0 = machineMonotonicMs();
    const r = await db.transaction((tx) =>
      tx.query<{ n: number; last: number | null }>(
        `WITH b AS (SELECT id FROM reservation WHERE id > $1 ORDER BY id LIMIT $2),
              u AS (UPDATE reservation_dose d SET day = d.day FROM b WHERE d.reservation_id = b.id AND d.dose = 2 RETURNING d.reservation_id)
         SELECT count(*)::int AS n, max(reservation_id) AS last FROM u`,
        [cursor, batchSize],
      ),
    );
    const n = r.rows[0]?.n ?? 0;
    if (n === 0) break;
    rows += n;
    cursor = Number(r.rows[0]?.last);
    rates.push((n * 1000) / (machineMonotonicMs() - b0));
  }
  return { rates, rows, seconds: (machineMonotonicMs() - t0) / 1000 };
}

/** The median of each tenth of the batches, in order: the run's shape in ten figures (a table cell, not 200). */
function tenths(rates: number[]): number[] {
  const size = Math.max(1, Math.ceil(rates.length / 10));
  const out: number[] = [];
  for (let i = 0; i < rates.length; i += size) out.push(median(rates.slice(i, i + size)));
  return out;
}

/** One job per vaccine, run to the end; reservations/s per batch. */
async function moveAll(service: RescheduleService, vaccines: string[]): Promise<{ rates: number[]; examined: number; moved: number; unfit: number; seconds: number }> {
  const rates: number[] = [];
  let examined = 0;
  let moved = 0;
  let unfit = 0;
  const t = machineMonotonicMs();
  for (const v of vaccines) {
    const job = await service.create(plan(v), 'bench');
    let last = 0;
    let lastAt = machineMonotonicMs();
    const end = await service.run(job.id, {
      onBatch: (p: BatchProgress) => {
        const at = machineMonotonicMs();
        rates.push((p.examined * 1000) / (at - lastAt));
        lastAt = at;
        if (p.job.batches - last >= 20) {
          last = p.job.batches;
          process.stdout.write(`  ${v}: ${p.job.examined.toLocaleString('en')}/${p.job.total.toLocaleString('en')} (${fmtRate(rates[rates.length - 1] ?? 0)}/s)\n`);
        }
      },
    });
    const done = await service.job(job.id);
    if (end !== 'done' || !done) throw new Error(`job ${job.id} ended ${end}`);
    examined += done.examined;
    moved += done.moved;
    unfit += done.unfit;
  }
  const seconds = (machineMonotonicMs() - t) / 1000;
  return { rates, examined, moved, unfit, seconds };
}

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL) throw new Error('bench/reschedule.ts needs DATABASE_URL (PostgreSQL)');
  const name = `yeyak_bench_reschedule_${randomBytes(4).toString('hex')}`;
  console.log(`yeyak bench:reschedule — ${reservations.toLocaleString('en')} reservations' dose 2 moved in batches of ${batchSize} vs plain UPDATE batches`);
  console.log(`machine: ${machineDescription()}; load average ${loadAverage()} at start`);
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), { statementTimeoutMs: 0, poolMax: 4 });
  try {
    const version = (await db.query<{ v: string }>('SELECT current_setting($$server_version$$) AS v')).rows[0]?.v;
    const clock = new FakeClock(NOW);
    const t = machineMonotonicMs();
    await migrate(db);
    await seedScenario(db, { scenario: CAMPAIGN, clock, seed: 7, clinics });
    const booked = await bookBulk(db, CAMPAIGN, reservations, 'RB', '2021-08-10T03:00:00Z');
    const service = new RescheduleService(db, clock);
    const vaccines = (await db.query<{ v: string }>(`SELECT DISTINCT vaccine_id AS v FROM reservation_dose WHERE dose = 1 ORDER BY 1`)).rows.map((r) => r.v);
    const added = await addPlanDaySlots(db, service, vaccines);
    await db.query('VACUUM ANALYZE');
    console.log(`setup: ${booked.toLocaleString('en')} reservations over ${clinics} clinics (${vaccines.join(', ')}), ${added} dose-2 slots added on plan days, ${((machineMonotonicMs() - t) / 1000).toFixed(0)} s`);

    const base = await baseline(db);
    await db.query('VACUUM ANALYZE reservation_dose');
    console.log(`baseline: ${base.rows.toLocaleString('en')} dose-2 rows rewritten in ${base.seconds.toFixed(1)} s, median ${fmtRate(median(base.rates))} rows/s`);

    const { rates, examined, moved, unfit, seconds } = await moveAll(service, vaccines);
    const notices = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'reservation.dose2_moved'`)).rows[0]?.n ?? 0;
    const broken = (await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM slot s LEFT JOIN (SELECT d.slot_id, count(*) AS b FROM reservation_dose d GROUP BY d.slot_id) x ON x.slot_id = s.id
        WHERE coalesce(x.b, 0) + s.remaining <> s.capacity`,
    )).rows[0]?.n ?? -1;
    const overall = examined / seconds;
    const rate = median(rates);
    const baseRate = median(base.rates);
    console.log(`moved: ${moved.toLocaleString('en')} of ${examined.toLocaleString('en')} examined (not fit ${unfit}) in ${seconds.toFixed(1)} s; notices ${notices.toLocaleString('en')}; slots off balance ${broken}`);
    console.log(`reservations/s: median over ${rates.length} batches ${fmtRate(rate)}, overall ${fmtRate(overall)}; baseline ${fmtRate(baseRate)} rows/s; ratio ${fmtRatio(rate / baseRate)} (overall ${fmtRatio(overall / (base.rows / base.seconds))})`);
    const figures: BenchFigure[] = [{
      name: 'bulk dose-2 move on PostgreSQL', unit: 'reservations/s', median: rate, baselineMedian: baseRate, ratio: rate / baseRate, aim: '', rounds: tenths(rates),
      notes: `PostgreSQL ${version}; ${examined} reservations, ${moved} moved, ${unfit} not fit, ${notices} notices; batch ${batchSize}; overall ${fmtRate(overall)}/s in ${seconds.toFixed(0)} s; baseline: plain UPDATE reservation_dose SET day batches of ${batchSize}, overall ${fmtRate(base.rows / base.seconds)} rows/s; load average ${loadAverage()} at end`,
    }];
    if (flags.json) writeFileSync(flags.json, `${JSON.stringify({ figures }, null, 2)}\n`);
  } finally {
    await db.close();
    if (!flags.keep) await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    else console.log(`kept database ${name}`);
  }
}

await main();
