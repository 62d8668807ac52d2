import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../core/schemas.ts';
import { countBooking, type Metrics } from '../core/metrics.ts';
import { isRealDay, KOREA_TIME_ZONE, localDay } from '../rules/time.ts';
import { requireStaff } from './auth.ts';
import { registerClinicPortal } from './clinic-routes.ts';
import { addStaff, type StaffRole } from './staff.ts';
import { addStaffSchema, agentBookSchema, clinicReservationsSchema, setCapacitySchema } from './schemas.ts';
import * as sql from './sql.ts';

/** What agent booking needs of booking (booking/service.ts implements it; the app wires it). */
export interface AgentBooking {
  bookAsAgent(
    agent: { staffId: number | null; name: string },
    person: { name: string; rrn: string; phone: string },
    input: { campaignId: string; clinicId: string; date: string },
    idempotencyKey: string | null,
  ): Promise<{ replayed: boolean; body: unknown }>;
}

export interface StaffRouteDeps {
  db: Db;
  clock: Clock;
  booking: AgentBooking;
  metrics: Pick<Metrics, 'bookings'>;
}


/** Staff routes: clinic staff (their clinic only) and call-centre agents. Operators may use all. */
export async function staffRoutes(app: FastifyInstance, deps: StaffRouteDeps): Promise<void> {
  registerAddStaff(app, deps);
  registerClinicReservations(app, deps);
  registerSetCapacity(app, deps);
  registerAgentBook(app, deps);
  registerClinicPortal(app, deps);
}

/**
 * POST /admin/staff. Staff credentials while a server runs on the embedded store (`yeyak staff
 * add --server`): the CLI cannot open a store a running server holds (src/core/data-dir-lock.ts).
 */
function registerAddStaff(app: FastifyInstance, deps: StaffRouteDeps): void {
  app.post<{ Body: { role: StaffRole; name: string; clinicId?: string } }>(
    '/admin/staff',
    { config: { staff: { roles: ['operator'] } }, schema: addStaffSchema },
    async (request, reply) => {
      const by = requireStaff(request, []);
      const { role, name } = request.body;
      const { staff, token } = await addStaff(deps.db, { role, clinicId: request.body.clinicId ?? null, name }, deps.clock.now());
      request.log.info({ staffId: staff.id, role, by: by.id ?? 'YEYAK_ADMIN_TOKEN' }, 'staff added');
      return reply.status(201).send({ id: staff.id, role: staff.role, clinicId: staff.clinicId, name: staff.name, token });
    },
  );
}

/** GET /admin/clinics/:clinicId/reservations: a clinic's confirmed doses of a day. */
function registerClinicReservations(app: FastifyInstance, deps: StaffRouteDeps): void {
  app.get<{ Params: { clinicId: string }; Querystring: { date?: string } }>(
    '/admin/clinics/:clinicId/reservations',
    { config: { staff: { roles: ['operator', 'clinic'], clinicParam: 'clinicId' } }, schema: clinicReservationsSchema },
    async (request) => {
      const { clinicId } = request.params;
      requireStaff(request, ['clinic'], clinicId);
      const date = request.query.date ?? localDay(deps.clock.now(), KOREA_TIME_ZONE);
      if (!isRealDay(date)) throw new YeyakError('YEYAK_E_DATE_INVALID');
      return { clinicId, date, reservations: await sql.clinicDoses(deps.db, clinicId, date) };
    },
  );
}

/**
 * PATCH /admin/clinics/:clinicId/slots/:date: a day's dose-1 capacity, of `vaccineId` — unset, the
 * day's first dose-1 vaccine by id (what a booking takes on a day with two).
 */
function registerSetCapacity(app: FastifyInstance, deps: StaffRouteDeps): void {
  app.patch<{ Params: { clinicId: string; date: string }; Body: { campaignId: string; capacity: number; vaccineId?: string } }>(
    '/admin/clinics/:clinicId/slots/:date',
    { config: { staff: { roles: ['operator', 'clinic'], clinicParam: 'clinicId' } }, schema: setCapacitySchema },
    async (request) => {
      const { clinicId, date } = request.params;
      requireStaff(request, ['clinic'], clinicId);
      if (!isRealDay(date)) throw new YeyakError('YEYAK_E_DATE_INVALID');
      const { campaignId, capacity } = request.body;
      const slot = { campaignId, clinicId, day: date, vaccineId: request.body.vaccineId ?? null };
      const row = await sql.setDose1Capacity(deps.db, slot, capacity);
      if (!row) {
        if (!(await sql.dose1SlotExists(deps.db, slot))) throw new YeyakError('YEYAK_E_DATE_NOT_OFFERED');
        throw new YeyakError('YEYAK_E_CAPACITY_OUT_OF_RANGE');
      }
      return { campaignId, clinicId, date, dose: 1, vaccineId: row.vaccineId, capacity: row.capacity, remaining: row.remaining };
    },
  );
}

/** POST /admin/agent/reservations: call-centre booking, the agent recorded. */
function registerAgentBook(app: FastifyInstance, deps: StaffRouteDeps): void {
  app.post<{ Body: { person: { name: string; rrn: string; phone: string }; campaignId: string; clinicId: string; date: string } }>(
    '/admin/agent/reservations',
    { config: { staff: { roles: ['operator', 'agent'] } }, schema: agentBookSchema },
    async (request, reply) => {
      const staff = requireStaff(request, ['agent']);
      const key = request.headers['idempotency-key'];
      if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key))) throw new YeyakError('YEYAK_E_IDEMPOTENCY_KEY_INVALID');
      const { person, ...input } = request.body;
      const { body } = await countBooking(deps.metrics.bookings, 'agent', () => deps.booking.bookAsAgent({ staffId: staff.id, name: staff.name }, person, input, key ?? null));
      return reply.status(201).send(body);
    },
  );
}
