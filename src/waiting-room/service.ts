import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { assert, YeyakError } from '../core/errors.ts';
import type { Campaign, CampaignLookup } from '../rules/campaign.ts';
import { checkpointLedger, Issuer, volatileLedger } from './issuer.ts';
import { answerOf, joinsPreQueue, positionOf, type PlaceAnswer, type StatusAnswer } from './line.ts';
import { Passes, type Holder, type PassUse } from './passes.ts';
import { dbPersonPlaces, memoryPersonPlaces, type PersonPlaces } from './person-places.ts';
import type { SaveQueueSettings } from './ports.ts';
import type { JoinResult, QueueSettings, QueueState, QueueStore } from './store.ts';
import { ticketClaims, ticketOf, type Pass, type Ticket, type TokenSigner } from './tokens.ts';
import type { AdmittedWait } from './waits.ts';
import type { AdmissionRecord } from './fairness-sql.ts';
import type { SeedCommitments } from './fairness-seed.ts';
import type { SoldOut } from './sold-out.ts';
import { SOLD_OUT_NOTICE } from '../rules/supply-state.ts';

/**
 * The waiting room as citizens see it: join, status, and the pass gate (passes.ts). A node keeps
 * each campaign's counters in memory, refreshed from the shared store at least every
 * `stateRefreshMs`, so a status poll touches no shared state: verify the ticket's signature,
 * subtract, answer.
 */
export interface WaitingRoomOptions {
  tickets: TokenSigner;
  passes: TokenSigner;
  /** How long a pass admits its holder to the booking API, from its first claim. */
  passTtlMs: number;
  /**
   * An admitted place must be claimed (its first status poll after admission) within this long of
   * its admission; after it the place has lapsed (a no-show) and its holder joins again.
   */
  claimWindowMs: number;
  /** Counters are re-read from the store this often. */
  stateRefreshMs: number;
  /**
   * The database: numbers are reserved in its checkpoint before they are issued (issuer.ts), and
   * verify-first places are kept in it. Without one (a benchmark) neither is durable.
   */
  db?: Db;
  /**
   * Persists an operator's settings (the campaign row) before the store takes them. Without it
   * (a benchmark) a change lives in the store only.
   */
  saveSettings?: SaveQueueSettings;
  /** Called when a ticket is first seen admitted: how long it waited, and the wait promised at join. */
  onAdmittedClaim?: (wait: AdmittedWait) => void;
  /** Called at each position's first claim: the fairness record's row (fairness-recorder.ts). */
  onFirstClaim?: (admitted: AdmissionRecord) => void;
  /**
   * The shuffle's seed is committed before the first pre-queue number is issued (fairness-seed.ts;
   * once per campaign and node, then free).
   */
  seeds?: Pick<SeedCommitments, 'commit'>;
  /** The campaign is sold out now (sold-out.ts): no pass for an admitted place, no new join. */
  soldOut?: SoldOut;
}

export interface JoinAnswer extends StatusAnswer {
  ticket: string;
  device: string;
}

/** Only for callers that bypass the routes (benchmarks): unsigned, so no route would accept it. */
export function newDeviceId(): string {
  return randomBytes(16).toString('base64url');
}

export class WaitingRoom {
  private readonly cache = new Map<string, { state: QueueState; readAtMs: number; loading: Promise<QueueState> | null }>();
  /** Issues numbers, reserving blocks in the checkpoint first. */
  readonly issuer: Issuer;
  /** verify-first: each person's place per campaign. */
  private readonly personPlaces: PersonPlaces;
  private readonly passes: Passes;

  constructor(
    readonly store: QueueStore,
    private readonly clock: Clock,
    private readonly campaigns: CampaignLookup,
    private readonly opts: WaitingRoomOptions,
  ) {
    this.issuer = new Issuer(store, opts.db ? checkpointLedger(opts.db, () => clock.nowMs()) : volatileLedger(), () => clock.monotonicMs());
    this.personPlaces = opts.db ? dbPersonPlaces(opts.db) : memoryPersonPlaces();
    this.passes = new Passes(store, clock, {
      signer: opts.passes,
      ttlMs: opts.passTtlMs,
      claimWindowMs: opts.claimWindowMs,
      ...(opts.onAdmittedClaim ? { onAdmittedClaim: opts.onAdmittedClaim } : {}),
      ...(opts.onFirstClaim ? { onFirstClaim: opts.onFirstClaim } : {}),
    });
  }

  private campaign(id: string): Campaign {
    const c = this.campaigns.get(id);
    if (!c) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
    return c;
  }

  /** The campaign's counters, at most stateRefreshMs old; one store read in flight per campaign. */
  async state(campaignId: string): Promise<QueueState> {
    // Cache age is machine time (monotonic), not campaign time: a fake clock must not freeze it.
    const now = this.clock.monotonicMs();
    const entry = this.cache.get(campaignId);
    if (entry && now - entry.readAtMs < this.opts.stateRefreshMs) return entry.state;
    if (entry?.loading) return entry.state;
    const loading = this.store.read(campaignId);
    if (entry) entry.loading = loading;
    try {
      const state = await loading;
      this.cache.set(campaignId, { state, readAtMs: now, loading: null });
      return state;
    } catch (e) {
      if (entry) {
        entry.loading = null;
        return entry.state; // a store hiccup answers from the last known counters
      }
      throw e;
    }
  }

