/**
 * The public fairness record of a campaign (GET /api/v1/campaigns/{id}/fairness): the seed's
 * commitment (its seed and nonce once the pre-queue is frozen), the shuffle's algorithm and size,
 * admission order against join order, and the ETA shown against the wait had. Only counts,
 * positions and times: no person, device or ticket. Built from the database — the same on every
 * node — and kept for a few seconds per node; a million admitted places take a scan of the
 * admission table in index order, so the time kept grows with the time the build took.
 */
import type { Clock } from '../core/clock.ts';
import type { Queryable } from '../core/db.ts';
import type { Campaign } from '../rules/campaign.ts';
import { COMMITMENT_PREFIX, commitmentInput, commitmentOf, EtaAccumulator, InversionSweep, SHUFFLE_ALGORITHM, type EtaFigures } from './fairness.ts';
import type { AdmissionRecorder } from './fairness-recorder.ts';
import type { SeedCommitments } from './fairness-seed.ts';
import { readAdmittedRange, readShuffleOutcome, readTopAdmittedPosition } from './fairness-sql.ts';
import { openingOf } from './line.ts';
import { shuffledPosition } from './permutation.ts';

export const FAIRNESS_KEPT_MS = 5_000; // a record is rebuilt at most this often per node (at least)
const KEPT_PER_BUILD_MS = 10; // … and at least 10× the time its build took (a large record)
const PAGE_POSITIONS = 10_000; // positions read per statement (at most as many places)
const SAMPLE_MAX = 10; // pre-queue numbers whose places the record lists

export interface FairnessRecordJson {
  campaignId: string;
  /** When this record was built (the server's clock). */
  at: string;
  /** The line starts moving (the first window opens); null without windows. */
  opening: string | null;
  /** Joins form the pre-queue from this instant (opening − the join lead); null without a shuffle. */
  preQueueOpensAt: string | null;
  seed: {
    /** off: no shuffle; none: not committed yet; committed: only the commitment; revealed: seed and nonce too. */
    state: 'off' | 'none' | 'committed' | 'revealed';
    /** SHA-256 (hex) of `input`. */
    commitment: string | null;
    committedAt: string | null;
    /** The hashed text: `yeyak-shuffle-v1:<campaign>:<seed>:<nonce>` (filled in once revealed). */
    input: string;
    value: number | null;
    nonce: string | null;
    shuffledAt: string | null;
  };
  shuffle: {
    enabled: boolean;
    algorithm: string;
    /** P: tickets in the pre-queue when it was frozen at the opening. */
    preQueueSize: number | null;
    /** The places of pre-queue numbers 1…10: shuffledPosition(number, P, seed). */
    sample: { number: number; position: number }[];
  };
  admissionOrder: {
    /** Admitted places recorded (first claims). */
    recorded: number;
    /** Places admitted ahead of someone who by join order (after the shuffle) was ahead of them: 0 expected. */
    inversionsBeyondShuffle: number;
    /** Places whose position is not the one their ticket's number gives. */
    positionMismatches: number;
    examples: { position: number; expectedPosition: number | null }[];
  };
  eta: EtaFigures;
}

export interface FairnessRecordOptions {
  /** Joins form the pre-queue this long before the opening (YEYAK_QUEUE_JOIN_LEAD_MS). */
  joinLeadMs: number;
}

