/**
 * The outbox worker: every `intervalMs` it claims a batch of due notices under a lease (one
 * statement, sql.ts), renders each (templates.ts: typed dictionaries, CP949 length rules), takes
 * a permit of the provider's rate (rate.ts), sends it with its idempotency key and marks it —
 * sent, failed (retried after a jittered exponential backoff, backoff.ts) or dead after
 * `attemptsMax` tries or a permanent refusal. Delivery is at least once: a worker that dies after
 * sending and before marking leaves its rows leased until `leaseMs` passes; another worker then
 * sends them again with the same key, which the provider drops. Marks apply only under the
 * claim's own lease token, so a late worker never overwrites another's outcome.
 *
 * Row state machine: pending → (claimed: leased) → sent | pending (next_attempt_at later) | dead;
 * dead → pending by an operator (routes.ts). A lapsed lease makes a leased row claimable again.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { backoffDelayMs } from './backoff.ts';
import type { NotifyMetrics } from './metrics.ts';
import { idempotencyKeyOf, type NoticeProvider, type SendResult } from './provider.ts';
import type { RateLimiter } from './rate.ts';
import { claimNotices, markFailed, markSent, releaseLeases, type ClaimedNotice } from './sql.ts';
import { render, noticeLang, type NoticeFacts } from './templates.ts';

export interface OutboxWorkerSettings {
  /** Between passes; 0: no timer (passes run only when called: tests, tools). */
  readonly intervalMs: number;
  /** A claimed row is this worker's for this long; then another worker may send it again. */
  readonly leaseMs: number;
  /** Tries before a notice is dead. */
  readonly attemptsMax: number;
  /** Rows per claim. */
  readonly batchMax?: number;
}

export const OUTBOX_BATCH_MAX = 50; // rows per claim: at 50/s, one second of sending per lease
/** A provider call that takes longer is counted a retryable failure (the SDK's fetch has no timeout of its own). */
export const SEND_TIMEOUT_MS = 30_000;

/** Rows per claim: no more than half a lease's worth at the rate, so a batch is sent before its lease lapses. */
export function batchSizeFor(ratePerS: number, leaseMs: number): number {
  return Math.max(1, Math.min(OUTBOX_BATCH_MAX, Math.floor((ratePerS * leaseMs) / 2_000)));
}

export interface OutboxWorkerDeps {
  db: Db;
  clock: Clock;
  provider: NoticeProvider;
  limiter: RateLimiter;
  metrics: NotifyMetrics | null;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;
  /** [0, 1); default Math.random (jitter). */
  random?: () => number;
  /** Waits for the rate's next window; default a timer that stop() cuts short. */
  sleep?: (ms: number) => Promise<void>;
  /** Names this worker in leased_by (default host:pid:random). */
  workerId?: string;
}

/** What one pass did. */
export interface PassResult {
  claimed: number;
  sent: number;
  failed: number;
  dead: number;
  /** Marks that found the row no longer under this claim (another worker took it after the lease lapsed). */
  lost: number;
}

