import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import type { RevocationCheck } from './session.ts';

/**
 * Logged-out sessions. Sessions are stateless signed tokens, so logout needs a list of revoked
 * session ids — kept in PostgreSQL (table session_revocation) rather than the waiting-room store:
 * the store may be in-process or may lose its memory (Redis without persistence), and a logout
 * must survive both. The list is bounded: a row lives only until the session would have expired
 * anyway (sessionTtlMs, 30 min), then it is pruned — at most one session lifetime of logouts.
 *
 * The check must be cheap (every authenticated request makes it, booking included), so each node
 * holds the live ids in memory and the check is a Map lookup. A logout on this node is in the
 * Map at once; other nodes learn it within REFRESH_MS (they read rows revoked since their last
 * read, minus an overlap for transactions that committed late).
 */
export const REVOCATION_REFRESH_MS = 1_000; // other nodes see a logout within 1 s
const REFRESH_OVERLAP_MS = 10_000; // re-read 10 s back: covers commits later than their timestamp
const PRUNE_EVERY_MS = 60_000; // delete expired rows once a minute (any node; idempotent)

/** Runs `tick` from time to time until the returned stop function is called. */
export type Schedule = (tick: () => Promise<void>) => () => void;

/** The production schedule: every `ms`, on a timer that does not keep the process alive. */
export function every(ms: number): Schedule {
  return (tick) => {
    const timer = setInterval(() => {
      tick().catch(() => {}); // a missed refresh is retried on the next tick
    }, ms);
    timer.unref();
    return () => clearInterval(timer);
  };
}

export class SessionRevocations implements RevocationCheck {
  /** sid → session expiry (ms). */
  private readonly revoked = new Map<string, number>();
  private readSinceMs = 0;
  private lastPruneMs = 0;
  private stopPolling: (() => void) | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  isRevoked(sid: string): boolean {
    const exp = this.revoked.get(sid);
    if (exp === undefined) return false;
    if (exp <= this.clock.nowMs()) {
      this.revoked.delete(sid); // expired anyway: the token's own expiry refuses it
      return false;
    }
    return true;
  }

  /** Revokes a session: written to the database, and known to this node at once. */
  async revoke(sid: string, personId: number, expMs: number): Promise<void> {
    const now = this.clock.nowMs();
    await this.db.query(
      `INSERT INTO session_revocation (sid, person_id, revoked_at, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sid) DO NOTHING`,
      [sid, personId, new Date(now).toISOString(), new Date(expMs).toISOString()],
    );
    this.revoked.set(sid, expMs);
  }

  /** Reads the rows revoked since the last read (all live rows on the first); prunes expired ones. */
  async refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      const now = this.clock.nowMs();
      const since = Math.max(0, this.readSinceMs - REFRESH_OVERLAP_MS);
      const rows = await this.db.query<{ sid: string; expires_at: Date | string }>(
        `SELECT sid, expires_at FROM session_revocation WHERE revoked_at >= $1 AND expires_at > $2`,
        [new Date(since).toISOString(), new Date(now).toISOString()],
      );
      for (const r of rows.rows) this.revoked.set(r.sid, new Date(r.expires_at).getTime());
      this.readSinceMs = now;
      for (const [sid, exp] of this.revoked) if (exp <= now) this.revoked.delete(sid);
      if (now - this.lastPruneMs >= PRUNE_EVERY_MS) {
        this.lastPruneMs = now;
        await this.db.query('DELETE FROM session_revocation WHERE expires_at <= $1', [new Date(now).toISOString()]);
      }
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Polls with `schedule` (tests inject one they drive by hand: no sleeping). */
  start(schedule: Schedule = every(REVOCATION_REFRESH_MS)): void {
    if (this.stopPolling) return;
    this.stopPolling = schedule(() => this.refresh());
  }

  async stop(): Promise<void> {
    this.stopPolling?.();
    this.stopPolling = null;
    await this.refreshing?.catch(() => {});
  }

  /** Ids held in memory (tests, metrics). */
  get size(): number {
    return this.revoked.size;
  }
}
