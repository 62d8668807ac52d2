import type { FastifyInstance, FastifyRequest } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { dateField, idParam, namedPersonProperties } from '../core/schemas.ts';
import { countBooking, type Metrics } from '../core/metrics.ts';
import type { Citizen } from '../rules/campaign.ts';
import type { Access, BookingService, BookInput } from './service.ts';
import { bookingNumberPattern } from './booking-number.ts';
import { proxyRelationships } from './proxy.ts';

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

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,64}$/;

const reservationSchema = {
  type: 'object',
  required: ['bookingNumber', 'doses'],
  properties: {
    bookingNumber: { type: 'string' },
    campaignId: { type: 'string' },
    status: { type: 'string', enum: ['confirmed', 'cancelled'] },
    vaccine: { type: 'string' },
    person: {
      type: 'object',
      description: 'on look-up: whose booking it is; the RRN only masked',
      properties: { name: { type: 'string' }, rrnMasked: { type: 'string', example: '900829-1******' } },
    },
    doses: {
      type: 'array',
      items: {
        type: 'object',
        required: ['dose', 'date', 'clinicId'],
        properties: { dose: { type: 'integer' }, date: { type: 'string' }, clinicId: { type: 'string' } },
      },
    },
  },
} as const;

const onBehalfOfSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'rrn', 'phone', 'relationship'],
  description: 'Proxy booking: the session person books for this person, where the campaign allows it (else 403 PROXY_NOT_ALLOWED).',
  properties: { ...namedPersonProperties, relationship: { type: 'string', enum: [...proxyRelationships] } },
} as const;

const bookingParams = {
  type: 'object',
  additionalProperties: false,
  required: ['bookingNumber'],
  properties: { bookingNumber: { type: 'string', pattern: bookingNumberPattern } },
} as const;

export async function bookingRoutes(app: FastifyInstance, deps: BookingRouteDeps): Promise<void> {
  app.post<{ Body: BookInput }>(
    '/reservations',
    {
      schema: {
        tags: ['booking'],
        summary: 'Book dose 1 and its dose 2 atomically. Same Idempotency-Key and body → same answer.',
        security: [{ session: [] }],
        headers: {
          type: 'object',
          properties: {
            'idempotency-key': { type: 'string', description: 'Client-generated, 8–64 of [A-Za-z0-9_.:-]; reuse it on retry' },
            'yeyak-pass': { type: 'string', description: 'Admission pass from the waiting room (required where the queue is on)' },
            'yeyak-device': { type: 'string', description: 'Your device id as the server minted it (or the yeyak_device cookie); without one, the session\'s device. Another device\'s, or one the server did not sign → 403 YEYAK_E_DEVICE_MISMATCH' },
          },
        },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['campaignId', 'clinicId', 'date'],
          properties: { campaignId: idParam, clinicId: idParam, date: dateField, onBehalfOf: onBehalfOfSchema },
        },
        response: { 201: reservationSchema, '4xx': { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      const session = deps.auth.require(request);
      const access = accessOf(request, deps.auth, session);
      const key = request.headers['idempotency-key'];
      // Absent: required; sent but malformed (too short, twice, a bad character): invalid.
      if (key === undefined) throw new YeyakError('YEYAK_E_IDEMPOTENCY_KEY_REQUIRED');
      if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) throw new YeyakError('YEYAK_E_IDEMPOTENCY_KEY_INVALID');
      const channel = request.body.onBehalfOf ? 'proxy' : 'self';
      const { body } = await countBooking(deps.metrics.bookings, channel, () => deps.booking.book(session, request.body, key, access));
      return reply.status(201).send(body);
    },
  );

  app.get<{ Params: { bookingNumber: string } }>(
    '/reservations/:bookingNumber',
    {
      schema: {
        tags: ['booking'],
        summary: "The session's own reservation",
        security: [{ session: [] }],
        params: bookingParams,
        response: { 200: reservationSchema, '4xx': { $ref: 'Error#' } },
      },
    },
    async (request) => deps.booking.get(deps.auth.require(request), request.params.bookingNumber),
  );

  app.patch<{ Params: { bookingNumber: string }; Body: { clinicId?: string; date?: string } }>(
    '/reservations/:bookingNumber',
    {
      schema: {
        tags: ['booking'],
        summary: 'Change clinic and/or date: the new slots are claimed and the old released atomically',
        security: [{ session: [] }],
        params: bookingParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { clinicId: idParam, date: dateField },
        },
        response: { 200: reservationSchema, '4xx': { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const session = deps.auth.require(request);
      return deps.booking.change(session, request.params.bookingNumber, request.body, accessOf(request, deps.auth, session));
    },
  );

  app.delete<{ Params: { bookingNumber: string } }>(
    '/reservations/:bookingNumber',
    {
      schema: {
        tags: ['booking'],
        summary: 'Cancel; the capacity returns at once',
        security: [{ session: [] }],
        params: bookingParams,
        response: {
          200: { type: 'object', properties: { bookingNumber: { type: 'string' }, status: { type: 'string' } } },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (request) => {
      const session = deps.auth.require(request);
      return deps.booking.cancel(session, request.params.bookingNumber, accessOf(request, deps.auth, session));
    },
  );
}
