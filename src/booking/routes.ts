import type { FastifyInstance, FastifyRequest } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../core/schemas.ts';
import { countBooking, type Metrics } from '../core/metrics.ts';
import type { Citizen } from '../rules/campaign.ts';
import type { Access, BookingService, BookInput } from './service.ts';
import { bookSchema, cancelSchema, changeSchema, getReservationSchema } from './schemas.ts';

/** What booking needs of identity (identity/auth.ts SessionAuth implements it; the app wires it). */
export interface BookingAuth {
  /** The request's live session, or the catalogue's 401. */
  require(request: FastifyRequest): Citizen;
  /** The device a write under `citizen` comes from; another device's → 403 DEVICE_MISMATCH. */
  deviceOfWrite(request: FastifyRequest, citizen: Citizen): string | undefined;
}

/**
 * The pass and the holder of a booking write. The device is the session's: none sent counts as
 * the session's own; a forged id, or another device's, is refused (403 DEVICE_MISMATCH) — so the
 * pass check below sees the resolved device, never a string the client chose.
 */
function accessOf(request: FastifyRequest, auth: BookingAuth, session: Citizen): Access {
  const pass = request.headers['yeyak-pass'];
  return {
    pass: typeof pass === 'string' ? pass : undefined,
    holder: { device: auth.deviceOfWrite(request, session), personId: session.personId },
  };
}

export interface BookingRouteDeps {
  booking: BookingService;
  auth: BookingAuth;
  metrics: Metrics;
}


export async function bookingRoutes(app: FastifyInstance, deps: BookingRouteDeps): Promise<void> {
  app.post<{ Body: BookInput }>('/reservations', { schema: bookSchema }, async (request, reply) => {
    const session = deps.auth.require(request);
    const access = accessOf(request, deps.auth, session);
    const key = request.headers['idempotency-key'];
    // Absent: required; sent but malformed (too short, twice, a bad character): invalid.
    if (key === undefined) throw new YeyakError('YEYAK_E_IDEMPOTENCY_KEY_REQUIRED');
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) throw new YeyakError('YEYAK_E_IDEMPOTENCY_KEY_INVALID');
    const channel = request.body.onBehalfOf ? 'proxy' : 'self';
    const { body } = await countBooking(deps.metrics.bookings, channel, () => deps.booking.book(session, request.body, key, access));
    return reply.status(201).send(body);
  });

  app.get<{ Params: { bookingNumber: string } }>('/reservations/:bookingNumber', { schema: getReservationSchema }, async (request) =>
    deps.booking.get(deps.auth.require(request), request.params.bookingNumber),
  );

  app.patch<{ Params: { bookingNumber: string }; Body: { clinicId?: string; date?: string } }>(
    '/reservations/:bookingNumber',
    { schema: changeSchema },
    async (request) => {
      const session = deps.auth.require(request);
      return deps.booking.change(session, request.params.bookingNumber, request.body, accessOf(request, deps.auth, session));
    },
  );

  app.delete<{ Params: { bookingNumber: string } }>('/reservations/:bookingNumber', { schema: cancelSchema }, async (request) => {
    const session = deps.auth.require(request);
    return deps.booking.cancel(session, request.params.bookingNumber, accessOf(request, deps.auth, session));
  });
}
