/**
 * The pre-queue shuffle's seed, committed before the opening (migrations/015). Drawn once per
 * campaign by whichever comes first — the admission leader's tick before the opening, the first
 * pre-queue join — on any node: the database's conditional INSERT decides, and every node reads
 * the same row back. Each node asks the database once per campaign (a row never changes).
 */
import type { Queryable } from '../core/db.ts';
import { drawSeed } from './fairness.ts';
import { ensureShuffleCommitment, readShuffleCommitment, type ShuffleCommitment } from './fairness-sql.ts';

export class SeedCommitments {
  private readonly known = new Map<string, Promise<ShuffleCommitment>>();

  constructor(
    private readonly db: Queryable,
    private readonly nowMs: () => number,
  ) {}

  /** The campaign's commitment, drawn now when none is recorded. */
  commit(campaignId: string): Promise<ShuffleCommitment> {
    let p = this.known.get(campaignId);
    if (!p) {
      p = ensureShuffleCommitment(this.db, campaignId, drawSeed(), this.nowMs());
      this.known.set(campaignId, p);
      // A failed draw (database away) is asked again next time, not remembered.
      p.catch(() => this.known.delete(campaignId));
    }
    return p;
  }

  /** The recorded commitment, or null: never draws one (the public record only reads). */
  async find(campaignId: string): Promise<ShuffleCommitment | null> {
    const known = this.known.get(campaignId);
    if (known) return known;
    const found = await readShuffleCommitment(this.db, campaignId);
    if (found) this.known.set(campaignId, Promise.resolve(found));
    return found;
  }
}
