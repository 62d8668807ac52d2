import type { Clock } from '../core/clock.ts';
import type { Metrics } from '../core/metrics.ts';
import { LIVE_STREAM_DEFAULTS, LiveStreams, type LiveStreamOptions } from './live-stream.ts';

/**
 * The operator's live feed: one snapshot of an opening — the line, the ETA shown vs the wait had,
 * the verification lights, bookings and their refusals, first doses left per 시/도 — gathered from
 * the capabilities through `LiveSources` (declared here, wired by the app). Rates are deltas of
 * cumulative counters between snapshots, over the last RATE_WINDOW_MS of machine time:
 * - joins and admissions from the shared line's counters (numbers issued, positions admitted), so
 *   every node shows the whole line's rates;
 * - bookings from yeyak_bookings_total, which counts this node's attempts (every campaign and
 *   channel): behind a load balancer, each node's console shows its own share.
 */

export type LiveLight = 'green' | 'yellow' | 'red' | 'grey';

/** A line's counters and settings (waiting-room/live-view.ts LineView). */
export interface LiveLine {
  enabled: boolean;
  waiting: number;
  activePasses: number;
  activeMax: number;
  ratePerS: number;
  paused: boolean;
  notice: { ko: string; en: string } | null;
  powBits: number;
  /** Cumulative: numbers issued, positions admitted. */
  issuedTotal: number;
  admittedTotal: number;
  shuffle: { enabled: boolean; seedCommitment: string | null; doneAt: string | null };
}

export interface LiveRegion {
  code: string;
  nameKo: string;
  nameEn: string;
  remaining: number;
}

/** What the feed reads of the other capabilities. */
export interface LiveSources {
  /** The line, read fresh from its shared store (waiting room). */
  line(campaignId: string): Promise<LiveLine>;
  /** Median ETA shown at join vs the wait had, of places admitted recently (waiting room; this node's). */
  waits(campaignId: string): { shownSeconds: number | null; actualSeconds: number | null };
  /** The five verification methods' lights, in the pages' order (identity). */
  identityLights(): readonly { method: string; light: LiveLight }[];
  /** First doses left per 시/도 from the first bookable day on (availability). */
  remainingBySido(campaignId: string): readonly LiveRegion[];
  /** yeyak_bookings_total. */
  bookings: Metrics['bookings'];
}

export interface LiveSnapshot {
  at: string;
  campaignId: string;
  queue: Omit<LiveLine, 'issuedTotal' | 'admittedTotal'> & { joinsPerS: number; admissionsPerS: number };
  eta: { shownSeconds: number | null; actualSeconds: number | null };
  identity: { method: string; light: LiveLight }[];
  bookings: { perS: number; errorsByCode: Record<string, number> };
  remainingByRegion: LiveRegion[];
}

export const RATE_WINDOW_MS = 5_000; // rates are averaged over this much machine time
const SAMPLES_MAX = 256; // per campaign: several consoles asking every second, for RATE_WINDOW_MS
const CAMPAIGNS_MAX = 64; // sample rings kept
/** Booking outcomes that are no refusal: a new booking, a retry answered with it. */
const NOT_REFUSALS = new Set(['ok', 'replay']);

interface Sample {
  atMs: number;
  issued: number;
  admitted: number;
  /** Cumulative booking attempts by outcome (every channel). */
  outcomes: Map<string, number>;
}

export class LiveFeed {
  private readonly samples = new Map<string, Sample[]>();
  /** The open event streams of this feed (live-stream.ts). */
  readonly streams: LiveStreams<LiveSnapshot>;

  constructor(
    private readonly sources: LiveSources,
    private readonly clock: Clock,
    streamOptions: Partial<LiveStreamOptions> & Pick<LiveStreamOptions, 'warn'>,
  ) {
    this.streams = new LiveStreams((id) => this.snapshot(id), { ...LIVE_STREAM_DEFAULTS, ...streamOptions });
  }

  /** One snapshot of the campaign (a known one: the route checks). */
  async snapshot(campaignId: string): Promise<LiveSnapshot> {
    const line = await this.sources.line(campaignId);
    const sample: Sample = { atMs: this.clock.monotonicMs(), issued: line.issuedTotal, admitted: line.admittedTotal, outcomes: await this.outcomes() };
    const base = this.baseline(campaignId, sample);
    const perS = (now: number, then: number) => perSecond(now - then, base ? sample.atMs - base.atMs : 0);
    const errorsByCode: Record<string, number> = {};
    for (const [outcome, count] of sample.outcomes) {
      if (NOT_REFUSALS.has(outcome)) continue;
      const rate = perS(count, base?.outcomes.get(outcome) ?? 0);
      if (rate > 0) errorsByCode[outcome] = rate;
    }
    const { issuedTotal: _issued, admittedTotal: _admitted, ...queue } = line;
    return {
      at: this.clock.now().toISOString(),
      campaignId,
      queue: { ...queue, joinsPerS: perS(sample.issued, base?.issued ?? sample.issued), admissionsPerS: perS(sample.admitted, base?.admitted ?? sample.admitted) },
      eta: this.sources.waits(campaignId),
      identity: this.sources.identityLights().map(({ method, light }) => ({ method, light })),
      bookings: { perS: perS(sample.outcomes.get('ok') ?? 0, base?.outcomes.get('ok') ?? 0), errorsByCode },
      remainingByRegion: this.sources.remainingBySido(campaignId).map(({ code, nameKo, nameEn, remaining }) => ({ code, nameKo, nameEn, remaining })),
    };
  }

  /**
   * Records `sample` and returns what its rates are measured from: the newest sample at least
   * RATE_WINDOW_MS old, else the oldest there is (a console that asks rarely gets the average
   * since it last asked); null for the first snapshot of a campaign.
   */
  private baseline(campaignId: string, sample: Sample): Sample | null {
    let ring = this.samples.get(campaignId);
    if (!ring) {
      ring = [];
      if (this.samples.size < CAMPAIGNS_MAX) this.samples.set(campaignId, ring);
    }
    const from = sample.atMs - RATE_WINDOW_MS;
    // Keep one sample at or before the window's start (the newest such), and those inside it.
    while (ring.length > 1 && (ring[1] as Sample).atMs <= from) ring.shift();
    const base = ring[0] ?? null;
    ring.push(sample);
    if (ring.length > SAMPLES_MAX) ring.shift();
    return base;
  }

  private async outcomes(): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    for (const v of (await this.sources.bookings.get()).values) {
      const outcome = String(v.labels.outcome ?? 'error');
      totals.set(outcome, (totals.get(outcome) ?? 0) + v.value);
    }
    return totals;
  }
}

/** count per second over `ms` (0 when no time passed), to a tenth. */
function perSecond(count: number, ms: number): number {
  if (ms <= 0 || count <= 0) return 0;
  return Math.round((count * 10_000) / ms) / 10;
}
