// One concept at ~450 lines: the waiting room as citizens see it (join, status, pass check and
// use). The stores (store.ts, memory-store.ts, redis-*.ts), the issuer, the controller and the
// estimates already live apart; what remains shares the cached counters and the token signers.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { assert, YeyakError } from '../core/errors.ts';
import { isDeviceIdShaped } from '../identity/devices.ts';
import { updateQueueSettings } from '../campaigns/store.ts';
import type { Campaign } from '../rules/campaign.ts';
import type { CampaignRegistry } from '../campaigns/registry.ts';
import { estimateWait, POLL_FAR_MS, POLL_NEAR_MS, type Estimate } from './estimate.ts';
import { checkpointLedger, Issuer, volatileLedger } from './issuer.ts';
import { shuffledPosition } from './permutation.ts';
import type { JoinResult, QueueSettings, QueueState, QueueStore } from './store.ts';
import { isPass, isTicket, type Pass, type Ticket, type TokenSigner } from './tokens.ts';

/**
 * The waiting room as citizens see it. A node keeps each campaign's counters in memory,
 * refreshed from the shared store at least every `stateRefreshMs`, so a status poll touches no
 * shared state: verify the ticket's signature, subtract, answer.
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
   * operator settings are persisted in the campaign row before the store takes them. Without one
   * (a benchmark) neither is durable.
   */
  db?: Db;
}

export interface StatusAnswer extends Estimate {
  state: 'waiting' | 'admitted';
  ahead: number;
  position: number | null;
  paused: boolean;
  opening: string | null;
  notice: { ko: string; en: string } | null;
  pass?: string;
  passExpiresAt?: string;
  /**
   * Present (true) when this place was spent on a completed booking: the answer stays 'admitted'
   * but carries no pass — none is ever issued for it again. Joining again without this ticket
   * gives a new place at the back of the line.
   */
  used?: true;
  /**
   * Present (true) when the place is admitted but the passes in use are at the cap: no pass yet;
   * ask again after pollAfterMs (short). The claim window still runs from the admission.
   */
  passPending?: true;
}

/** Internal: a place whose claim window passed unclaimed (status answers 409 TICKET_LAPSED). */
type PlaceAnswer = StatusAnswer & { lapsed?: true };

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

export interface JoinAnswer extends StatusAnswer {
  ticket: string;
  device: string;
}

export interface Holder {
  /** The device id the request carries (cookie or Yeyak-Device header). */
  device: string | undefined;
  /** The verified person, if the request has a session. */
  personId: number | undefined;
}

/** A person's place in a verify-first campaign's line. */
export interface PersonPlace {
  seq: number;
  pre: boolean;
  issuedAtMs: number;
}

interface PersonPlaces {
  get(campaignId: string, personId: number): Promise<PersonPlace | null>;
  /** Conditional insert: true when stored, false when the person already has a place. */
  insert(campaignId: string, personId: number, place: PersonPlace): Promise<boolean>;
  /** Removes the person's place only if it is still `seq` (a spent place, replaced). */
  remove(campaignId: string, personId: number, seq: number): Promise<void>;
}

function dbPersonPlaces(db: Db): PersonPlaces {
  return {
    async get(campaignId, personId) {
      const r = await db.query<{ seq: string | number; pre: boolean; issued_at: Date | string }>(
        'SELECT seq, pre, issued_at FROM queue_person_ticket WHERE campaign_id = $1 AND person_id = $2',
        [campaignId, personId],
      );
      const row = r.rows[0];
      return row ? { seq: Number(row.seq), pre: row.pre, issuedAtMs: new Date(row.issued_at).getTime() } : null;
    },
    async insert(campaignId, personId, place) {
      const r = await db.query(
        `INSERT INTO queue_person_ticket (campaign_id, person_id, seq, pre, issued_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (campaign_id, person_id) DO NOTHING RETURNING seq`,
        [campaignId, personId, place.seq, place.pre, new Date(place.issuedAtMs).toISOString()],
      );
      return r.rows.length > 0;
    },
    async remove(campaignId, personId, seq) {
      await db.query('DELETE FROM queue_person_ticket WHERE campaign_id = $1 AND person_id = $2 AND seq = $3', [campaignId, personId, seq]);
    },
  };
}

