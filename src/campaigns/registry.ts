import type { Queryable } from '../core/db.ts';
import type { Campaign } from './types.ts';
import { loadCampaigns } from './store.ts';

/** Campaigns are configuration: read once at start (and on reload), then served from memory. */
export class CampaignRegistry {
  private byId = new Map<string, Campaign>();

  async load(q: Queryable): Promise<void> {
    const list = await loadCampaigns(q);
    this.byId = new Map(list.map((c) => [c.id, c]));
  }

  get(id: string): Campaign | undefined {
    return this.byId.get(id);
  }

  list(): Campaign[] {
    return [...this.byId.values()];
  }
}
