import type { Clock } from '../core/clock.ts';
import type { Queryable } from '../core/db.ts';
import type { CampaignLookup } from '../rules/campaign.ts';
import { readShuffledAt } from './sql.ts';
import type { QueueState, QueueStore } from './store.ts';
import type { RecentWaits, WaitRecorder } from './waits.ts';
import { commitmentOf } from './fairness.ts';
import type { SeedCommitments } from './fairness-seed.ts';

/**
 * A line as the operator's live feed shows it (operations/live.ts declares what it needs; the app
 * wires this): the shared store's counters and settings, read fresh (not the per-node cache the
 * citizens' polls use), and the recent waits this node recorded (waits.ts).
 */
export interface LineView {
  enabled: boolean;
  waiting: number;
  activePasses: number;
  activeMax: number;
  ratePerS: number;
  paused: boolean;
  notice: { ko: string; en: string } | null;
  powBits: number;
  /** Numbers ever issued (pre-queue and main line) and positions ever admitted: rates are their deltas. */
  issuedTotal: number;
  admittedTotal: number;
  shuffle: {
    enabled: boolean;
    /**
     * The shuffle seed's commitment as the public fairness record shows it (fairness.ts
     * commitmentOf), from its draw before the opening; null until drawn.
     */
    seedCommitment: string | null;
    doneAt: string | null;
  };
}

/** Numbers issued so far: the pre-queue (frozen at the opening) and the main line. */
export function issuedOf(s: QueueState): number {
  return (s.frozenPreCount ?? s.preCount) + s.lastSeq;
}

export class LineViews {
  /** Shuffle times found: set once, never changed (migrations/013). */
  private readonly shuffledAt = new Map<string, string>();

  constructor(
    private readonly store: QueueStore,
    private readonly db: Queryable,
    private readonly campaigns: CampaignLookup,
    private readonly clock: Clock,
    private readonly waits: WaitRecorder,
    private readonly seeds: Pick<SeedCommitments, 'find'>,
  ) {}

  async line(campaignId: string): Promise<LineView> {
    const c = this.campaigns.get(campaignId);
    const state = await this.store.read(campaignId);
    const issued = issuedOf(state);
    return {
      enabled: c?.queueEnabled ?? false,
      waiting: Math.max(0, issued - state.admittedUpTo),
      activePasses: await this.store.activeCount(campaignId, this.clock.nowMs()),
      activeMax: state.activeMax,
      ratePerS: state.ratePerS,
      paused: state.paused,
      notice: state.notice,
      powBits: state.powBits,
      issuedTotal: issued,
      admittedTotal: state.admittedUpTo,
      shuffle: {
        enabled: c?.queue.shuffleAtOpening ?? false,
        seedCommitment: await this.commitment(campaignId, c?.queue.shuffleAtOpening ?? false),
        doneAt: state.shuffleSeed === null ? null : await this.doneAt(campaignId),
      },
    };
  }

  /** The ETA shown vs the wait had, of the places this node saw admitted recently. */
  waitsOf(campaignId: string): RecentWaits {
    return this.waits.recent(campaignId, this.clock.nowMs());
  }

  private async commitment(campaignId: string, enabled: boolean): Promise<string | null> {
    const found = enabled ? await this.seeds.find(campaignId) : null;
    return found ? commitmentOf(campaignId, found.seed, found.nonce) : null;
  }

  private async doneAt(campaignId: string): Promise<string | null> {
    const known = this.shuffledAt.get(campaignId);
    if (known !== undefined) return known;
    const at = await readShuffledAt(this.db, campaignId);
    if (at !== null) this.shuffledAt.set(campaignId, at);
    return at;
  }
}