  /** Forgets cached counters (after an operator change on this node). */
  invalidate(campaignId: string): void {
    this.cache.delete(campaignId);
  }

  /** Issues the next number of the line (a join's number): reserved in the checkpoint first. */
  async issue(campaignId: string, pre: boolean): Promise<JoinResult> {
    if (pre) await this.opts.seeds?.commit(campaignId);
    return this.issuer.issue(campaignId, pre);
  }

  /**
   * An operator's change (rate, cap, pause, notice, PoW): written to the campaign row first, so
   * that a store that loses its memory (Redis) or a restarted node comes back with it; then this
   * node's campaigns answer with it and the store (the live line, shared by every node) takes it.
   */
  async configure(campaignId: string, patch: Partial<QueueSettings>): Promise<void> {
    this.campaign(campaignId);
    await this.opts.saveSettings?.(campaignId, patch);
    await this.store.configure(campaignId, patch);
    this.invalidate(campaignId);
  }

  /**
   * Joins the line. A valid ticket for this campaign that the device already holds is returned
   * as it is: a refresh, a new tab or a reconnect keeps the place — unless that place was spent on
   * a completed booking: then the join is a new one, at the back of the line.
   */
  async join(campaignId: string, holder: Holder, existingTicket: string | undefined): Promise<JoinAnswer> {
    const c = this.campaign(campaignId);
    if (!c.queueEnabled) throw new YeyakError('YEYAK_E_QUEUE_NOT_ENABLED');
    // Verify first (August 2021): only a verified person joins, and the place is the person's.
    if (c.queueOrder === 'verify-first') {
      if (holder.personId === undefined) throw new YeyakError('YEYAK_E_UNAUTHENTICATED', 'Verify your identity first, then join the waiting room.');
      return this.joinAsPerson(c, holder.personId, holder);
    }
    if (existingTicket) {
      const t = this.verifyTicket(existingTicket);
      if (t && this.keepsPlace(campaignId, t, holder)) {
        const { lapsed, ...kept } = await this.statusOf(c, t, holder);
        // A place spent on a completed booking, or lapsed unclaimed, is not kept: a new one.
        if (!kept.used && !lapsed) return { ticket: existingTicket, device: t.device, ...kept };
      }
    }
    this.refuseNewPlaceWhenSoldOut(campaignId);
    // Routes always bring a device the server signed (identity's holderOf); benchmarks bring none.
    const device = holder.device ?? newDeviceId();
    const joined = await this.issue(campaignId, joinsPreQueue(c, this.clock.nowMs()));
    const state = await this.state(campaignId);
    const ticket: Ticket = {
      campaignId,
      seq: joined.seq,
      issuedAtMs: this.clock.nowMs(),
      device,
      preQueue: joined.pre,
      ...(holder.personId !== undefined ? { personId: holder.personId } : {}),
    };
    const { lapsed: _new, ...answer } = await this.issueTicket(c, ticket, holder, state);
    return answer;
  }

  /**
   * The promise made at join travels in the ticket, so the ETA error can be measured statelessly;
   * then the place's answer (a claim, if it is admitted already).
   */
  private async issueTicket(c: Campaign, ticket: Ticket, holder: Holder, state: QueueState): Promise<JoinAnswer & { lapsed?: true }> {
    const promised: Ticket = { ...ticket, promisedEtaSeconds: answerOf(c, ticket, state, this.clock.nowMs()).etaSeconds };
    const status = await this.statusOf(c, promised, holder, state);
    return { ticket: this.opts.tickets.sign(ticketClaims(promised)), device: ticket.device, ...status };
  }

  /**
   * One place per person (verify-first): the first join of a person stores the number issued to
   * them; every later join — from any device, with or without the ticket — is given that place
   * again, re-signed for the asking device. The decision is the conditional INSERT's (primary key
   * campaign + person, ON CONFLICT DO NOTHING): two first joins at once keep one place; the loser's
   * number is left unused (admitted as a no-show). A place spent on a completed booking, or
   * lapsed (admitted and not claimed within the claim window), is replaced by a new one at the
   * back (conditional DELETE of that very place, then a new INSERT).
   */
  private async joinAsPerson(c: Campaign, personId: number, holder: Holder): Promise<JoinAnswer> {
    const device = holder.device ?? newDeviceId();
    for (let attempt = 0; ; attempt++) {
      assert(attempt < 2, 'a new person place was spent at once');
      let place = await this.personPlaces.get(c.id, personId);
      if (!place) {
        this.refuseNewPlaceWhenSoldOut(c.id);
        const joined = await this.issue(c.id, joinsPreQueue(c, this.clock.nowMs()));
        const mine = { seq: joined.seq, pre: joined.pre, issuedAtMs: this.clock.nowMs() };
        place = (await this.personPlaces.insert(c.id, personId, mine)) ? mine : await this.personPlaces.get(c.id, personId);
        assert(place, 'a person place neither inserted nor found');
      }
      const ticket: Ticket = { campaignId: c.id, seq: place.seq, issuedAtMs: place.issuedAtMs, device, preQueue: place.pre, personId };
      const { lapsed, ...answer } = await this.issueTicket(c, ticket, holder, await this.state(c.id));
      if ((answer.used || lapsed) && attempt === 0) {
        await this.personPlaces.remove(c.id, personId, place.seq);
        continue;
      }
      return answer;
    }
  }

