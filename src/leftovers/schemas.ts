import { idParams } from '../core/schemas.ts';
import { FAVOURITE_CLINICS_MAX, OPEN_LEFTOVERS_MAX } from './sql.ts';

/** The leftover routes' schemas: what the OpenAPI document shows and the validator checks. */

const favouritesSchema = {
  type: 'object',
  required: ['clinics', 'max'],
  properties: {
    clinics: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'sidoCode', 'sigunguCode'],
        properties: { id: { type: 'string' }, name: { type: 'string' }, sidoCode: { type: 'string' }, sigunguCode: { type: 'string' } },
      },
    },
    max: { type: 'integer', description: `at most ${FAVOURITE_CLINICS_MAX}` },
  },
} as const;

/** GET /me/favourite-clinics. */
export const favouritesGetSchema = {
  tags: ['leftovers'],
  summary: 'Your favourite clinics (up to 5), in the order starred: a release at one sends you an alert',
  security: [{ session: [] }],
  response: { 200: favouritesSchema, '4xx': { $ref: 'Error#' } },
} as const;

/** PUT /me/favourite-clinics/:clinicId. */
export const favouritePutSchema = {
  tags: ['leftovers'],
  summary: 'Star a clinic (again: no change); a sixth → 409 FAVOURITES_FULL',
  security: [{ session: [] }],
  params: idParams('clinicId'),
  response: { 200: favouritesSchema, '4xx': { $ref: 'Error#' } },
} as const;

/** DELETE /me/favourite-clinics/:clinicId. */
export const favouriteDeleteSchema = {
  tags: ['leftovers'],
  summary: 'Unstar a clinic (not starred: no change)',
  security: [{ session: [] }],
  params: idParams('clinicId'),
  response: { 200: favouritesSchema, '4xx': { $ref: 'Error#' } },
} as const;

const openLeftoverSchema = {
  type: 'object',
  required: ['releaseId', 'campaignId', 'clinicId', 'clinicName', 'vaccineId', 'dosesLeft', 'until', 'nearby'],
  properties: {
    releaseId: { type: 'integer' },
    campaignId: { type: 'string' },
    clinicId: { type: 'string' },
    clinicName: { type: 'string' },
    sidoCode: { type: 'string' },
    sigunguCode: { type: 'string' },
    vaccineId: { type: 'string' },
    vaccineKo: { type: 'string' },
    vaccineEn: { type: 'string' },
    dosesLeft: { type: 'integer' },
    until: { type: 'string', description: 'ISO-8601 instant: bookable until then, today' },
    nearby: { type: 'boolean', description: "in the asked 시/군/구 (listed first); else elsewhere in its 시/도" },
  },
} as const;

/** GET /leftovers. */
export const leftoverListSchema = {
  tags: ['leftovers'],
  summary: `Today's open leftover doses near a region (its 시/군/구 first, then the rest of its 시/도), at most ${OPEN_LEFTOVERS_MAX}; public`,
  querystring: {
    type: 'object',
    additionalProperties: false,
    required: ['region'],
    properties: {
      region: { type: 'string', pattern: '^[0-9]{2}([0-9]{3})?$', description: '2-digit 시/도 or 5-digit 시/군/구 code' },
      campaign: idParams('campaign').properties.campaign,
    },
  },
  response: { 200: { type: 'array', items: openLeftoverSchema }, '4xx': { $ref: 'Error#' } },
} as const;

/** POST /leftovers/:releaseId/reservations. */
export const takeSchema = {
  tags: ['leftovers'],
  summary:
    "Take one leftover dose today, first come first served (dose 2 booked as for a regular booking). Replaces your regular booking of the campaign in the same transaction; refused (nothing changed): 409 LEFTOVER_GONE, 403 LEFTOVER_BARRED, 409 LEFTOVER_ALREADY_TODAY, 409 DOSE2_FULL. No proxy. Same Idempotency-Key → same answer.",
  security: [{ session: [] }],
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['releaseId'],
    properties: { releaseId: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } },
  },
  headers: {
    type: 'object',
    properties: { 'idempotency-key': { type: 'string', description: 'Client-generated, 8–64 of [A-Za-z0-9_.:-]; reuse it on retry' } },
  },
  response: {
    201: {
      type: 'object',
      required: ['bookingNumber', 'doses', 'releaseId'],
      properties: {
        bookingNumber: { type: 'string' },
        campaignId: { type: 'string' },
        status: { type: 'string' },
        vaccine: { type: 'string' },
        doses: {
          type: 'array',
          items: { type: 'object', properties: { dose: { type: 'integer' }, date: { type: 'string' }, clinicId: { type: 'string' } } },
        },
        releaseId: { type: 'integer' },
        replacedBookingNumber: { type: ['string', 'null'], description: 'your regular booking this replaced (cancelled), if any' },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const;
