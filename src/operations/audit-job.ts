/**
 * The auditor in the background (issue #10): every node runs the timer, and a round is one
 * transaction that takes the auditor's advisory lock (pg_try_advisory_xact_lock: one round at a
 * time in the cluster), reads the latest round (invariant_audit_run) and, when another node ran
 * one within FRESH_SHARE of the interval, takes its report instead of auditing again — so N nodes
 * run about one round per interval between them. A round that ran writes its report there, sets
 * the gauges and, when what is broken changed, logs ONE line at error level naming each broken
 * check and its count (no ids, no parameters, nothing personal). On PGlite there is one
 * process and one session; its transactions run one after the other, and the freshness rule alone
 * keeps a second job from running the same round.
 */
import { hostname } from 'node:os';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import type { Metrics } from '../core/metrics.ts';
import { auditIn, type AuditReport, type PassStore } from './audit.ts';
import { readLatestRound, tryAuditLock, writeLatestRound, type StoredRound } from './audit-sql.ts';

/** A round younger than this share of the interval is taken as this interval's round. */
export const FRESH_SHARE = 0.9;

export interface AuditJobSettings {
  /** Between rounds; 0: no background rounds (GET and POST /admin/audit still work). */
  readonly auditIntervalMs: number;
}

export interface AuditLog {
  error(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
}

export interface AuditJobDeps {
  db: Db;
  clock: Clock;
  metrics: Pick<Metrics, 'auditViolations' | 'auditRuns' | 'auditLastRunSeconds' | 'auditDurationSeconds'>;
  log: AuditLog;
  /** The Redis waiting room, when the node has one (pass_spent). */
  passStore?: PassStore | null;
  /** Who ran a round, in invariant_audit_run (default host:pid). */
  node?: string;
}

/** What one round did: ran the checks, took another node's fresh round, or found the lock held. */
export type AuditRound = { kind: 'ran'; report: AuditReport } | { kind: 'fresh'; latest: LatestRound } | { kind: 'locked' };

/** The latest round as stored, any node's. */
export interface LatestRound {
  ranAt: string;
  node: string;
  report: AuditReport;
}

export class AuditJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<AuditRound> | null = null;
  /** What was broken at the last round this node saw ("check=count,…"): the alert is logged on a change. */
  private brokenSeen = '';
  private readonly node: string;

  constructor(
    private readonly deps: AuditJobDeps,
    private readonly settings: AuditJobSettings,
  ) {
    this.node = deps.node ?? `${hostname()}:${process.pid}`;
  }

  /**
   * One round (the timer's; `force`: POST /admin/audit, runs even after a fresh round). A call
   * while this node's round is in flight shares it.
   */
  runRound(force = false): Promise<AuditRound> {
    this.running ??= this.round(force).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** The latest round any node stored, or null before the first. */
  async latest(): Promise<LatestRound | null> {
    return latestOf(await readLatestRound(this.deps.db));
  }

  private async round(force: boolean): Promise<AuditRound> {
    const { db, clock } = this.deps;
    let round: AuditRound;
    try {
      round = await db.transaction(async (tx): Promise<AuditRound> => {
        if (!(await tryAuditLock(tx))) return { kind: 'locked' };
        const latest = latestOf(await readLatestRound(tx));
        if (!force && latest && clock.nowMs() - Date.parse(latest.ranAt) < this.settings.auditIntervalMs * FRESH_SHARE) return { kind: 'fresh', latest };
        const report = await auditIn(tx, { clock, passStore: this.deps.passStore ?? null, background: true });
        await writeLatestRound(tx, { ranAt: report.startedAt, node: this.node, ok: report.ok, report });
        return { kind: 'ran', report };
      });
    } catch (e) {
      this.deps.metrics.auditRuns.inc({ outcome: 'error' });
      throw e;
    }
    this.record(round);
    return round;
  }

  private record(round: AuditRound): void {
    const m = this.deps.metrics;
    if (round.kind === 'locked') {
      m.auditRuns.inc({ outcome: 'skipped' });
      return;
    }
    const report = round.kind === 'ran' ? round.report : round.latest.report;
    m.auditRuns.inc({ outcome: round.kind === 'fresh' ? 'skipped' : report.ok ? 'ok' : 'broken' });
    for (const c of report.checks) m.auditViolations.set({ check: c.check }, c.violations);
    m.auditLastRunSeconds.set(Date.parse(report.startedAt) / 1000);
    m.auditDurationSeconds.set(report.durationMs / 1000);
    const broken = report.checks.filter((c) => !c.ok);
    const seen = broken.map((c) => `${c.check}=${c.violations}`).join(', ');
    // Another node's round was alerted by that node; this one only remembers what it said.
    if (round.kind === 'ran' && seen !== this.brokenSeen) {
      if (broken.length > 0) {
        this.deps.log.error({ broken: Object.fromEntries(broken.map((c) => [c.check, c.violations])) }, `invariant audit: broken ${seen}`);
      } else {
        this.deps.log.info({}, 'invariant audit: every invariant holds again');
      }
    }
    this.brokenSeen = seen;
  }

  /** Rounds every auditIntervalMs (none when 0; never two at once on this node); errors go to `onError`. */
  start(onError: (e: unknown) => void): void {
    if (this.timer || this.settings.auditIntervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.runRound().catch(onError);
    }, this.settings.auditIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}

function latestOf(stored: StoredRound | null): LatestRound | null {
  return stored ? { ranAt: stored.ranAt, node: stored.node, report: stored.report as AuditReport } : null;
}
