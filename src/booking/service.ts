// One concept at ~420 lines: the booking service — rules before the database, the batcher and
// SQL calls for the decision, codes to answers — for book, agent booking, change and cancel, which
// share the pass gate and the answer mapping. Splitting it by verb would copy those.
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { assert, YeyakError, type ErrorCode } from '../core/errors.ts';
import type { Campaign } from '../rules/campaign.ts';
import type { CampaignRegistry } from '../campaigns/registry.ts';
import { addDays, isRealDay, localDay } from '../rules/time.ts';
import { evaluateEligibility, type EligibilityResult } from '../rules/eligibility.ts';
import type { PersonFacts } from '../rules/campaign.ts';
import type { AvailabilityView } from '../availability/view.ts';
import type { Session } from '../identity/session.ts';
import { Batcher, QueueFullError } from './batcher.ts';
import { DbError } from '../core/db-errors.ts';
import { newBookingNumber } from './booking-number.ts';
import { dose2Day } from '../rules/dose-dates.ts';
import * as sql from './sql.ts';
import { findIdempotent } from './idempotency.ts';
import type { Holder, PassUse, WaitingRoom } from '../waiting-room/service.ts';
import { parsePerson, PROXY_PEOPLE_MAX, upsertPerson, type NamedPerson, type OnBehalfOf, type ParsedPerson } from './proxy.ts';

/** What a booking-path write carries for the waiting room's gate. */
export interface Access {
  pass: string | undefined;
  holder: Holder;
}

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

/** A booking's answer, and whether it repeats an earlier one (same Idempotency-Key): metrics count it apart. */
export interface BookingAnswer {
  body: sql.ReservationBody;
  replayed: boolean;
}

