/**
 * The invariant auditor (issue #10): proves from the store itself that nothing was lost or given
 * twice. Each check is one set-based statement (audit-sql.ts) answering a count and up to 10
 * example ids; `runAudit` runs them all, `yeyak audit` prints them, the background job
 * (audit-job.ts) runs them on one node per interval, and the fault suite calls `runAudit` after
 * breaking things.
 *
 * What is covered, and by what:
 * - slot_capacity — per slot, capacity − remaining = live doses on it, 0 ≤ remaining ≤ capacity;
 * - one_live_reservation — no person with two confirmed reservations in a campaign;
 * - dose2_matches_dose1 — dose 1 exists, dose 2 exists iff the campaign has one, at dose 1's
 *   clinic and vaccine, on the day rules/dose-dates.ts gives (interval, blackout shifts);
 * - supply_allocated — per delivery, allocated = the capacity drawn on it ≤ doses delivered;
 * - pass_places — the waiting-room places the database records (verify-first people's places,
 *   the checkpoint's counters): no place held twice, none beyond what was recorded as issued;
 * - pass_spent — only with a Redis waiting room: no spent position holds a pass again, none was
 *   spent (or holds a pass) without being admitted. The in-process store's spent bitset lives in
 *   the server's memory only, and is not audited.
 */
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import type { Db, Queryable } from '../core/db.ts';
import { dose2Day } from '../rules/dose-dates.ts';
import { addDays } from '../rules/time.ts';
import * as sql from './audit-sql.ts';
import { spentPositions, type PassStore } from './audit-redis.ts';

export type { PassStore } from './audit-redis.ts';

export const AUDIT_CHECKS = ['slot_capacity', 'one_live_reservation', 'dose2_matches_dose1', 'supply_allocated', 'pass_places', 'pass_spent'] as const;
export type AuditCheckName = (typeof AUDIT_CHECKS)[number];

/** What a check's example ids are. */
export type ExampleKind = 'slot' | 'booking' | 'supply' | 'place' | 'position';

export interface AuditCheckResult {
  check: AuditCheckName;
  ok: boolean;
  violations: number;
  /** Up to 10 ids of what breaks it (slot ids, booking numbers, supply ids, `campaign:position`). */
  examples: string[];
  exampleKind: ExampleKind;
  durationMs: number;
}

export interface AuditReport {
  /** Every check that ran holds. */
  ok: boolean;
  /** When the round started (the injected clock), ISO-8601. */
  startedAt: string;
  durationMs: number;
  /** The campaign audited, or null for all. */
  campaignId: string | null;
  checks: AuditCheckResult[];
}

export interface AuditOptions {
  /** Audit one campaign only (default: every campaign). */
  campaignId?: string | null;
  clock?: Clock;
  /** A Redis waiting room to audit too (pass_spent); without it that check does not run. */
  passStore?: PassStore | null;
  /** Per statement (default AUDIT_STATEMENT_TIMEOUT_MS): above a node's 5 s for bookings. */
  statementTimeoutMs?: number;
  /**
   * A round beside live traffic (AuditJob): one backend, no parallel workers, so it takes one
   * core, not three (1M reservations: 8.1–10.2 s instead of 5.9–6.9 s, docs/ARCHITECTURE.md).
   */
  background?: boolean;
}

/** A full pass over a million reservations takes seconds, not the booking path's 5 s. */
export const AUDIT_STATEMENT_TIMEOUT_MS = 120_000;

/** Runs every check in one transaction (no lock: callers that need one node only use AuditJob). */
export async function runAudit(db: Db, opts: AuditOptions = {}): Promise<AuditReport> {
  return db.transaction((tx) => auditIn(tx, opts));
}

/** The checks, inside the caller's transaction (AuditJob holds the lock in it). */
export async function auditIn(tx: Queryable, opts: AuditOptions): Promise<AuditReport> {
  const clock = opts.clock ?? systemClock;
  const campaignId = opts.campaignId ?? null;
  const startedAt = clock.now().toISOString();
  const start = clock.monotonicMs();
  const timeoutMs = Math.floor(opts.statementTimeoutMs ?? AUDIT_STATEMENT_TIMEOUT_MS);
  // SET takes no parameter; the value is an integer from this file or the caller's code.
  await tx.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
  if (opts.background) await tx.query('SET LOCAL max_parallel_workers_per_gather = 0');
  const checks: AuditCheckResult[] = [];
  const timed = async (check: AuditCheckName, exampleKind: ExampleKind, run: () => Promise<sql.CheckCount>) => {
    const t0 = clock.monotonicMs();
    const r = await run();
    checks.push({ check, ok: r.violations === 0, violations: r.violations, examples: r.examples, exampleKind, durationMs: Math.round(clock.monotonicMs() - t0) });
  };
  await timed('slot_capacity', 'slot', () => sql.slotCapacity(tx, campaignId));
  await timed('one_live_reservation', 'booking', () => sql.oneLiveReservation(tx, campaignId));
  const expected = expectedDose2(await sql.dose2Rules(tx, campaignId));
  await timed('dose2_matches_dose1', 'booking', () => sql.dose2MatchesDose1(tx, campaignId, expected));
  await timed('supply_allocated', 'supply', () => sql.supplyAllocated(tx, campaignId));
  await timed('pass_places', 'place', () => sql.passPlaces(tx, campaignId));
  const passStore = opts.passStore;
  if (passStore) {
    const ids = await sql.campaignIds(tx, campaignId);
    await timed('pass_spent', 'position', () => spentPositions(passStore, ids));
  }
  return { ok: checks.every((c) => c.ok), startedAt, durationMs: Math.round(clock.monotonicMs() - start), campaignId, checks };
}

/**
 * Each dose-1 day's dose-2 day, by the booking path's own rule. A day whose blackouts never end
 * (the rule throws) gets none: a dose 2 booked from it is reported.
 */
export function expectedDose2(rules: readonly sql.Dose2Rule[]): sql.ExpectedDose2 {
  const out: sql.ExpectedDose2 = { campaignIds: [], dose1Days: [], dose2Days: [] };
  for (const rule of rules) {
    for (let day = rule.firstDay; day <= rule.lastDay; day = addDays(day, 1)) {
      let day2: string;
      try {
        day2 = dose2Day(day, rule.intervalDays, rule.blackoutDays, rule.blackoutShiftDays);
      } catch {
        continue;
      }
      out.campaignIds.push(rule.campaignId);
      out.dose1Days.push(day);
      out.dose2Days.push(day2);
    }
  }
  return out;
}

/** Does the campaign exist (the CLI's --campaign)? */
export async function campaignExists(db: Queryable, campaignId: string): Promise<boolean> {
  return (await sql.campaignIds(db, campaignId)).length > 0;
}

/** One line per check, for the terminal. */
export function formatReport(report: AuditReport, storeName: string): string {
  const lines = [
    `Invariant audit of ${storeName}${report.campaignId ? `, campaign ${report.campaignId}` : ''} at ${report.startedAt}: ` +
      `${report.ok ? 'every invariant holds' : 'BROKEN'} (${report.checks.length} checks, ${report.durationMs} ms)`,
  ];
  for (const c of report.checks) {
    const examples = c.examples.length > 0 ? `  e.g. ${c.exampleKind} ${c.examples.join(', ')}` : '';
    lines.push(`  ${c.ok ? 'ok    ' : 'BROKEN'}  ${c.check.padEnd(22)} ${String(c.violations).padStart(8)}  ${String(c.durationMs).padStart(6)} ms${examples}`);
  }
  return lines.join('\n');
}
