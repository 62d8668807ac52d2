// The booking service: rules before the database, the batcher and SQL calls for the decision,
// then codes to answers (answers.ts) — for book, agent booking, change and cancel, each under its
// waiting-room pass where the campaign has a queue (pass-guard.ts).
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import { firstBookableDay, requireCampaign, type Campaign, type CampaignLookup, type Citizen, type PersonFacts } from '../rules/campaign.ts';
import { isRealDay, localDay } from '../rules/time.ts';
import { evaluateEligibility, type EligibilityResult } from '../rules/eligibility.ts';
import { dose2Day } from '../rules/dose-dates.ts';
import * as sql from './sql.ts';
import { findIdempotent } from './idempotency.ts';
import { lastDoseDay, sourceCampaignIds } from './earlier-doses.ts';
import { bookingAnswer, cancelAnswer, changeAnswer, replayAnswer } from './answers.ts';
import { createBookingBatcher, submitBooking, type BookingBatcher } from './book-batcher.ts';
import { admit, underPass, type Access } from './pass-guard.ts';
import type { GateUse, PassGate, SlotOffers } from './ports.ts';
import { parsePerson, PROXY_PEOPLE_MAX, upsertPerson, type NamedPerson, type OnBehalfOf, type ParsedPerson } from './proxy.ts';

export type { Access } from './pass-guard.ts';
export type { Holder, PassGate, SlotOffers } from './ports.ts';

export interface BookingServiceOptions {
  batchMax: number;
  queueMax: number;
  /** Days between today and the earliest bookable dose-1 date (deliveries need notice). */
  leadDays: number;
  /** Key of the RRN hash (YEYAK_RRN_SECRET): a proxy's or agent's beneficiary is found by it. */
  rrnSecret: string;
  /** How long an idempotency key answers retries (config idempotencyTtlMs). */
  idempotencyTtlMs?: number;
  /** After each booking batch: its size, duration and whether it failed (Batcher.onBatch). */
  onBatch?: (size: number, ms: number, failed: boolean) => void;
  /** The waiting room's pass check (WaitingRoom); none: no campaign's writes need a pass. */
  gate?: PassGate | null;
}

export interface BookInput {
  campaignId: string;
  clinicId: string;
  date: string;
  /** Proxy booking: the session's person books for this person (where the campaign allows it). */
  onBehalfOf?: OnBehalfOf;
}

/** A call-centre agent (staff) booking for a citizen. */
export interface AgentActor {
  staffId: number | null;
  name: string;
}

/** Who the booking is for, and who books it. */
interface Booker {
  personId: number;
  facts: PersonFacts;
  actor: string;
  bookedBy: 'self' | 'proxy' | 'agent';
  proxyPersonId?: number;
  audit?: Record<string, unknown>;
}

/** A change of clinic and/or date; at least one is given. */
export interface ChangeRequest {
  clinicId?: string;
  date?: string;
}

/** A booking's answer, and whether it repeats an earlier one (same Idempotency-Key): metrics count it apart. */
export interface BookingAnswer {
  body: sql.ReservationBody;
  replayed: boolean;
}

