/**
 * The sold-out test the waiting room asks on every status poll (rules/supply-state.ts): remaining
 * first doses from the campaign's first bookable day, on this node's availability view — the
 * figure GET /campaigns shows. Memoised per campaign for SOLD_OUT_MEMO_MS of machine time, so a
 * poll costs a map lookup, not a day computation in the campaign's zone.
 */
import type { Clock } from '../core/clock.ts';
import { firstBookableDay, type CampaignLookup } from '../rules/campaign.ts';
import { supplyStateOf } from '../rules/supply-state.ts';

const SOLD_OUT_MEMO_MS = 250; // as stale as the line's own counters (queueStateRefreshMs' order)

export function soldOutTest(d: {
  clock: Clock;
  campaigns: CampaignLookup;
  leadDays: number;
  remainingFirstDoses: (campaignId: string, fromDay: string) => number;
}): (campaignId: string) => boolean {
  const memo = new Map<string, { atMs: number; soldOut: boolean }>();
  return (campaignId) => {
    const now = d.clock.monotonicMs();
    const hit = memo.get(campaignId);
    if (hit && now - hit.atMs < SOLD_OUT_MEMO_MS) return hit.soldOut;
    const c = d.campaigns.get(campaignId);
    const soldOut = c ? supplyStateOf(d.remainingFirstDoses(campaignId, firstBookableDay(c, d.clock.now(), d.leadDays))) === 'sold_out' : false;
    memo.set(campaignId, { atMs: now, soldOut });
    return soldOut;
  };
}