/** Rules before the database, the database for the decision, then codes to answers. */
export class BookingService {
  private readonly batcher: Batcher<sql.BookingRow, sql.BookingOutcome>;
  /** The waiting room; where a campaign has its queue on, every write needs its pass. */
  gate: WaitingRoom | null = null;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly campaignRegistry: CampaignRegistry,
    private readonly availability: AvailabilityView,
    private readonly opts: BookingServiceOptions,
  ) {
    this.batcher = new Batcher({
      run: (rows) => sql.bookBatch(db, rows, clock.now(), opts.idempotencyTtlMs),
      batchMax: opts.batchMax,
      queueMax: opts.queueMax,
      inFlightMax: 1,
      onBatch: opts.onBatch,
    });
  }

  get waiting(): number {
    return this.batcher.waiting;
  }

  campaigns(): Campaign[] {
    return this.campaignRegistry.list();
  }

  campaign(id: string): Campaign {
    const c = this.campaignRegistry.get(id);
    if (!c) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
    return c;
  }

  today(c: Campaign): string {
    return localDay(this.clock.now(), c.timeZone);
  }

  /** The first day a dose 1 may be booked for, today. */
  firstBookableDay(c: Campaign): string {
    const earliest = addDays(this.today(c), this.opts.leadDays);
    return earliest > c.firstShotDay ? earliest : c.firstShotDay;
  }

  async inRoster(c: Campaign, personId: number): Promise<boolean> {
    if (!c.rosterRequired) return true;
    const r = await this.db.query(
      'SELECT 1 FROM campaign_roster cr JOIN person p ON p.rrn_hash = cr.rrn_hash WHERE cr.campaign_id = $1 AND p.id = $2',
      [c.id, personId],
    );
    return r.rows.length > 0;
  }

  async eligibility(session: Session, campaignId: string): Promise<EligibilityResult & { bookingNumber?: string }> {
    const c = this.campaign(campaignId);
    const [inRoster, booked] = await Promise.all([
      this.inRoster(c, session.personId),
      sql.hasLiveReservation(this.db, c.id, session.personId),
    ]);
    const result = evaluateEligibility({ campaign: c, person: session.facts, inRoster, alreadyBooked: booked !== null, now: this.clock.now() });
    return booked ? { ...result, bookingNumber: booked } : result;
  }

  /** Eligibility of the person the booking is FOR (a proxy's beneficiary, not the proxy). */
  private async requireOpenWindow(c: Campaign, personId: number, facts: PersonFacts): Promise<void> {
    const inRoster = await this.inRoster(c, personId);
    const e = evaluateEligibility({ campaign: c, person: facts, inRoster, alreadyBooked: false, now: this.clock.now() });
    if (e.eligible) return;
    const hard = e.reasons.includes('BIRTH_OUT_OF_RANGE') || e.reasons.includes('NOT_IN_ROSTER');
    throw new YeyakError(hard ? 'YEYAK_E_NOT_ELIGIBLE' : 'YEYAK_E_WINDOW_CLOSED', e.message.en, {
      reasons: e.reasons,
      messageKo: e.message.ko,
      ...(e.nextWindow ? { nextWindow: e.nextWindow } : {}),
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

  /**
   * The booking API checks admission itself: the client's queue is never trusted. A valid pass is
   * then taken for this one write (WaitingRoom.beginUse, atomic in the line's store): one write at
   * a time per pass (409 PASS_IN_USE), bound to the first person who uses it (403 WRONG_HOLDER).
   */
  private async admit(c: Campaign, access: Access, personId: number): Promise<PassUse | null> {
    if (!c.queueEnabled || !this.gate) return null;
    const pass = await this.gate.checkPass(c.id, access.pass, access.holder);
    return this.gate.beginUse(pass, personId);
  }

  /**
   * Runs a write under its pass: the pass is spent when the write commits, and given back when the
   * write is refused (a catalogue error or a full booking queue: nothing committed) so that the
   * citizen can pick another date with it while it lives — and when the database answered with an
   * error (a SQLSTATE: its transaction rolled back, nothing committed). Any other failure (a
   * dropped connection, whose COMMIT may or may not have happened) leaves the outcome unknown: the
   * pass stays taken until its lease ends; a retry with the same Idempotency-Key still gets the
   * stored answer meanwhile (book).
   */
  private async underPass<T>(use: PassUse | null, write: () => Promise<T>): Promise<T> {
    const gate = this.gate;
    if (!use || !gate) return write();
    let result: T;
    try {
      result = await write();
    } catch (e) {
      // A store that cannot take the release now loses nothing: the lease ends by itself.
      if (e instanceof YeyakError || e instanceof QueueFullError || rolledBack(e)) await gate.endUse(use).catch(() => undefined);
      throw e;
    }
    await gate.revoke(use.pass);
    return result;
  }

  async book(session: Session, input: BookInput, idempotencyKey: string, access: Access): Promise<BookingAnswer> {
    const c = this.campaign(input.campaignId);
    // Proxy booking: refused before anything is written where the campaign bans it (18–49 in 2021).
    let beneficiary: ParsedPerson | null = null;
    if (input.onBehalfOf) {
      if (!c.proxyAllowed) throw new YeyakError('YEYAK_E_PROXY_NOT_ALLOWED');
      beneficiary = parsePerson(input.onBehalfOf, this.opts.rrnSecret, this.clock);
    }
    // The key is the caller's (the session's person, also as a proxy); the hash covers whom it is for.
    const caller = `person:${session.personId}`;
    const idemHash = createHash('sha256')
      .update(JSON.stringify(beneficiary && input.onBehalfOf
        ? ['proxy', input.campaignId, input.clinicId, input.date, beneficiary.rrnHash, input.onBehalfOf.relationship]
        : ['self', input.campaignId, input.clinicId, input.date]))
      .digest('hex');
    let use: PassUse | null;
    try {
      // The waiting-room pass of a proxy booking is the proxy's (the session's person's).
      use = await this.admit(c, access, session.personId);
    } catch (e) {
      // A retry of a booking that already went through answers as before, though its pass is spent
      // (or still held, when the first attempt's answer was lost on the way).
      if (e instanceof YeyakError && (e.code === 'YEYAK_E_PASS_USED' || e.code === 'YEYAK_E_PASS_IN_USE')) {
        const prior = await findIdempotent(this.db, caller, idempotencyKey, this.clock.now());
        if (prior?.requestHash === idemHash && prior.response) return { body: replayAnswer(prior.response), replayed: true };
      }
      throw e;
    }
    return this.underPass(use, async () => {
      let booker: Booker = { personId: session.personId, facts: session.facts, actor: `person:${session.personId}`, bookedBy: 'self' };
      if (beneficiary && input.onBehalfOf) {
        const personId = await upsertPerson(this.db, beneficiary, this.clock.now());
        if (personId === session.personId) throw new YeyakError('YEYAK_E_VALIDATION', 'onBehalfOf names yourself: book without it.');
        booker = {
          personId,
          facts: beneficiary.facts,
          actor: `person:${session.personId}`,
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
    const idemHash = createHash('sha256').update(JSON.stringify(['agent', input.campaignId, input.clinicId, input.date, parsed.rrnHash])).digest('hex');
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
    for (let attempt = 0; attempt < 3; attempt++) {
      const outcome = await this.batcher.submit({
        personId: booker.personId,
        campaignId: c.id,
        clinicId: input.clinicId,
        day1,
        day2,
        bookingNumber: newBookingNumber(),
        idemKey: idempotencyKey,
        idemHash,
        caller: booker.actor,
        actor: booker.actor,
        bookedBy: booker.bookedBy,
        ...(booker.proxyPersonId !== undefined ? { proxyPersonId: booker.proxyPersonId, proxyCap: PROXY_PEOPLE_MAX } : {}),
        ...(booker.audit ? { audit: booker.audit } : {}),
      });
      if (outcome.code === 'BOOKING_NUMBER_TAKEN') continue;
      return { body: this.bookingAnswer(c, outcome), replayed: outcome.code !== 'OK' };
    }
    throw new Error('invariant violated: three booking-number collisions in a row');
  }

  private bookingAnswer(c: Campaign, outcome: sql.BookingOutcome): sql.ReservationBody {
    switch (outcome.code) {
      case 'OK':
      case 'REPLAY':
      case 'REPLAY_CANCELLED':
        assert(outcome.response, `${outcome.code} without a response`);
        return replayAnswer(outcome.response);
      case 'IDEMPOTENCY_MISMATCH':
        throw new YeyakError('YEYAK_E_IDEMPOTENCY_MISMATCH');
      case 'ALREADY_BOOKED':
        throw new YeyakError('YEYAK_E_ALREADY_BOOKED');
      case 'PROXY_CAP':
        throw new YeyakError('YEYAK_E_PROXY_CAP_REACHED', undefined, { cap: PROXY_PEOPLE_MAX });
      case 'DOSE2_FULL':
        throw new YeyakError('YEYAK_E_DOSE2_FULL');
      case 'PERSON_UNKNOWN':
      case 'PROXY_UNKNOWN': // the proxy is the session's person
        throw new YeyakError('YEYAK_E_UNAUTHENTICATED', 'This session belongs to no known person; verify again.');
      case 'SLOT_FULL':
        throw new YeyakError(this.availability.campaignRemaining(c.id, this.firstBookableDay(c)) === 0 ? 'YEYAK_E_SUPPLY_EXHAUSTED' : 'YEYAK_E_SLOT_FULL');
      default:
        throw new Error(`invariant violated: unexpected booking code ${outcome.code}`);
    }
  }

  async get(session: Session, bookingNumber: string): Promise<sql.ReservationBody> {
    const r = await sql.findReservation(this.db, bookingNumber, session.personId);
    if (!r) throw new YeyakError('YEYAK_E_RESERVATION_NOT_FOUND');
    return r;
  }

  async change(session: Session, bookingNumber: string, input: { clinicId?: string; date?: string }, access: Access): Promise<sql.ReservationBody> {
    if (input.clinicId === undefined && input.date === undefined) throw new YeyakError('YEYAK_E_CHANGE_NOTHING');
    const current = await this.get(session, bookingNumber);
    if (current.status !== 'confirmed') throw new YeyakError('YEYAK_E_RESERVATION_CANCELLED');
    const c = this.campaign(current.campaignId);
    const use = await this.admit(c, access, session.personId);
    return this.underPass(use, () => this.changeAdmitted(c, session, bookingNumber, input));
  }

  /**
   * What is given is checked here; what is omitted is kept as the reservation is under its row
   * lock (change_reservation, migrations/008), never as read before: two concurrent changes of
   * one reservation compose instead of the second undoing the first. The booked person or the
   * proxy who booked may change it.
   */
  private async changeAdmitted(c: Campaign, session: Session, bookingNumber: string, input: { clinicId?: string; date?: string }): Promise<sql.ReservationBody> {
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
    if (r.code === 'OK' && r.response) return r.response;
    throw new YeyakError(changeErrors[r.code] ?? 'YEYAK_E_INTERNAL');
  }

  async cancel(session: Session, bookingNumber: string, access: Access): Promise<{ bookingNumber: string; status: 'cancelled' }> {
    const current = await this.get(session, bookingNumber);
    const c = this.campaign(current.campaignId);
    // A cancel commits a write too: it spends its pass (booking again goes through the line).
    const use = await this.admit(c, access, session.personId);
    return this.underPass(use, () => this.cancelAdmitted(c, session, bookingNumber));
  }

  private async cancelAdmitted(c: Campaign, session: Session, bookingNumber: string): Promise<{ bookingNumber: string; status: 'cancelled' }> {
    const r = await sql.cancelReservation(
      this.db,
      { bookingNumber, personId: session.personId, today: this.today(c), untilDays: c.cancelUntilDays, actor: `person:${session.personId}` },
      this.clock.now(),
    );
    if (r.code === 'OK' && r.response) return r.response;
    throw new YeyakError(cancelErrors[r.code] ?? 'YEYAK_E_INTERNAL');
  }

  drain(): Promise<void> {
    return this.batcher.drain();
  }
}

const changeErrors: Partial<Record<sql.ChangeCode, ErrorCode>> = {
  NOT_FOUND: 'YEYAK_E_RESERVATION_NOT_FOUND',
  CANCELLED: 'YEYAK_E_RESERVATION_CANCELLED',
  NOTHING: 'YEYAK_E_CHANGE_NOTHING',
  NOT_OFFERED: 'YEYAK_E_DATE_NOT_OFFERED',
  CHANGE_TOO_LATE: 'YEYAK_E_CHANGE_TOO_LATE',
  SLOT_FULL: 'YEYAK_E_SLOT_FULL',
  DOSE2_FULL: 'YEYAK_E_DOSE2_FULL',
};

const cancelErrors: Partial<Record<sql.CancelCode, ErrorCode>> = {
  NOT_FOUND: 'YEYAK_E_RESERVATION_NOT_FOUND',
  CANCELLED: 'YEYAK_E_RESERVATION_CANCELLED',
  CANCEL_TOO_LATE: 'YEYAK_E_CANCEL_TOO_LATE',
};

/**
 * What a replay answers: the reservation as it is now. One cancelled since is not "confirmed":
 * 409 RESERVATION_CANCELLED with its booking number (book again with a new key).
 */
function replayAnswer(body: sql.ReservationBody): sql.ReservationBody {
  if (body.status === 'cancelled') {
    throw new YeyakError('YEYAK_E_RESERVATION_CANCELLED', 'The booking this Idempotency-Key made was cancelled since; book again with a new key.', { bookingNumber: body.bookingNumber });
  }
  return body;
}

/**
 * A server's error (a SQLSTATE with a severity, not a driver's connection error): the server
 * refused the statement, so its transaction rolled back and nothing committed.
 */
function rolledBack(e: unknown): boolean {
  return e instanceof DbError && e.severity !== undefined && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
}
