/**
 * The sold-out test the waiting room asks on every status poll (rules/supply-state.ts): remaining
 * first doses from the campaign's first bookable day, on this node's availability view — the
 * figure GET /campaigns shows. Memoised per campaign until the view's version (bumped by every
 * change it applies) or the clock's minute moves, so a poll costs a map lookup, not a day
 * computation in the campaign's zone.
 */
import type { Clock } from '../core/clock.ts';
import { firstBookableDay, type CampaignLookup } from '../rules/campaign.ts';
import { supplyStateOf } from '../rules/supply-state.ts';

const MINUTE_MS = 60_000; // the first bookable day is a day: a minute's staleness at midnight at most

export function soldOutTest(d: {
  clock: Clock;
  campaigns: CampaignLookup;
  leadDays: number;
  /** The availability view's version of the campaign: a change of it may change the answer. */
  version: (campaignId: string) => number;
  remainingFirstDoses: (campaignId: string, fromDay: string) => number;
}): (campaignId: string) => boolean {
  const memo = new Map<string, { version: number; minute: number; soldOut: boolean }>();
  return (campaignId) => {
    const version = d.version(campaignId);
    const minute = Math.floor(d.clock.nowMs() / MINUTE_MS);
    const hit = memo.get(campaignId);
    if (hit && hit.version === version && hit.minute === minute) return hit.soldOut;
    const c = d.campaigns.get(campaignId);
    const soldOut = c ? supplyStateOf(d.remainingFirstDoses(campaignId, firstBookableDay(c, d.clock.now(), d.leadDays))) === 'sold_out' : false;
    memo.set(campaignId, { version, minute, soldOut });
    return soldOut;
  };
}
