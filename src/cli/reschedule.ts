/**
 * `yeyak reschedule --plan FILE [--dry-run] [--resume JOB_ID]`: a bulk dose-2 move from the
 * terminal (src/reschedule/). The dry run prints what would move (per new day) and who would not
 * fit, writing nothing. A real run makes the job and runs it here with a progress bar (rate,
 * ETA); the first Ctrl-C stops after the batch in flight and prints how to resume; a second one
 * leaves at once (that batch's transaction rolls back). Exit 0 done, 1 failed, 2 could not start,
 * 130 stopped by Ctrl-C (resumable).
 */
import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { StartableClock } from '../core/clock.ts';
import type { Config } from '../core/config.ts';
import { DataDirBusyError } from '../core/data-dir-lock.ts';
import type { Db } from '../core/db.ts';
import { isYeyakError } from '../core/errors.ts';
import { RescheduleService, RESCHEDULE_LEASE_MS, defaultOwner, type DryRunResult } from '../reschedule/service.ts';
import type { JobRow } from '../reschedule/sql.ts';
import { clockFor, openStore, StartError } from '../server.ts';

export interface RescheduleCommandOptions {
  plan?: string;
  dryRun?: boolean;
  resume?: number;
  /** How long the job's lease lasts without a renewal (tests shorten it). */
  leaseMs?: number;
}

const UNFIT_SHOWN = 10;