/** Rules before the database, the database for the decision, then codes to answers. */
export class BookingService {
  private readonly batcher: BookingBatcher;
  /** The waiting room (the `gate` option); where a campaign has its queue on, every write needs its pass. */
  private readonly gate: PassGate | null;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly campaignRegistry: CampaignLookup,
    private readonly availability: SlotOffers,
    private readonly opts: BookingServiceOptions,
  ) {
    this.gate = opts.gate ?? null;
    this.batcher = createBookingBatcher(db, clock, opts);
  }

  get waiting(): number {
    return this.batcher.waiting;
  }

  campaign(id: string): Campaign {
    return requireCampaign(this.campaignRegistry, id);
  }

  today(c: Campaign): string {
    return localDay(this.clock.now(), c.timeZone);
  }

  /** The first day a dose 1 may be booked for, today. */
  firstBookableDay(c: Campaign): string {
    return firstBookableDay(c, this.clock.now(), this.opts.leadDays);
  }

  async inRoster(c: Campaign, personId: number): Promise<boolean> {
    if (!c.rosterRequired) return true;
    return sql.inRoster(this.db, c.id, personId);
  }

  /** A booster's (a campaign with a cohort): the person's last earlier dose day; otherwise undefined (not asked). */
  async lastDoseDay(c: Campaign, personId: number): Promise<string | null | undefined> {
    if (!c.cohort) return undefined;
    return lastDoseDay(this.db, personId, sourceCampaignIds(c, this.campaignRegistry), this.today(c));
  }

  async eligibility(session: Citizen, campaignId: string): Promise<EligibilityResult & { bookingNumber?: string }> {
    const c = this.campaign(campaignId);
    const [inRoster, booked, lastDose] = await Promise.all([
      this.inRoster(c, session.personId),
      sql.hasLiveReservation(this.db, c.id, session.personId),
      this.lastDoseDay(c, session.personId),
    ]);
    const result = evaluateEligibility({
      campaign: c, person: session.facts, inRoster, alreadyBooked: booked !== null, now: this.clock.now(),
      ...(lastDose !== undefined ? { lastDoseDay: lastDose } : {}),
    });
    return booked ? { ...result, bookingNumber: booked } : result;
  }

  /** Eligibility of the person the booking is FOR (a proxy's beneficiary, not the proxy). */
  private async requireOpenWindow(c: Campaign, personId: number, facts: PersonFacts): Promise<void> {
    const [inRoster, lastDose] = await Promise.all([this.inRoster(c, personId), this.lastDoseDay(c, personId)]);
    const e = evaluateEligibility({
      campaign: c, person: facts, inRoster, alreadyBooked: false, now: this.clock.now(),
      ...(lastDose !== undefined ? { lastDoseDay: lastDose } : {}),
    });
    if (e.eligible) return;
    // Not in the campaign at all (a booster: no earlier dose, or not yet N days since it).
    const hard = e.reasons.some((r) => r === 'BIRTH_OUT_OF_RANGE' || r === 'NOT_IN_ROSTER' || r === 'NO_EARLIER_DOSE' || r === 'TOO_SOON');
    throw new YeyakError(hard ? 'YEYAK_E_NOT_ELIGIBLE' : 'YEYAK_E_WINDOW_CLOSED', e.message.en, {
      reasons: e.reasons,
      messageKo: e.message.ko,
      ...(e.nextWindow ? { nextWindow: e.nextWindow } : {}),
      ...(e.cohort ? { cohort: e.cohort } : {}),
    });
  }

  /** Validates the clinic and dose-1 date and derives the dose-2 date. */
  private slotDays(c: Campaign, clinicId: string, date: string): { day1: string; day2: string | null } {
    if (!isRealDay(date)) throw new YeyakError('YEYAK_E_DATE_INVALID');
    if (!this.availability.hasClinic(c.id, clinicId)) {
      throw new YeyakError('YEYAK_E_CLINIC_NOT_FOUND');
    }
    const offered = this.availability.offers(c.id, clinicId, date, this.firstBookableDay(c));
    if (!offered || date > c.lastShotDay) throw new YeyakError('YEYAK_E_DATE_NOT_OFFERED');
    return { day1: date, day2: this.dose2Of(c, date) };
  }

  /** A dose-1 date without its clinic (a change that keeps the clinic): the clinic-day is checked in the database. */
  private dose1Days(c: Campaign, date: string): { day1: string; day2: string | null } {
    if (!isRealDay(date)) throw new YeyakError('YEYAK_E_DATE_INVALID');
    if (date < this.firstBookableDay(c) || date > c.lastShotDay) throw new YeyakError('YEYAK_E_DATE_NOT_OFFERED');
    return { day1: date, day2: this.dose2Of(c, date) };
  }

  private dose2Of(c: Campaign, day1: string): string | null {
    return c.doses === 2 && c.dose2IntervalDays !== null ? dose2Day(day1, c.dose2IntervalDays, c.blackoutDays, c.blackoutShiftDays) : null;
  }

  async book(session: Citizen, input: BookInput, idempotencyKey: string, access: Access): Promise<BookingAnswer> {
    const c = this.campaign(input.campaignId);
    // Proxy booking: refused before anything is written where the campaign bans it (18–49 in 2021).
    let beneficiary: ParsedPerson | null = null;
    if (input.onBehalfOf) {
      if (!c.proxyAllowed) throw new YeyakError('YEYAK_E_PROXY_NOT_ALLOWED');
      beneficiary = parsePerson(input.onBehalfOf, this.opts.rrnSecret, this.clock);
    }
    // The key is the caller's (the session's person, also as a proxy); the hash covers whom it is for.
    const caller = `person:${session.personId}`;
    const idemHash = requestHash(beneficiary && input.onBehalfOf
      ? ['proxy', input.campaignId, input.clinicId, input.date, beneficiary.rrnHash, input.onBehalfOf.relationship]
      : ['self', input.campaignId, input.clinicId, input.date]);
    let use: GateUse | null;
    try {
      // The waiting-room pass of a proxy booking is the proxy's (the session's person's).
      use = await admit(this.gate, c, access, session.personId);
    } catch (e) {
      // A retry of a booking that already went through answers as before, though its pass is spent
      // (or still held, when the first attempt's answer was lost on the way).
      if (e instanceof YeyakError && (e.code === 'YEYAK_E_PASS_USED' || e.code === 'YEYAK_E_PASS_IN_USE')) {
        const prior = await findIdempotent(this.db, caller, idempotencyKey, this.clock.now());
        if (prior?.requestHash === idemHash && prior.response) return { body: replayAnswer(prior.response), replayed: true };
      }
      throw e;
    }
    return underPass(this.gate, use, async () => {
      let booker: Booker = { personId: session.personId, facts: session.facts, actor: caller, bookedBy: 'self' };
      if (beneficiary && input.onBehalfOf) {
        const personId = await upsertPerson(this.db, beneficiary, this.clock.now());
        if (personId === session.personId) throw new YeyakError('YEYAK_E_VALIDATION', 'onBehalfOf names yourself: book without it.');
        booker = {
          personId,
          facts: beneficiary.facts,
          actor: caller,
          bookedBy: 'proxy',
          proxyPersonId: session.personId,
          audit: { proxy: { personId: session.personId, relationship: input.onBehalfOf.relationship } },
        };
      }
      return this.bookAdmitted(c, booker, input, idempotencyKey, idemHash);
    });
  }

  /**
   * A call-centre agent books for a citizen by phone (phone booking stayed open in 2021): no
   * waiting-room pass, but the same eligibility, capacity and one-booking rules; the agent is the
   * actor of the audit row.
   */
  async bookAsAgent(agent: AgentActor, person: NamedPerson, input: Omit<BookInput, 'onBehalfOf'>, idempotencyKey: string | null): Promise<BookingAnswer> {
    const c = this.campaign(input.campaignId);
    const parsed = parsePerson(person, this.opts.rrnSecret, this.clock);
    const personId = await upsertPerson(this.db, parsed, this.clock.now());
    const idemHash = requestHash(['agent', input.campaignId, input.clinicId, input.date, parsed.rrnHash]);
    const actor = agent.staffId === null ? 'staff:admin-token' : `staff:${agent.staffId}`;
    return this.bookAdmitted(
      c,
      { personId, facts: parsed.facts, actor, bookedBy: 'agent', audit: { agent: { staffId: agent.staffId, name: agent.name } } },
      input,
      idempotencyKey,
      idempotencyKey === null ? null : idemHash,
    );
  }

  private async bookAdmitted(c: Campaign, booker: Booker, input: Omit<BookInput, 'onBehalfOf'>, idempotencyKey: string | null, idemHash: string | null): Promise<BookingAnswer> {
    await this.requireOpenWindow(c, booker.personId, booker.facts);
    const { day1, day2 } = this.slotDays(c, input.clinicId, input.date);
    const outcome = await submitBooking(this.batcher, {
      personId: booker.personId,
      campaignId: c.id,
      clinicId: input.clinicId,
      day1,
      day2,
      idemKey: idempotencyKey,
      idemHash,
      caller: booker.actor,
      actor: booker.actor,
      bookedBy: booker.bookedBy,
      ...(booker.proxyPersonId !== undefined ? { proxyPersonId: booker.proxyPersonId, proxyCap: PROXY_PEOPLE_MAX } : {}),
      ...(booker.audit ? { audit: booker.audit } : {}),
    });
    const slotFull = () => (this.availability.campaignRemaining(c.id, this.firstBookableDay(c)) === 0 ? 'YEYAK_E_SUPPLY_EXHAUSTED' : 'YEYAK_E_SLOT_FULL');
    return { body: bookingAnswer(outcome, slotFull), replayed: outcome.code !== 'OK' };
  }

  async get(session: Citizen, bookingNumber: string): Promise<sql.ReservationBody> {
    const r = await sql.findReservation(this.db, bookingNumber, session.personId);
    if (!r) throw new YeyakError('YEYAK_E_RESERVATION_NOT_FOUND');
    return r;
  }

  async change(session: Citizen, bookingNumber: string, input: ChangeRequest, access: Access): Promise<sql.ReservationBody> {
    if (input.clinicId === undefined && input.date === undefined) throw new YeyakError('YEYAK_E_CHANGE_NOTHING');
    const current = await this.get(session, bookingNumber);
    if (current.status !== 'confirmed') throw new YeyakError('YEYAK_E_RESERVATION_CANCELLED');
    const c = this.campaign(current.campaignId);
    const use = await admit(this.gate, c, access, session.personId);
    return underPass(this.gate, use, () => this.changeAdmitted(c, session, bookingNumber, input));
  }

  /**
   * What is given is checked here; what is omitted is kept as the reservation is under its row
   * lock (change_reservation), never as read before: two concurrent changes of
   * one reservation compose instead of the second undoing the first. The booked person or the
   * proxy who booked may change it. The change window (changeFreezeDays) is decided there too.
   */
  private async changeAdmitted(c: Campaign, session: Citizen, bookingNumber: string, input: ChangeRequest): Promise<sql.ReservationBody> {
    let days: { day1: string; day2: string | null } | null = null;
    if (input.clinicId !== undefined && input.date !== undefined) days = this.slotDays(c, input.clinicId, input.date);
    else if (input.date !== undefined) days = this.dose1Days(c, input.date);
    else if (input.clinicId !== undefined && !this.availability.hasClinic(c.id, input.clinicId)) throw new YeyakError('YEYAK_E_CLINIC_NOT_FOUND');
    const r = await sql.changeReservation(
      this.db,
      {
        bookingNumber,
        personId: session.personId,
        clinicId: input.clinicId ?? null,
        day1: days?.day1 ?? null,
        day2: days?.day2 ?? null,
        firstDay: this.firstBookableDay(c),
        lastDay: c.lastShotDay,
        today: this.today(c),
        freezeDays: c.changeFreezeDays,
        actor: `person:${session.personId}`,
      },
      this.clock.now(),
    );
    return changeAnswer(r);
  }

  async cancel(session: Citizen, bookingNumber: string, access: Access): Promise<{ bookingNumber: string; status: 'cancelled' }> {
    const current = await this.get(session, bookingNumber);
    const c = this.campaign(current.campaignId);
    // A cancel commits a write too: it spends its pass (booking again goes through the line) —
    // unless none is issued (sold out), where a cancel without one is how a dose comes back.
    const passless = access.pass === undefined && this.gate?.cancelsWithoutPass?.(c.id) === true;
    const use = passless ? null : await admit(this.gate, c, access, session.personId);
    return underPass(this.gate, use, () => this.cancelAdmitted(c, session, bookingNumber));
  }

  /** The cancel window (cancelUntilDays) is decided in cancel_reservation, against the campaign-local today. */
  private async cancelAdmitted(c: Campaign, session: Citizen, bookingNumber: string): Promise<{ bookingNumber: string; status: 'cancelled' }> {
    const r = await sql.cancelReservation(
      this.db,
      { bookingNumber, personId: session.personId, today: this.today(c), untilDays: c.cancelUntilDays, actor: `person:${session.personId}` },
      this.clock.now(),
    );
    return cancelAnswer(r);
  }

  drain(): Promise<void> {
    return this.batcher.drain();
  }
}

/** The idempotency hash of what was asked (sha256 of the JSON of its parts). */
function requestHash(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