export class OutboxWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PassResult> | null = null;
  private stopping = false;
  private claims = 0;
  private readonly workerId: string;
  private readonly wakeSleepers = new Set<() => void>();

  constructor(
    private readonly deps: OutboxWorkerDeps,
    private readonly settings: OutboxWorkerSettings,
  ) {
    this.workerId = deps.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  }

  /** One pass now (a pass in flight is shared). */
  runOnce(): Promise<PassResult> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  start(): void {
    if (this.timer || this.settings.intervalMs <= 0) return;
    this.stopping = false;
    this.schedule(this.settings.intervalMs);
  }

  /** Stops the timer and waits for the sends in flight (unsent claimed rows are released). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const wake of this.wakeSleepers) wake();
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runOnce()
        .then((r) => (this.stopping ? undefined : this.schedule(r.claimed >= this.batchMax ? 0 : this.settings.intervalMs)))
        .catch((e: unknown) => {
          this.deps.log('warn', 'outbox pass failed', { err: e instanceof Error ? e.name : 'unknown' });
          if (!this.stopping) this.schedule(this.settings.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private get batchMax(): number {
    return this.settings.batchMax ?? OUTBOX_BATCH_MAX;
  }

  private async pass(): Promise<PassResult> {
    const { db, clock } = this.deps;
    const lease = `${this.workerId}#${++this.claims}`;
    const now = clock.now();
    const leaseUntilMs = now.getTime() + this.settings.leaseMs;
    const rows = await claimNotices(db, { now, leaseUntil: new Date(leaseUntilMs), lease, limit: this.batchMax });
    const result: PassResult = { claimed: rows.length, sent: 0, failed: 0, dead: 0, lost: 0 };
    const left = rows.map((r) => r.id);
    try {
      for (const row of rows) {
        // A row past its lease may be another worker's by now: not sent from here.
        if (this.stopping || clock.nowMs() >= leaseUntilMs || !(await this.deliver(row, lease, result))) break;
        left.shift();
      }
    } finally {
      // Stopped mid-batch, out of lease, or failed (Redis or the store away): the rest go back at
      // once instead of waiting for the lease to lapse (a row sent but not marked is sent again, same key).
      if (left.length > 0) await releaseLeases(db, left, lease).catch(() => undefined);
    }
    return result;
  }

  /** Sends and marks one row; false when stopped before sending it. */
  private async deliver(row: ClaimedNotice, lease: string, result: PassResult): Promise<boolean> {
    const { provider } = this.deps;
    const rendering = render(row.topic, row.payload, factsOf(row));
    let outcome: SendResult;
    if (!rendering.ok) outcome = { ok: false, retryable: false, error: `${rendering.code}: ${rendering.detail}` };
    else if (!row.phone) outcome = { ok: false, retryable: false, error: 'NOTICE_NO_RECIPIENT: no phone for this notice' };
    else {
      if (!(await this.permit())) return false; // stopping while waiting for the rate: not sent, released
      const message = { id: row.id, topic: row.topic, to: row.phone, text: rendering.text, kind: rendering.kind, bytes: rendering.bytes, lang: rendering.lang };
      outcome = await withTimeout(provider.send(message, idempotencyKeyOf(row.id)), SEND_TIMEOUT_MS).catch(
        (e: unknown): SendResult => ({ ok: false, retryable: true, error: `PROVIDER_THREW: ${e instanceof Error ? e.name : 'unknown'}` }),
      );
    }
    await this.mark(row, lease, outcome, result);
    return true;
  }

  private async mark(row: ClaimedNotice, lease: string, outcome: SendResult, result: PassResult): Promise<void> {
    const { db, clock, metrics, provider } = this.deps;
    const now = clock.now();
    if (outcome.ok) {
      if (await markSent(db, { id: row.id, lease, now, channel: outcome.channel })) {
        result.sent += 1;
        metrics?.sent.inc({ provider: provider.name, topic: row.topic });
      } else result.lost += 1;
      return;
    }
    metrics?.failed.inc({ provider: provider.name, topic: row.topic, retryable: String(outcome.retryable) });
    const nextAttemptAt = new Date(now.getTime() + backoffDelayMs(row.attempts + 1, this.deps.random ?? Math.random));
    const state = await markFailed(db, { id: row.id, lease, now, nextAttemptAt, error: outcome.error, attemptsMax: this.settings.attemptsMax, permanent: !outcome.retryable });
    if (state === null) result.lost += 1;
    else if (state === 'dead') {
      result.dead += 1;
      this.deps.log('warn', 'notice dead-lettered', { notice: row.id, topic: row.topic, error: outcome.error.slice(0, 80) });
    } else result.failed += 1;
  }

  /** Waits for a permit of the provider's rate; false when the worker stops meanwhile. */
  private async permit(): Promise<boolean> {
    for (;;) {
      if (this.stopping) return false;
      const p = await this.deps.limiter.take();
      if (p.granted) return true;
      await (this.deps.sleep ?? ((ms) => this.sleep(ms)))(p.retryAfterMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakeSleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakeSleepers.add(done);
    });
  }
}

/** The send's answer, or a retryable timeout (the call itself is not cancelled: the key covers a late success). */
function withTimeout(send: Promise<SendResult>, ms: number): Promise<SendResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<SendResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, retryable: true, error: 'PROVIDER_TIMEOUT' }), ms);
    timer.unref();
  });
  return Promise.race([send, timeout]).finally(() => clearTimeout(timer));
}

/** The facts in the notice's language. */
function factsOf(row: ClaimedNotice): NoticeFacts {
  const en = noticeLang(row.payload) === 'en';
  return {
    personName: row.personName,
    clinicName: row.clinicName,
    vaccineName: en ? row.vaccineNameEn : row.vaccineNameKo,
    campaignName: en ? row.campaignNameEn : row.campaignNameKo,
  };
}