function readPlan(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new StartError(`--plan ${file}: cannot read it (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new StartError(`--plan ${file}: not valid JSON`);
  }
}

function formatDryRun(r: DryRunResult): string {
  const lines = [
    `Dry run (nothing written): ${r.plan.campaignId}, ${r.plan.vaccineId}, dose 1 ${r.plan.dose1From}…${r.plan.dose1To}, interval ${r.plan.interval.minDays}–${r.plan.interval.maxDays} days (${r.plan.pick})`,
    `  in scope ${r.total}: would move ${r.moved}, would not fit ${r.unfit}, already fit or skipped ${r.skipped} (${r.batches} batches of ${r.plan.batchSize})`,
    '  new dose-2 day   moved',
    ...r.movedPerDay.map((d) => `  ${d.day}       ${String(d.moved).padStart(7)}`),
  ];
  if (r.unfit > 0) {
    lines.push(`  would not fit (first ${Math.min(UNFIT_SHOWN, r.unfitHead.length)} of ${r.unfit}): booking, clinic, dose 1, kept dose 2, reason`);
    for (const u of r.unfitHead.slice(0, UNFIT_SHOWN)) lines.push(`  ${u.bookingNumber}  ${u.clinicId}  ${u.day1}  ${u.day2 ?? '-'}  ${u.reason}`);
  }
  return lines.join('\n');
}

function failure(e: unknown): StartError {
  if (isYeyakError(e)) return new StartError(`${e.message}${e.details ? `\n${JSON.stringify(e.details)}` : ''}`);
  return e instanceof StartError ? e : new StartError(e instanceof Error ? e.message : String(e));
}

/** Waits for a dead runner's lease to lapse (a killed CLI): at most one lease length. */
async function waitForLease(service: RescheduleService, job: JobRow, now: () => Date): Promise<void> {
  if (job.state !== 'running' || !job.leaseUntil) return;
  const waitMs = new Date(job.leaseUntil).getTime() - now().getTime();
  if (waitMs <= 0) return;
  console.error(`job ${job.id} is held by ${job.leaseOwner} until ${job.leaseUntil}; waiting for that lease to lapse (${Math.ceil(waitMs / 1000)} s)…`);
  await new Promise((r) => setTimeout(r, waitMs + 50));
  const again = await service.job(job.id);
  if (again?.state === 'running' && again.leaseOwner !== job.leaseOwner) throw new StartError(`job ${job.id} was taken by ${again.leaseOwner}`);
}

async function runWithBar(service: RescheduleService, job: JobRow, opts: RescheduleCommandOptions): Promise<number> {
  let stopping = false;
  const onSigint = () => {
    if (stopping) process.exit(130); // the batch in flight rolls back: nothing half-done
    stopping = true;
    console.error('\nstopping after the current batch… (Ctrl-C again to leave now)');
  };
  process.on('SIGINT', onSigint);
  const bar = new cliProgress.SingleBar(
    { format: ' moving [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} | moved {moved}, unfit {unfit}', stream: process.stderr, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(job.total, job.examined), job.examined, { rate: 0, moved: job.moved, unfit: job.unfit });
  const firstExamined = job.examined;
  try {
    const end = await service.run(job.id, {
      owner: `cli:${defaultOwner()}`,
      leaseMs: opts.leaseMs ?? RESCHEDULE_LEASE_MS,
      shouldStop: () => stopping,
      onBatch: (p) => {
        if (p.job.examined > bar.getTotal()) bar.setTotal(p.job.examined); // bookings made since the job started
        const rate = Math.round(((p.job.examined - firstExamined) * 1000) / Math.max(1, p.elapsedMs));
        bar.update(p.job.examined, { rate, moved: p.job.moved, unfit: p.job.unfit });
      },
    });
    bar.stop();
    const done = await service.job(job.id);
    if (!done) throw new StartError(`job ${job.id} vanished`);
    console.log(`job ${done.id}: ${done.state}; moved ${done.moved}, not fit ${done.unfit}, skipped ${done.skipped} of ${done.examined} examined (${done.batches} batches)`);
    if (done.unfit > 0) {
      for (const u of await service.unfit(done.id, UNFIT_SHOWN)) console.log(`  not fit: ${u.bookingNumber}  ${u.clinicId}  ${u.day1}  ${u.day2 ?? '-'}  ${u.reason}`);
      console.log(`  the whole list: GET /api/v1/admin/reschedules/${done.id} (console: 운영 → 2차 일괄 변경)`);
    }
    if (end === 'paused') {
      console.log(`stopped after reservation id ${done.cursor}; resume with: npx yeyak reschedule --resume ${done.id}`);
      return 130;
    }
    if (end !== 'done') throw new StartError(`job ${job.id}: ${end === 'lease_lost' ? 'another runner took it over' : 'not runnable (see its state)'}`);
    return 0;
  } catch (e) {
    bar.stop();
    if (e instanceof StartError) throw e;
    console.error(`job ${job.id} failed: ${e instanceof Error ? e.message : String(e)}; resume with: npx yeyak reschedule --resume ${job.id}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Returns the exit code; a StartError means "could not start" (exit 2). */
export async function rescheduleCommand(config: Config, opts: RescheduleCommandOptions): Promise<number> {
  if (opts.plan === undefined && opts.resume === undefined) throw new StartError('give --plan FILE (a new move) or --resume JOB_ID');
  if (opts.resume !== undefined && opts.dryRun) throw new StartError('--dry-run goes with --plan, not --resume');
  const planInput = opts.plan !== undefined ? readPlan(opts.plan) : null;
  let db: Db;
  try {
    db = await openStore(config, (line) => console.error(line), 'reschedule');
  } catch (e) {
    if (e instanceof DataDirBusyError) throw new StartError(`${e.message}\nA running server runs moves itself: POST /api/v1/admin/reschedules with an operator token, or the console.`);
    throw e;
  }
  const clock = clockFor(config);
  if (clock instanceof StartableClock) clock.start(); // YEYAK_NOW runs forward from now: leases lapse
  const service = new RescheduleService(db, clock);
  try {
    if (opts.dryRun) {
      console.log(formatDryRun(await service.dryRun(planInput).catch((e: unknown) => Promise.reject(failure(e)))));
      return 0;
    }
    let job: JobRow;
    if (opts.resume !== undefined) {
      const found = await service.job(opts.resume);
      if (!found) throw new StartError(`no reschedule job ${opts.resume} in ${db.describe()}`);
      job = found;
      if (planInput !== null && JSON.stringify((await service.validate(planInput).catch((e: unknown) => Promise.reject(failure(e)))).plan) !== JSON.stringify(job.plan)) {
        throw new StartError(`--plan differs from job ${job.id}'s plan; resume without --plan`);
      }
      if (job.state === 'done') throw new StartError(`job ${job.id} is done (moved ${job.moved}, not fit ${job.unfit})`);
      if (job.state === 'paused' || job.state === 'failed') job = (await service.resume(job.id)) ?? job;
      await waitForLease(service, job, () => clock.now());
    } else {
      job = await service.create(planInput, `cli:${defaultOwner()}`).catch((e: unknown) => Promise.reject(failure(e)));
      console.error(`job ${job.id}: ${job.total} reservations in scope`);
    }
    return await runWithBar(service, job, opts);
  } finally {
    await db.close();
  }
}
