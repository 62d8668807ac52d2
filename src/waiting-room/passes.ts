/**
 * Passes: issued when an admitted place is claimed (its first status poll after admission),
 * checked by the booking API's gate, taken for one booking-path write at a time, and spent when a
 * booking completes. Every decision that two nodes could race on is the store's, atomically.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { YeyakError } from '../core/errors.ts';
import type { Campaign } from '../rules/campaign.ts';
import { POLL_FAR_MS, POLL_NEAR_MS } from './estimate.ts';
import type { PlaceAnswer, StatusAnswer } from './line.ts';
import type { QueueStore } from './store.ts';
import { passClaims, passOf, type Pass, type Ticket, type TokenSigner } from './tokens.ts';
import type { AdmittedWait } from './waits.ts';
import type { AdmissionRecord } from './fairness-sql.ts';

export interface Holder {
  /** The device id the request carries (cookie or Yeyak-Device header). */
  device: string | undefined;
  /** The verified person, if the request has a session. */
  personId: number | undefined;
}

/** A booking-path write holding a pass (WaitingRoom.beginUse): spent or ended by its caller. */
export interface PassUse {
  pass: Pass;
  token: string;
}

/**
 * How long one booking-path write holds its pass, at most: a node that dies mid-booking frees it
 * after this. Well above a booking's worst case (a full batch queue plus the 5 s statement
 * timeout); should a write outlive it, a second use can only be the same person's (the pass is
 * bound to them), and PostgreSQL's one reservation per person refuses a second booking.
 */
export const PASS_USE_LEASE_MS = 60_000;

export interface PassOptions {
  signer: TokenSigner;
  /** How long a pass admits its holder to the booking API, from its first claim. */
  ttlMs: number;
  /** An admitted place must be claimed within this long of its admission (else it lapsed). */
  claimWindowMs: number;
  /** Called when a ticket is first seen admitted: how long it waited, and the wait promised at join. */
  onAdmittedClaim?: (wait: AdmittedWait) => void;
  /** Called at each position's first claim, with what the fairness record keeps of it (fairness-recorder.ts). */
  onFirstClaim?: (admitted: AdmissionRecord) => void;
}

const NO_WAIT = { etaSeconds: 0, etaLowSeconds: 0, etaHighSeconds: 0 };

export class Passes {
  constructor(
    private readonly store: QueueStore,
    private readonly clock: Clock,
    private readonly opts: PassOptions,
  ) {}

  /**
   * An admitted place's claim (store.claimPass): the pass, or why none. Lapsed places come back
   * marked `lapsed` (callers decide: status refuses, a join replaces).
   */
  async claim(c: Campaign, t: Ticket, holder: Holder, a: StatusAnswer & { position: number }): Promise<PlaceAnswer> {
    const now = this.clock.nowMs();
    const claim = await this.store.claimPass(c.id, a.position, { expMs: now + this.opts.ttlMs, nowMs: now, claimWindowMs: this.opts.claimWindowMs });
    // Spent on a completed booking: admitted still (the place was real), but never a pass again.
    // Nothing to wait for either: the next poll may come late.
    if (claim.outcome === 'spent') return { ...a, ...NO_WAIT, pollAfterMs: POLL_FAR_MS, used: true };
    if (claim.outcome === 'lapsed') return { ...a, ...NO_WAIT, pollAfterMs: POLL_FAR_MS, lapsed: true };
    // The passes in use are at the cap: the pass comes when one frees (expiry or a booking).
    if (claim.outcome === 'full') return { ...a, ...NO_WAIT, pollAfterMs: POLL_NEAR_MS, passPending: true };
    const expiresAtMs = claim.expMs;
    if (claim.outcome === 'claimed') {
      const shownEtaSeconds = t.promisedEtaSeconds ?? null;
      this.opts.onFirstClaim?.({ campaignId: c.id, position: a.position, pre: t.preQueue, seq: t.seq, joinedAtMs: t.issuedAtMs, shownEtaSeconds, claimedAtMs: now });
    }
    if (claim.outcome === 'claimed' && t.promisedEtaSeconds !== undefined) {
      this.opts.onAdmittedClaim?.({ campaignId: c.id, waitedSeconds: (now - t.issuedAtMs) / 1000, promisedSeconds: t.promisedEtaSeconds });
    }
    // Bound to the ticket's device, and to the person: the ticket's, or the session's that asks.
    const personId = t.personId ?? holder.personId;
    const pass: Pass = { campaignId: c.id, position: a.position, device: t.device, expiresAtMs, ...(personId !== undefined ? { personId } : {}) };
    return { ...a, pollAfterMs: 0, ...NO_WAIT, pass: this.opts.signer.sign(passClaims(pass)), passExpiresAt: new Date(expiresAtMs).toISOString() };
  }

  /**
   * The booking API's gate: a valid, unexpired pass for this campaign, held by the device (and
   * person) it was issued to, not yet used. Time is the server's: a client clock changes nothing.
   */
  async check(campaignId: string, passToken: string | undefined, holder: Holder): Promise<Pass> {
    if (!passToken) throw new YeyakError('YEYAK_E_PASS_REQUIRED');
    const pass = passOf(this.opts.signer.verify<unknown>(passToken));
    if (!pass) throw new YeyakError('YEYAK_E_PASS_INVALID');
    if (pass.campaignId !== campaignId) throw new YeyakError('YEYAK_E_PASS_WRONG_CAMPAIGN');
    if (pass.expiresAtMs <= this.clock.nowMs()) throw new YeyakError('YEYAK_E_PASS_EXPIRED');
    if (pass.device !== holder.device) throw new YeyakError('YEYAK_E_PASS_WRONG_HOLDER');
    if (pass.personId !== undefined && pass.personId !== holder.personId) throw new YeyakError('YEYAK_E_PASS_WRONG_HOLDER');
    if (await this.store.isSpent(campaignId, pass.position)) throw new YeyakError('YEYAK_E_PASS_USED');
    return pass;
  }

  /**
   * Takes a checked pass for one booking-path write (atomically, in the line's store): refused
   * with PASS_USED when spent, PASS_WRONG_HOLDER when another person used it first, PASS_IN_USE
   * while another write holds it. The first use binds the pass to the person; the caller ends
   * the use (endUse: the pass may be used again) or spends it (revoke: a write committed).
   */
  async beginUse(pass: Pass, personId: number): Promise<PassUse> {
    const now = this.clock.nowMs();
    const token = randomBytes(12).toString('base64url');
    const r = await this.store.beginUse(pass.campaignId, pass.position, {
      personId,
      token,
      leaseUntilMs: now + PASS_USE_LEASE_MS,
      nowMs: now,
      passExpMs: pass.expiresAtMs,
    });
    if (r === 'spent') throw new YeyakError('YEYAK_E_PASS_USED');
    if (r === 'wrong-holder') throw new YeyakError('YEYAK_E_PASS_WRONG_HOLDER');
    if (r === 'in-use') throw new YeyakError('YEYAK_E_PASS_IN_USE');
    return { pass, token };
  }

  /** A write refused before anything committed: its pass may be used again (another date). */
  async endUse(use: PassUse): Promise<void> {
    await this.store.endUse(use.pass.campaignId, use.pass.position, use.token);
  }

  /**
   * After a completed booking: the active slot frees at once, and the position is spent for the
   * life of the campaign — every pass for it is refused, and none is issued for it again.
   */
  async revoke(pass: Pass): Promise<void> {
    await this.store.spendPosition(pass.campaignId, pass.position);
  }
}
