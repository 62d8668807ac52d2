import { dateField, idParam, idParams } from '../core/schemas.ts';
import { doseOutcomes } from './clinic-sql.ts';

/** The clinic portal's route schemas (clinic staff of that clinic, or an operator). */

const ERROR_REF = { $ref: 'Error#' } as const;

const clinicRecordBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'address', 'phone', 'sidoCode', 'sigunguCode'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    address: { type: 'string' },
    phone: { type: 'string' },
    sidoCode: { type: 'string' },
    sigunguCode: { type: 'string' },
  },
} as const;

/** GET /admin/clinics/:clinicId. */
export const clinicRecordSchema = {
  tags: ['admin'],
  summary: "The clinic's own record — clinic staff of that clinic, or an operator",
  security: [{ admin: [] }],
  params: idParams('clinicId'),
  response: { 200: clinicRecordBody, '4xx': ERROR_REF },
} as const;

/** GET /admin/clinics/:clinicId/capacity. */
export const clinicCapacitySchema = {
  tags: ['admin'],
  summary: "The clinic's capacity per date, dose and vaccine (from: default today in Korea; to: default from + 27 days; at most 92 days), and the confirmed supply per vaccine and week it must stay within",
  security: [{ admin: [] }],
  params: idParams('clinicId'),
  querystring: {
    type: 'object',
    additionalProperties: false,
    required: ['campaignId'],
    properties: { campaignId: idParam, from: dateField, to: dateField },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['clinicId', 'campaignId', 'from', 'to', 'slots', 'supply'],
      properties: {
        clinicId: { type: 'string' },
        campaignId: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        slots: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['date', 'vaccineId', 'dose', 'capacity', 'remaining', 'booked'],
            properties: {
              date: { type: 'string' },
              vaccineId: { type: 'string' },
              dose: { type: 'integer' },
              capacity: { type: 'integer' },
              remaining: { type: 'integer' },
              booked: { type: 'integer' },
            },
          },
        },
        supply: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['vaccineId', 'weekStart', 'doses', 'allocated'],
            properties: {
              vaccineId: { type: 'string' },
              weekStart: { type: 'string', description: 'the Monday the delivery covers (7 days)' },
              doses: { type: 'integer' },
              allocated: { type: 'integer', description: 'doses of it given to slots; doses − allocated is the headroom' },
            },
          },
        },
      },
    },
    '4xx': ERROR_REF,
  },
} as const;

/**
 * A booking number in a path. Its exact shape is booking's (src/booking/booking-number.ts, which
 * this capability does not import); anything of another shape is simply not found.
 */
const bookingNumberParam = { type: 'string', minLength: 1, maxLength: 20, pattern: '^[A-Za-z0-9-]+$' } as const;

/** PUT /admin/clinics/:clinicId/doses/:bookingNumber/:dose. */
export const doseOutcomeSchema = {
  tags: ['admin'],
  summary:
    "Record a dose's outcome, on its day (Korea) or later: a first outcome is either; a no_show may be corrected to administered; administered never becomes no_show (409 DOSE_ALREADY_ADMINISTERED); the same outcome again answers what is stored. Audited",
  security: [{ admin: [] }],
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['clinicId', 'bookingNumber', 'dose'],
    properties: { clinicId: idParam, bookingNumber: bookingNumberParam, dose: { type: 'string', enum: ['1', '2'] } },
  },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['outcome'],
    properties: { outcome: { type: 'string', enum: [...doseOutcomes] } },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['bookingNumber', 'dose', 'outcome', 'correctedFrom', 'recordedAt', 'recordedBy'],
      properties: {
        bookingNumber: { type: 'string' },
        dose: { type: 'integer' },
        outcome: { type: 'string', enum: [...doseOutcomes] },
        correctedFrom: { type: ['string', 'null'], enum: ['no_show', null] },
        recordedAt: { type: 'string' },
        recordedBy: { type: 'string' },
      },
    },
    '4xx': ERROR_REF,
  },
} as const;

const leftoverBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'clinicId', 'campaignId', 'vaccineId', 'day', 'doses', 'taken', 'until', 'releasedAt', 'releasedBy', 'withdrawnAt'],
  properties: {
    id: { type: 'integer' },
    clinicId: { type: 'string' },
    campaignId: { type: 'string' },
    vaccineId: { type: 'string' },
    day: { type: 'string' },
    doses: { type: 'integer' },
    taken: { type: 'integer' },
    until: { type: 'string', description: 'ISO instant' },
    releasedAt: { type: 'string' },
    releasedBy: { type: 'string' },
    withdrawnAt: { type: ['string', 'null'] },
  },
} as const;

/** Leftover releases are at most this many doses each (leftover_release's CHECK agrees). */
export const LEFTOVER_DOSES_MAX = 100;

/** POST /admin/clinics/:clinicId/leftovers. */
export const releaseLeftoverSchema = {
  tags: ['admin'],
  summary: "Release leftover doses for today (Korea), bookable until `until` (HH:MM, later than now); the clinic must hold a confirmed delivery of the vaccine in the campaign. Audited",
  security: [{ admin: [] }],
  params: idParams('clinicId'),
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['campaignId', 'vaccineId', 'doses', 'until'],
    properties: {
      campaignId: idParam,
      vaccineId: idParam,
      doses: { type: 'integer', minimum: 1, maximum: LEFTOVER_DOSES_MAX },
      until: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM today, Korea time' },
    },
  },
  response: { 201: leftoverBody, '4xx': ERROR_REF },
} as const;

/** GET /admin/clinics/:clinicId/leftovers. */
export const leftoversSchema = {
  tags: ['admin'],
  summary: "The clinic's leftover releases of today (Korea), withdrawn ones included",
  security: [{ admin: [] }],
  params: idParams('clinicId'),
  response: { 200: { type: 'array', items: leftoverBody }, '4xx': ERROR_REF },
} as const;

/** DELETE /admin/clinics/:clinicId/leftovers/:id. */
export const withdrawLeftoverSchema = {
  tags: ['admin'],
  summary: 'Withdraw a leftover release: what is untaken is no longer offered; withdrawing again answers the same. Audited',
  security: [{ admin: [] }],
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['clinicId', 'id'],
    properties: { clinicId: idParam, id: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } },
  },
  response: { 200: leftoverBody, '4xx': ERROR_REF },
} as const;