/** Without a database (benchmarks): one process's map, same rules. */
function memoryPersonPlaces(): PersonPlaces {
  const places = new Map<string, PersonPlace>();
  const key = (c: string, p: number) => `${c}\u0000${p}`;
  return {
    async get(c, p) {
      return places.get(key(c, p)) ?? null;
    },
    async insert(c, p, place) {
      if (places.has(key(c, p))) return false;
      places.set(key(c, p), place);
      return true;
    },
    async remove(c, p, seq) {
      if (places.get(key(c, p))?.seq === seq) places.delete(key(c, p));
    },
  };
}

/**
 * Device ids are minted and signed by identity (src/identity/devices.ts); every route resolves a
 * request's device to a signed one (holderOf) before the room sees it, so here only the shape.
 */
export function isDeviceId(s: string | undefined): s is string {
  return isDeviceIdShaped(s);
}

/** Only for callers that bypass the routes (benchmarks): unsigned, so no route would accept it. */
export function newDeviceId(): string {
  return randomBytes(16).toString('base64url');
}

/** The instant the campaign's line starts moving: its first window's opening. */
export function openingOf(c: Campaign): Date | null {
  return c.windows.length > 0 ? (c.windows[0] as { opensAt: Date }).opensAt : null;
}

export class WaitingRoom {
  private readonly cache = new Map<string, { state: QueueState; readAtMs: number; loading: Promise<QueueState> | null }>();
  /** Called when a ticket is first seen admitted: (seconds waited − seconds promised at join). */
  onAdmittedClaim: ((etaErrorSeconds: number) => void) | null = null;
  /** Issues numbers, reserving blocks in the checkpoint first. */
  readonly issuer: Issuer;

  constructor(
    readonly store: QueueStore,
    private readonly clock: Clock,
    private readonly campaigns: CampaignRegistry,
    private readonly opts: WaitingRoomOptions,
  ) {
    this.issuer = new Issuer(store, opts.db ? checkpointLedger(opts.db, () => clock.nowMs()) : volatileLedger());
    this.personPlaces = opts.db ? dbPersonPlaces(opts.db) : memoryPersonPlaces();
  }

  /** verify-first: each person's place per campaign. */
  private readonly personPlaces: PersonPlaces;

  private campaign(id: string): Campaign {
    const c = this.campaigns.get(id);
    if (!c) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
    return c;
  }

  /** The campaign's counters, at most stateRefreshMs old; one store read in flight per campaign. */
  async state(campaignId: string): Promise<QueueState> {
    // Cache age is machine time (monotonic), not campaign time: a fake clock must not freeze it.
    const now = performance.now();
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
  issue(campaignId: string, pre: boolean): Promise<JoinResult> {
    return this.issuer.issue(campaignId, pre);
  }

  /**
   * An operator's change (rate, cap, pause, notice, PoW): written to the campaign row first, so
   * that a store that loses its memory (Redis) or a restarted node comes back with it; then this
   * node's registry is reloaded and the store (the live line, shared by every node) takes it.
   */
  async configure(campaignId: string, patch: Partial<QueueSettings>): Promise<void> {
    this.campaign(campaignId);
    const db = this.opts.db;
    if (db) {
      await updateQueueSettings(db, campaignId, patch);
      await this.campaigns.reload(db, campaignId);
    }
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
      const t = this.tickets(existingTicket);
      if (t && this.keepsPlace(campaignId, t, holder)) {
        const { lapsed, ...kept } = await this.statusOf(c, t, holder);
        // A place spent on a completed booking, or lapsed unclaimed, is not kept: a new one.
        if (!kept.used && !lapsed) return { ticket: existingTicket, device: t.d, ...kept };
      }
    }
    const device = isDeviceId(holder.device) ? holder.device : newDeviceId();
    const opening = openingOf(c);
    const pre = c.queue.shuffleAtOpening && opening !== null && this.clock.nowMs() < opening.getTime();
    const joined = await this.issue(campaignId, pre);
    const state = await this.state(campaignId);
    const ticket: Ticket = {
      c: campaignId,
      s: joined.seq,
      t: this.clock.nowMs(),
      d: device,
      pre: joined.pre,
      ...(holder.personId !== undefined ? { p: holder.personId } : {}),
    };
    // The promise made at join travels in the ticket, so the ETA error can be measured statelessly.
    const first = this.answer(c, ticket, state);
    const token = this.opts.tickets.sign({ ...ticket, e: first.etaSeconds });
    const { lapsed: _new, ...status } = await this.statusOf(c, { ...ticket, e: first.etaSeconds }, holder, state);
    return { ticket: token, device, ...status };
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
    const device = isDeviceId(holder.device) ? holder.device : newDeviceId();
    for (let attempt = 0; attempt < 2; attempt++) {
      let place = await this.personPlaces.get(c.id, personId);
      if (!place) {
        const opening = openingOf(c);
        const pre = c.queue.shuffleAtOpening && opening !== null && this.clock.nowMs() < opening.getTime();
        const joined = await this.issue(c.id, pre);
        const mine = { seq: joined.seq, pre: joined.pre, issuedAtMs: this.clock.nowMs() };
        place = (await this.personPlaces.insert(c.id, personId, mine)) ? mine : await this.personPlaces.get(c.id, personId);
        assert(place, 'a person place neither inserted nor found');
      }
      const ticket: Ticket = { c: c.id, s: place.seq, t: place.issuedAtMs, d: device, pre: place.pre, p: personId };
      const state = await this.state(c.id);
      const first = this.answer(c, ticket, state);
      const signed = { ...ticket, e: first.etaSeconds };
      const { lapsed, ...status } = await this.statusOf(c, signed, holder, state);
      if ((status.used || lapsed) && attempt === 0) {
        await this.personPlaces.remove(c.id, personId, place.seq);
        continue;
      }
      return { ticket: this.opts.tickets.sign(signed), device, ...status };
    }
    throw new Error('invariant violated: a new person place was spent at once');
  }

