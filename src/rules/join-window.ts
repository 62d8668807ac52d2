/**
 * When the waiting room takes joins. A campaign is *closed for joining* at `now` when no window
 * (for anyone) is open and either no window opens later (the campaign is over) or the next one
 * opens more than `leadMs` from now. Within the lead before an opening joins are taken: before the
 * first opening they form the pre-queue that is shuffled at the opening (that is the design), before
 * a later one they simply queue. Default lead: one hour (YEYAK_QUEUE_JOIN_LEAD_MS).
 */
import type { Campaign } from './campaign.ts';
import { isoInZone } from './time.ts';

export const QUEUE_JOIN_LEAD_MS_DEFAULT = 60 * 60 * 1000;

/** The details of YEYAK_E_CAMPAIGN_CLOSED: when the next window opens and from when one may join. */
export interface ClosedForJoin {
  readonly opensAt: string | null;
  readonly joinFrom: string | null;
  /** When the last window closed (only when the campaign is over). */
  readonly endedAt?: string;
}

/** null when joining is allowed at `nowMs`; otherwise when it will be (or that it never will). */
export function closedForJoin(c: Campaign, nowMs: number, leadMs: number): ClosedForJoin | null {
  let next: Date | null = null;
  let lastClose: Date | null = null;
  for (const w of c.windows) {
    const opens = w.opensAt.getTime();
    const closes = w.closesAt.getTime();
    if (opens <= nowMs && nowMs < closes) return null;
    if (opens > nowMs && (next === null || opens < next.getTime())) next = w.opensAt;
    if (lastClose === null || closes > lastClose.getTime()) lastClose = w.closesAt;
  }
  if (next === null) {
    return { opensAt: null, joinFrom: null, ...(lastClose ? { endedAt: isoInZone(lastClose, c.timeZone) } : {}) };
  }
  if (next.getTime() - nowMs <= leadMs) return null;
  return { opensAt: isoInZone(next, c.timeZone), joinFrom: isoInZone(new Date(next.getTime() - leadMs), c.timeZone) };
}
