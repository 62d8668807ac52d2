/**
 * The clinic portal's API (issue #9): a clinic's record, its capacity within confirmed supply, dose
 * outcomes (administered / no-show) and leftover doses released for today. Every route is under
 * /admin/clinics/:clinicId, for clinic staff of that clinic or an operator; "today" is Korea's,
 * from the injected Clock. The rules are in the statements (clinic-sql.ts); these handlers
 * validate, call and map what the statements answer to HTTP.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { assert, YeyakError } from '../core/errors.ts';
import { addDays, daysBetween, isRealDay, KOREA_TIME_ZONE, localDay, zonedInstant } from '../rules/time.ts';
import { requireStaff, type StaffPolicy } from './auth.ts';
import * as schemas from './clinic-schemas.ts';
import * as sql from './clinic-sql.ts';

export interface ClinicPortalDeps {
  db: Db;
  clock: Clock;
}

const CLINIC_STAFF: { staff: StaffPolicy } = { staff: { roles: ['operator', 'clinic'], clinicParam: 'clinicId' } };

/** A capacity read spans at most this many days; unset, it runs 4 weeks from `from`. */
const CAPACITY_RANGE_DAYS_MAX = 92;
const CAPACITY_RANGE_DAYS_DEFAULT = 28;

/** Attempts of an outcome write whose refusal read finds nothing refusing it (a dose moving under it). */
const OUTCOME_ATTEMPTS_MAX = 2;

export function registerClinicPortal(app: FastifyInstance, deps: ClinicPortalDeps): void {
  registerClinicRecord(app, deps);
  registerCapacity(app, deps);
  registerDoseOutcome(app, deps);
  registerLeftovers(app, deps);
}

/** The clinic staff member (or operator) of this request, checked again, as the audit's actor. */
function actorOf(request: FastifyRequest<{ Params: { clinicId: string } }>): sql.StaffActor {
  const staff = requireStaff(request, ['clinic'], request.params.clinicId);
  return { staffId: staff.id, name: staff.name, actor: staff.id === null ? 'staff:admin-token' : `staff:${staff.id}` };
}

const today = (clock: Clock): string => localDay(clock.now(), KOREA_TIME_ZONE);

function registerClinicRecord(app: FastifyInstance, deps: ClinicPortalDeps): void {
  app.get<{ Params: { clinicId: string } }>('/admin/clinics/:clinicId', { config: CLINIC_STAFF, schema: schemas.clinicRecordSchema }, async (request) => {
    actorOf(request);
    const clinic = await sql.clinicRecord(deps.db, request.params.clinicId);
    if (!clinic) throw new YeyakError('YEYAK_E_CLINIC_NOT_FOUND');
    return clinic;
  });
}

function registerCapacity(app: FastifyInstance, deps: ClinicPortalDeps): void {
  app.get<{ Params: { clinicId: string }; Querystring: { campaignId: string; from?: string; to?: string } }>(
    '/admin/clinics/:clinicId/capacity',
    { config: CLINIC_STAFF, schema: schemas.clinicCapacitySchema },
    async (request) => {
      actorOf(request);
      const { clinicId } = request.params;
      const { campaignId } = request.query;
      const from = request.query.from ?? today(deps.clock);
      if (!isRealDay(from) || (request.query.to !== undefined && !isRealDay(request.query.to))) throw new YeyakError('YEYAK_E_DATE_INVALID');
      const to = request.query.to ?? addDays(from, CAPACITY_RANGE_DAYS_DEFAULT - 1);
      const span = daysBetween(from, to);
      if (span < 0 || span >= CAPACITY_RANGE_DAYS_MAX) throw new YeyakError('YEYAK_E_DATE_RANGE_INVALID');
      const range = { clinicId, campaignId, from, to };
      const [slots, supply] = await Promise.all([sql.slotCapacities(deps.db, range), sql.weekSupplies(deps.db, range)]);
      if (slots.length === 0 && supply.length === 0) {
        // Nothing to show: say so only if the clinic and the campaign exist.
        if (!(await sql.clinicRecord(deps.db, clinicId))) throw new YeyakError('YEYAK_E_CLINIC_NOT_FOUND');
        if (!(await sql.campaignExists(deps.db, campaignId))) throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
      }
      return { clinicId, campaignId, from, to, slots, supply };
    },
  );
}

