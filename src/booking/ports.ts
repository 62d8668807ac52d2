/**
 * What booking needs from the other capabilities, declared here by the side that needs it (the app
 * wires the real ones: AvailabilityView, the waiting room; the campaigns and the session's
 * citizen are rules/campaign.ts's CampaignLookup and Citizen). Booking imports no other
 * capability; each interface is the few members it calls.
 */

/** The in-process slot view (availability/view.ts): the rules' first look; the database decides. */
export interface SlotOffers {
  /** True when the clinic offers dose 1 in this campaign. */
  hasClinic(campaignId: string, clinicId: string): boolean;
  /** True when the clinic offers dose 1 on `day` (on or after `fromDay`). */
  offers(campaignId: string, clinicId: string, day: string, fromDay: string): boolean;
  /** Bookable first doses of the campaign from `fromDay` on. */
  campaignRemaining(campaignId: string, fromDay: string): number;
}

/** Who presents a waiting-room pass: the request's device and verified person. */
export interface Holder {
  /** The device id the request carries (cookie or Yeyak-Device header). */
  device: string | undefined;
  /** The verified person, if the request has a session. */
  personId: number | undefined;
}

/** One booking-path write holding a pass. Opaque to booking: handed back to the gate as received. */
export interface GateUse {
  readonly pass: unknown;
}

/**
 * The waiting room's admission check (waiting-room/service.ts WaitingRoom): a pass is checked,
 * taken for one write, then given back (nothing committed) or spent (committed). Passes and uses
 * are the gate's own values; booking never looks inside them.
 */
export interface PassGate {
  checkPass(campaignId: string, passToken: string | undefined, holder: Holder): Promise<unknown>;
  beginUse(pass: unknown, personId: number): Promise<GateUse>;
  endUse(use: GateUse): Promise<void>;
  revoke(pass: unknown): Promise<void>;
  /**
   * True while a cancel needs no pass (the campaign is sold out: nobody is admitted, and a cancel
   * only gives a dose back); a pass sent anyway is used and spent as always.
   */
  cancelsWithoutPass?(campaignId: string): boolean;
}
