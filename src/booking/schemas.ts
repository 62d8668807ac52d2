import { dateField, idParam, namedPersonProperties } from '../core/schemas.ts';
import { bookingNumberPattern } from './booking-number.ts';
import { proxyRelationships } from './proxy.ts';

/** The booking routes' schemas: what the OpenAPI document shows and the validator checks. */

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

/** POST /reservations. */
export const bookSchema = {
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
} as const;

/** GET /reservations/:bookingNumber. */
export const getReservationSchema = {
  tags: ['booking'],
  summary: "The session's own reservation",
  security: [{ session: [] }],
  params: bookingParams,
  response: { 200: reservationSchema, '4xx': { $ref: 'Error#' } },
} as const;

/** PATCH /reservations/:bookingNumber. */
export const changeSchema = {
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
} as const;

/** DELETE /reservations/:bookingNumber. */
export const cancelSchema = {
  tags: ['booking'],
  summary: 'Cancel; the capacity returns at once',
  security: [{ session: [] }],
  params: bookingParams,
  response: {
    200: { type: 'object', properties: { bookingNumber: { type: 'string' }, status: { type: 'string' } } },
    '4xx': { $ref: 'Error#' },
  },
} as const;