function registerDoseOutcome(app: FastifyInstance, deps: ClinicPortalDeps): void {
  app.put<{ Params: { clinicId: string; bookingNumber: string; dose: '1' | '2' }; Body: { outcome: sql.DoseOutcome } }>(
    '/admin/clinics/:clinicId/doses/:bookingNumber/:dose',
    { config: CLINIC_STAFF, schema: schemas.doseOutcomeSchema },
    async (request) => {
      const by = actorOf(request);
      const ref = { clinicId: request.params.clinicId, bookingNumber: request.params.bookingNumber, dose: Number(request.params.dose) };
      const recorded = await recordOutcome(deps, ref, request.body.outcome, by);
      return { bookingNumber: ref.bookingNumber, dose: ref.dose, ...recorded };
    },
  );
}

/**
 * The outcome write, and when it wrote nothing, why — read after the statement decided:
 * no such dose at this clinic → 404 (a clinic learns nothing of other clinics' bookings), cancelled
 * → 409, not due yet → 409 DOSE_NOT_DUE, the same outcome stored → that outcome (a retry of a PUT),
 * administered stored and no_show asked → 409 DOSE_ALREADY_ADMINISTERED.
 */
async function recordOutcome(deps: ClinicPortalDeps, ref: sql.DoseRef, outcome: sql.DoseOutcome, by: sql.StaffActor): Promise<sql.RecordedOutcome> {
  for (let attempt = 1; ; attempt++) {
    const day = today(deps.clock);
    const written = await sql.recordDoseOutcome(deps.db, ref, { outcome, today: day, by, now: deps.clock.now() });
    if (written) return written;
    const state = await sql.doseOutcomeState(deps.db, ref);
    if (!state) throw new YeyakError('YEYAK_E_RESERVATION_NOT_FOUND');
    if (state.status !== 'confirmed') throw new YeyakError('YEYAK_E_RESERVATION_CANCELLED');
    if (state.day > day) throw new YeyakError('YEYAK_E_DOSE_NOT_DUE');
    if (state.recorded?.outcome === outcome) return state.recorded;
    if (state.recorded?.outcome === 'administered') throw new YeyakError('YEYAK_E_DOSE_ALREADY_ADMINISTERED');
    assert(attempt < OUTCOME_ATTEMPTS_MAX, `dose outcome of ${ref.clinicId}/${ref.dose} neither written nor refused after ${attempt} attempts`);
  }
}

function registerLeftovers(app: FastifyInstance, deps: ClinicPortalDeps): void {
  app.post<{ Params: { clinicId: string }; Body: { campaignId: string; vaccineId: string; doses: number; until: string } }>(
    '/admin/clinics/:clinicId/leftovers',
    { config: CLINIC_STAFF, schema: schemas.releaseLeftoverSchema },
    async (request, reply) => {
      const by = actorOf(request);
      const now = deps.clock.now();
      const day = localDay(now, KOREA_TIME_ZONE);
      const until = zonedInstant(day, request.body.until, KOREA_TIME_ZONE);
      if (until.getTime() <= now.getTime()) throw new YeyakError('YEYAK_E_LEFTOVER_UNTIL_PAST');
      const { campaignId, vaccineId, doses } = request.body;
      const release = { clinicId: request.params.clinicId, campaignId, vaccineId, doses, day, until };
      const released = await sql.releaseLeftover(deps.db, release, by, now);
      if (released) return reply.status(201).send(released);
      const missing = await sql.leftoverRefusal(deps.db, release);
      if (missing === 'clinic') throw new YeyakError('YEYAK_E_CLINIC_NOT_FOUND');
      if (missing === 'campaign') throw new YeyakError('YEYAK_E_CAMPAIGN_NOT_FOUND');
      throw new YeyakError('YEYAK_E_VACCINE_NOT_SUPPLIED');
    },
  );

  app.get<{ Params: { clinicId: string } }>('/admin/clinics/:clinicId/leftovers', { config: CLINIC_STAFF, schema: schemas.leftoversSchema }, async (request) => {
    actorOf(request);
    return sql.leftoversOfDay(deps.db, request.params.clinicId, today(deps.clock));
  });

  app.delete<{ Params: { clinicId: string; id: string } }>(
    '/admin/clinics/:clinicId/leftovers/:id',
    { config: CLINIC_STAFF, schema: schemas.withdrawLeftoverSchema },
    async (request) => {
      const by = actorOf(request);
      const ref = { clinicId: request.params.clinicId, id: Number(request.params.id) };
      const withdrawn = await sql.withdrawLeftover(deps.db, ref, by, deps.clock.now());
      if (withdrawn) return withdrawn;
      // Withdrawn before (a retry answers the same), or not this clinic's.
      const release = await sql.leftoverRelease(deps.db, ref);
      if (!release) throw new YeyakError('YEYAK_E_LEFTOVER_NOT_FOUND');
      assert(release.withdrawnAt !== null, `leftover release ${ref.id} neither withdrawn nor withdrawable`);
      return release;
    },
  );
}