export class FairnessRecords {
  private readonly kept = new Map<string, { record: FairnessRecordJson; untilMs: number }>();
  private readonly building = new Map<string, Promise<FairnessRecordJson>>();

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly seeds: SeedCommitments,
    private readonly recorder: AdmissionRecorder,
    private readonly opts: FairnessRecordOptions,
  ) {}

  /** The campaign's record, at most a few seconds old; one build in flight per campaign. */
  async of(c: Campaign): Promise<FairnessRecordJson> {
    const kept = this.kept.get(c.id);
    if (kept && kept.untilMs > this.clock.monotonicMs()) return kept.record;
    let p = this.building.get(c.id);
    if (!p) {
      const startedMs = this.clock.monotonicMs();
      p = this.build(c).then((record) => {
        const tookMs = this.clock.monotonicMs() - startedMs;
        this.kept.set(c.id, { record, untilMs: this.clock.monotonicMs() + Math.max(FAIRNESS_KEPT_MS, tookMs * KEPT_PER_BUILD_MS) });
        return record;
      });
      this.building.set(c.id, p);
      void p.finally(() => this.building.delete(c.id)).catch(() => undefined);
    }
    return p;
  }

  /** Forgets the kept record (tests step a fake clock past an opening in less than the time kept). */
  invalidate(campaignId: string): void {
    this.kept.delete(campaignId);
  }

  /** Built afresh (`of` when the kept one is old). */
  async build(c: Campaign): Promise<FairnessRecordJson> {
    const nowMs = this.clock.nowMs();
    const opening = openingOf(c);
    await this.recorder.flush(); // this node's own admissions are in
    const enabled = c.queue.shuffleAtOpening;
    const commitment = enabled ? await this.seeds.find(c.id) : null;
    const outcome = await readShuffleOutcome(this.db, c.id);
    // Revealed once the pre-queue is frozen (its count recorded after the freeze) and the opening has come.
    const revealed = enabled && outcome.seed !== null && outcome.preQueueSize !== null && opening !== null && nowMs >= opening.getTime();
    const size = revealed ? (outcome.preQueueSize as number) : null;
    const seed = revealed ? (outcome.seed as number) : null;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      campaignId: c.id,
      at: new Date(nowMs).toISOString(),
      opening: opening?.toISOString() ?? null,
      preQueueOpensAt: enabled && opening ? iso(opening.getTime() - this.opts.joinLeadMs) : null,
      seed: {
        state: !enabled ? 'off' : revealed ? 'revealed' : commitment ? 'committed' : 'none',
        commitment: commitment ? commitmentOf(c.id, commitment.seed, commitment.nonce) : null,
        committedAt: iso(commitment?.committedAtMs ?? null),
        // The shuffle's seed (the checkpoint's) with the commitment's nonce: should they ever differ
        // from what was committed, the hash says so in public.
        input: seed !== null && commitment ? commitmentInput(c.id, seed, commitment.nonce) : `${COMMITMENT_PREFIX}:${c.id}:<seed>:<nonce>`,
        value: seed,
        nonce: revealed && commitment ? commitment.nonce : null,
        shuffledAt: revealed ? iso(outcome.shuffledAtMs) : null,
      },
      shuffle: {
        enabled,
        algorithm: SHUFFLE_ALGORITHM,
        preQueueSize: size,
        sample: size !== null && seed !== null ? sampleOf(size, seed) : [],
      },
      ...(await this.admitted(c.id, outcome.preQueueSize ?? 0, seed)),
    };
  }

  /** Every recorded place, highest position first, through the sweep and the ETA figures (fairness.ts). */
  private async admitted(campaignId: string, preQueueSize: number, seed: number | null): Promise<Pick<FairnessRecordJson, 'admissionOrder' | 'eta'>> {
    const sweep = new InversionSweep(preQueueSize, seed);
    const eta = new EtaAccumulator();
    for (let to = (await readTopAdmittedPosition(this.db, campaignId)) + 1; to > 1; to -= PAGE_POSITIONS) {
      for (const place of await readAdmittedRange(this.db, campaignId, Math.max(1, to - PAGE_POSITIONS), to)) {
        sweep.add(place);
        if (place.shownEtaSeconds !== null) eta.add(place.shownEtaSeconds, place.waitedSeconds);
      }
    }
    return {
      admissionOrder: { recorded: sweep.recorded, inversionsBeyondShuffle: sweep.inversions, positionMismatches: sweep.positionMismatches, examples: sweep.examples },
      eta: eta.figures(),
    };
  }
}

function sampleOf(size: number, seed: number): { number: number; position: number }[] {
  return Array.from({ length: Math.min(size, SAMPLE_MAX) }, (_, i) => ({ number: i + 1, position: shuffledPosition(i + 1, size, seed) }));
}
