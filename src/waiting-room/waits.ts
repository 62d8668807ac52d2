/**
 * What the line promised and what it delivered, for the operator's live feed: for each place
 * first seen admitted (its first status poll after admission, passes.ts), the ETA its ticket was
 * shown at join and the wait it really had, join to that poll (so up to one poll interval more
 * than join to admission). In memory, per node — each node records the polls it served — in a
 * ring per campaign: a bounded, recent sample, not a history. Per node on purpose: the console
 * reads it every second, and a shared read would cost the database that often. The shared,
 * persistent figures over every admitted place are the fairness record's (fairness-record.ts,
 * queue_admission), written at the same first claim.
 */
export interface AdmittedWait {
  campaignId: string;
  /** Seconds from join to the first admitted status poll. */
  waitedSeconds: number;
  /** The ETA shown at join (carried in the ticket), seconds. */
  promisedSeconds: number;
}

export interface RecentWaits {
  /** Median ETA shown at join of the places admitted recently; null when none. */
  shownSeconds: number | null;
  /** Median wait they actually had; null when none. */
  actualSeconds: number | null;
  /** How many places the medians are of. */
  admitted: number;
}

export const WAITS_KEPT_MAX = 512; // per campaign
export const WAITS_RECENT_MS = 5 * 60_000; // 5 min: "recent"
const CAMPAIGNS_MAX = 64; // rings kept; a node serves a handful of campaigns

interface Entry {
  atMs: number;
  shown: number;
  actual: number;
}

export class WaitRecorder {
  private readonly rings = new Map<string, { entries: Entry[]; next: number }>();

  record(w: AdmittedWait, atMs: number): void {
    let ring = this.rings.get(w.campaignId);
    if (!ring) {
      if (this.rings.size >= CAMPAIGNS_MAX) return;
      ring = { entries: [], next: 0 };
      this.rings.set(w.campaignId, ring);
    }
    const entry = { atMs, shown: w.promisedSeconds, actual: Math.max(0, w.waitedSeconds) };
    if (ring.entries.length < WAITS_KEPT_MAX) ring.entries.push(entry);
    else ring.entries[ring.next] = entry;
    ring.next = (ring.next + 1) % WAITS_KEPT_MAX;
  }

  /** The medians of the places admitted within `WAITS_RECENT_MS` before `nowMs`. */
  recent(campaignId: string, nowMs: number): RecentWaits {
    const recent = (this.rings.get(campaignId)?.entries ?? []).filter((e) => e.atMs > nowMs - WAITS_RECENT_MS && e.atMs <= nowMs);
    return {
      shownSeconds: median(recent.map((e) => e.shown)),
      actualSeconds: median(recent.map((e) => e.actual)),
      admitted: recent.length,
    };
  }
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = values.sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const m = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(m * 10) / 10;
}