  /**
   * True when rejoining with `token` keeps a place: a valid ticket for this campaign, of this
   * holder, whose place is neither spent nor lapsed (such a rejoin is a new join, proof of work
   * and all).
   */
  async holdsPlace(campaignId: string, token: string, holder: Holder): Promise<boolean> {
    const t = this.tickets(token);
    if (t === null || !this.keepsPlace(campaignId, t, holder)) return false;
    const state = await this.state(campaignId);
    const position = this.position(t, state);
    // Only an admitted place can have been spent or have lapsed.
    if (position === null || position > state.admittedUpTo) return true;
    const answer = await this.statusOf(this.campaign(campaignId), t, holder, state);
    return !answer.used && !answer.lapsed;
  }

  private keepsPlace(campaignId: string, t: Ticket, holder: Holder): boolean {
    return t.c === campaignId && (t.p === undefined || t.p === holder.personId);
  }

  private tickets(token: string): (Ticket & { e?: number }) | null {
    const t = this.opts.tickets.verify<Ticket & { e?: number }>(token);
    return isTicket(t) ? t : null;
  }

  async status(ticketToken: string, holder: Holder): Promise<StatusAnswer> {
    const t = this.tickets(ticketToken);
    if (!t) throw new YeyakError('YEYAK_E_TICKET_INVALID');
    if (t.p !== undefined && holder.personId !== undefined && t.p !== holder.personId) throw new YeyakError('YEYAK_E_TICKET_INVALID');
    const { lapsed, ...answer } = await this.statusOf(this.campaign(t.c), t, holder);
    if (lapsed) throw new YeyakError('YEYAK_E_TICKET_LAPSED');
    return answer;
  }

  /** Position in the line, or null while a pre-queue ticket waits for the opening shuffle. */
  position(t: Ticket, state: QueueState): number | null {
    if (t.pre) {
      if (state.shuffleSeed === null || state.frozenPreCount === null) return null;
      assert(t.s <= state.frozenPreCount, 'pre-queue number beyond the frozen count');
      return shuffledPosition(t.s, state.frozenPreCount, state.shuffleSeed);
    }
    return (state.frozenPreCount ?? state.preCount) + t.s;
  }

  private answer(c: Campaign, t: Ticket, state: QueueState): StatusAnswer {
    const position = this.position(t, state);
    const opening = openingOf(c);
    // Before the shuffle nobody's place is known: everyone else in the pre-queue may end up ahead.
    const ahead = position === null ? Math.max(0, state.preCount - 1) : Math.max(0, position - state.admittedUpTo - 1);
    const rate = state.observedRatePerS > 0 ? state.observedRatePerS : state.ratePerS;
    const startsInS = opening ? Math.max(0, opening.getTime() - this.clock.nowMs()) / 1000 : 0;
    return {
      state: position !== null && position <= state.admittedUpTo ? 'admitted' : 'waiting',
      ahead,
      position,
      paused: state.paused,
      opening: opening && this.clock.nowMs() < opening.getTime() ? opening.toISOString() : null,
      notice: state.notice,
      ...estimateWait(ahead, rate, t.s, startsInS),
    };
  }

