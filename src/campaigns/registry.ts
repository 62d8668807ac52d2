import type { Queryable } from '../core/db.ts';
import type { Campaign } from '../rules/campaign.ts';
import { loadCampaign, loadCampaigns } from './store.ts';

/** Campaigns are configuration: read once at start (and on reload), then served from memory. */
export class CampaignRegistry {
  private byId = new Map<string, Campaign>();

  async load(q: Queryable): Promise<void> {
    const list = await loadCampaigns(q);
    this.byId = new Map(list.map((c) => [c.id, c]));
  }

  /** Reads one campaign again (after a change to its row, e.g. an operator's queue settings). */
  async reload(q: Queryable, id: string): Promise<void> {
    const c = await loadCampaign(q, id);
    const next = new Map(this.byId);
    if (c) next.set(id, c);
    else next.delete(id);
    this.byId = next;
  }

  get(id: string): Campaign | undefined {
    return this.byId.get(id);
  }

  list(): Campaign[] {
    return [...this.byId.values()];
  }
}
