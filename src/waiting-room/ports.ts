/**
 * What the waiting room needs of the other capabilities, declared here by the side that needs it
 * and wired by the app: the room imports no other capability. Each is the few members it calls.
 * (The campaigns it serves come as rules/campaign.ts CampaignLookup; what it needs of identity is
 * routes.ts QueueAuth.)
 */
import type { Campaign } from '../rules/campaign.ts';
import type { QueueSettings } from './store.ts';

/**
 * Persists an operator's change to a line's settings in the campaign row (absent fields stay as
 * they are), and then has this node's CampaignLookup answer with the row as written — so a
 * restored line and a restarted node come back with it (campaigns/store.ts updateQueueSettings,
 * then CampaignRegistry.reload).
 */
export type SaveQueueSettings = (campaignId: string, patch: Partial<QueueSettings>) => Promise<void>;

/**
 * The campaign as its row holds it now, or null when there is none (campaigns/store.ts
 * loadCampaign): fresher than this node's CampaignLookup, which may predate a change made on
 * another node.
 */
export type LoadCampaign = (campaignId: string) => Promise<Campaign | null>;