  /**
   * The place's answer; for an admitted place, its claim (store.claimPass): the pass, or why none.
   * Lapsed places come back marked `lapsed` (callers decide: status refuses, a join replaces).
   */
  private async statusOf(c: Campaign, t: Ticket & { e?: number }, holder: Holder, known?: QueueState): Promise<PlaceAnswer> {
    const state = known ?? (await this.state(c.id));
    const a = this.answer(c, t, state);
    if (a.state !== 'admitted' || a.position === null) return a;
    const now = this.clock.nowMs();
    const claim = await this.store.claimPass(c.id, a.position, { expMs: now + this.opts.passTtlMs, nowMs: now, claimWindowMs: this.opts.claimWindowMs });
    const none = { etaSeconds: 0, etaLowSeconds: 0, etaHighSeconds: 0 };
    // Spent on a completed booking: admitted still (the place was real), but never a pass again.
    // Nothing to wait for either: the next poll may come late.
    if (claim.outcome === 'spent') return { ...a, ...none, pollAfterMs: POLL_FAR_MS, used: true };
    if (claim.outcome === 'lapsed') return { ...a, ...none, pollAfterMs: POLL_FAR_MS, lapsed: true };
    // The passes in use are at the cap: the pass comes when one frees (expiry or a booking).
    if (claim.outcome === 'full') return { ...a, ...none, pollAfterMs: POLL_NEAR_MS, passPending: true };
    const exp = claim.expMs;
    if (claim.outcome === 'claimed' && t.e !== undefined) this.onAdmittedClaim?.((now - t.t) / 1000 - t.e);
    // Bound to the ticket's device, and to the person: the ticket's, or the session's that asks.
    const personId = t.p ?? holder.personId;
    const pass: Pass = { c: c.id, n: a.position, d: t.d, exp, ...(personId !== undefined ? { p: personId } : {}) };
    return { ...a, pollAfterMs: 0, etaSeconds: 0, etaLowSeconds: 0, etaHighSeconds: 0, pass: this.opts.passes.sign(pass), passExpiresAt: new Date(exp).toISOString() };
  }

  /**
   * The booking API's gate: a valid, unexpired pass for this campaign, held by the device (and
   * person) it was issued to, not yet used. Time is the server's: a client clock changes nothing.
   */
  async checkPass(campaignId: string, passToken: string | undefined, holder: Holder): Promise<Pass> {
    if (!passToken) throw new YeyakError('YEYAK_E_PASS_REQUIRED');
    const pass = this.opts.passes.verify<Pass>(passToken);
    if (!isPass(pass)) throw new YeyakError('YEYAK_E_PASS_INVALID');
    if (pass.c !== campaignId) throw new YeyakError('YEYAK_E_PASS_WRONG_CAMPAIGN');
    if (pass.exp <= this.clock.nowMs()) throw new YeyakError('YEYAK_E_PASS_EXPIRED');
    if (pass.d !== holder.device) throw new YeyakError('YEYAK_E_PASS_WRONG_HOLDER');
    if (pass.p !== undefined && pass.p !== holder.personId) throw new YeyakError('YEYAK_E_PASS_WRONG_HOLDER');
    if (await this.store.isSpent(campaignId, pass.n)) throw new YeyakError('YEYAK_E_PASS_USED');
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
    const r = await this.store.beginUse(pass.c, pass.n, { personId, token, leaseUntilMs: now + PASS_USE_LEASE_MS, nowMs: now, passExpMs: pass.exp });
    if (r === 'spent') throw new YeyakError('YEYAK_E_PASS_USED');
    if (r === 'wrong-holder') throw new YeyakError('YEYAK_E_PASS_WRONG_HOLDER');
    if (r === 'in-use') throw new YeyakError('YEYAK_E_PASS_IN_USE');
    return { pass, token };
  }

  /** A write refused before anything committed: its pass may be used again (another date). */
  async endUse(use: PassUse): Promise<void> {
    await this.store.endUse(use.pass.c, use.pass.n, use.token);
  }

  /**
   * After a completed booking: the active slot frees at once, and the position is spent for the
   * life of the campaign — every pass for it is refused, and none is issued for it again.
   */
  async revoke(pass: Pass): Promise<void> {
    await this.store.spendPosition(pass.c, pass.n);
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