  /**
   * True when rejoining with `token` keeps a place: a valid ticket for this campaign, of this
   * holder, whose place is neither spent nor lapsed (such a rejoin is a new join, proof of work
   * and all).
   */
  async holdsPlace(campaignId: string, token: string, holder: Holder): Promise<boolean> {
    const t = this.verifyTicket(token);
    if (t === null || !this.keepsPlace(campaignId, t, holder)) return false;
    const state = await this.state(campaignId);
    const position = positionOf(t, state);
    // Only an admitted place can have been spent or have lapsed.
    if (position === null || position > state.admittedUpTo) return true;
    const answer = await this.statusOf(this.campaign(campaignId), t, holder, state);
    return !answer.used && !answer.lapsed;
  }

  private keepsPlace(campaignId: string, t: Ticket, holder: Holder): boolean {
    return t.campaignId === campaignId && (t.personId === undefined || t.personId === holder.personId);
  }

  private verifyTicket(token: string): Ticket | null {
    return ticketOf(this.opts.tickets.verify<unknown>(token));
  }

  async status(ticketToken: string, holder: Holder): Promise<StatusAnswer> {
    const t = this.verifyTicket(ticketToken);
    if (!t) throw new YeyakError('YEYAK_E_TICKET_INVALID');
    if (t.personId !== undefined && holder.personId !== undefined && t.personId !== holder.personId) throw new YeyakError('YEYAK_E_TICKET_INVALID');
    const { lapsed, ...answer } = await this.statusOf(this.campaign(t.campaignId), t, holder);
    if (lapsed) throw new YeyakError('YEYAK_E_TICKET_LAPSED');
    return answer;
  }

  /** Position in the line, or null while a pre-queue ticket waits for the opening shuffle. */
  position(t: Ticket, state: QueueState): number | null {
    return positionOf(t, state);
  }

  /**
   * The place's answer; for an admitted place, its claim (passes.ts): the pass, or why none.
   * While sold out, no claim: the answer carries the notice, and the place is kept as it is.
   */
  private async statusOf(c: Campaign, t: Ticket, holder: Holder, known?: QueueState): Promise<PlaceAnswer> {
    const state = known ?? (await this.state(c.id));
    const a = answerOf(c, t, state, this.clock.nowMs());
    if (this.opts.soldOut?.(c.id)) return { ...a, supplyState: 'sold_out', supplyNotice: { ...SOLD_OUT_NOTICE } };
    if (a.state !== 'admitted' || a.position === null) return a;
    return this.passes.claim(c, t, holder, { ...a, position: a.position });
  }

  /**
   * A new place is not given while the campaign is sold out (a place already held is kept): the
   * line would not move for it. Someone booked who needs a pass to cancel joins again once
   * admission resumes (docs/ARCHITECTURE.md, Supply: an open limit).
   */
  private refuseNewPlaceWhenSoldOut(campaignId: string): void {
    if (this.opts.soldOut?.(campaignId)) throw new YeyakError('YEYAK_E_SOLD_OUT', undefined, { notice: { ...SOLD_OUT_NOTICE } });
  }

  /** The booking API's gate (passes.ts): a valid, unexpired, unused pass of this holder. */
  checkPass(campaignId: string, passToken: string | undefined, holder: Holder): Promise<Pass> {
    return this.passes.check(campaignId, passToken, holder);
  }

  /** Takes a checked pass for one booking-path write (passes.ts). */
  beginUse(pass: Pass, personId: number): Promise<PassUse> {
    return this.passes.beginUse(pass, personId);
  }

  /** A write refused before anything committed: its pass may be used again (another date). */
  endUse(use: PassUse): Promise<void> {
    return this.passes.endUse(use);
  }

  /** The campaign is sold out now: nobody is admitted (sold-out.ts). */
  soldOut(campaignId: string): boolean {
    return this.opts.soldOut?.(campaignId) ?? false;
  }

  /** While sold out no pass is issued, so a cancel needs none (booking's PassGate). */
  cancelsWithoutPass(campaignId: string): boolean {
    return this.soldOut(campaignId);
  }

  /** After a completed booking: the position is spent, and its pass with it (passes.ts). */
  revoke(pass: Pass): Promise<void> {
    return this.passes.revoke(pass);
  }

  /**
   * One proof-of-work solution buys one join: true the first time a challenge is presented solved
   * (recorded in the line's store until it expires), false on a reuse.
   */
  recordSolution(campaignId: string, challenge: string, untilMs: number): Promise<boolean> {
    const id = createHash('sha256').update(challenge).digest('base64url').slice(0, 22);
    return this.store.recordSolution(campaignId, id, untilMs, this.clock.nowMs());
  }
}
