/** The operator's supply routes' schemas (OpenAPI document, validation, serializer). */
import { dateField, idParam, idParams } from '../core/schemas.ts';
import { SUPPLY_DOSES_PER_WEEK_MAX, SUPPLY_ROWS_MAX } from './supply-import.ts';
import { UNCOVERED_LISTED_MAX } from './supply-sql.ts';

const operator = { security: [{ admin: [] }], tags: ['admin'] } as const;

/** Supply rows one GET lists (a national campaign has ~13,000 clinics: filter by clinicId). */
export const SUPPLY_LISTED_MAX = 5_000;

const supplyState = {
  type: 'object',
  required: ['supplyId', 'clinicId', 'vaccineId', 'weekStart', 'requested', 'doses', 'allocated', 'booked', 'uncovered'],
  properties: {
    supplyId: { type: 'integer' },
    clinicId: { type: 'string' },
    vaccineId: { type: 'string' },
    weekStart: { type: 'string', description: 'the Monday of the delivery week' },
    requested: { type: 'integer', description: 'the confirmed delivery, as last set' },
    doses: { type: 'integer', description: 'what the week may hold: requested + uncovered (allocated ≤ doses)' },
    allocated: { type: 'integer', description: "the capacity of the week's slots (dose 1 and dose 2)" },
    booked: { type: 'integer', description: "doses booked in the week's slots" },
    uncovered: { type: 'integer', description: 'booked doses beyond the confirmed delivery' },
  },
} as const;

const report = {
  type: 'object',
  required: ['rows', 'uncoveredTotal', 'uncovered'],
  properties: {
    rows: {
      type: 'array',
      items: { ...supplyState, required: [...supplyState.required, 'cut'], properties: { ...supplyState.properties, cut: { type: 'integer', description: 'capacity taken from the week by this change' } } },
    },
    uncoveredTotal: { type: 'integer', description: 'booked doses the new deliveries cannot cover' },
    uncovered: {
      type: 'array',
      description: `the first ${UNCOVERED_LISTED_MAX} of them: each week's latest bookings (the earliest booked keep their doses)`,
      items: {
        type: 'object',
        required: ['bookingNumber', 'dose', 'day', 'clinicId', 'vaccineId', 'weekStart'],
        properties: {
          bookingNumber: { type: 'string' },
          dose: { type: 'integer' },
          day: { type: 'string' },
          clinicId: { type: 'string' },
          vaccineId: { type: 'string' },
          weekStart: { type: 'string' },
        },
      },
    },
  },
} as const;

/** PUT /admin/campaigns/:campaignId/supply. */
export const putSupplySchema = {
  ...operator,
  summary: 'Sets confirmed weekly deliveries per clinic and vaccine; a cut shrinks unbooked capacity first and lists the booked doses it cannot cover',
  params: idParams('campaignId'),
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['rows'],
    properties: {
      rows: {
        type: 'array',
        minItems: 1,
        maxItems: SUPPLY_ROWS_MAX,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['clinicId', 'vaccineId', 'weekStart', 'doses'],
          properties: {
            clinicId: idParam,
            vaccineId: idParam,
            weekStart: { ...dateField, description: 'a Monday' },
            doses: { type: 'integer', minimum: 0, maximum: SUPPLY_DOSES_PER_WEEK_MAX },
          },
        },
      },
    },
  },
  response: { 200: report, '4xx': { $ref: 'Error#' } },
} as const;

/** POST /admin/campaigns/:campaignId/supply.csv (text/csv). */
export const supplyCsvSchema = {
  ...operator,
  summary: 'Confirmed weekly deliveries from a CSV (clinic_id,week_start,vaccine,doses): all rows or none',
  consumes: ['text/csv'],
  params: idParams('campaignId'),
  body: { type: 'string', description: 'text/csv (UTF-8, a BOM is fine), header row first' },
  response: {
    200: { ...report, required: [...report.required, 'imported'], properties: { ...report.properties, imported: { type: 'integer', description: 'rows set' } } },
    '4xx': { $ref: 'Error#' },
  },
} as const;

/** GET /admin/campaigns/:campaignId/supply[?clinicId=…]. */
export const getSupplySchema = {
  ...operator,
  summary: 'Confirmed supply per clinic, vaccine and week, with what is allocated to slots and booked',
  params: idParams('campaignId'),
  querystring: { type: 'object', additionalProperties: false, properties: { clinicId: idParam } },
  response: {
    200: {
      type: 'object',
      required: ['rows', 'truncated'],
      properties: { rows: { type: 'array', items: supplyState }, truncated: { type: 'boolean', description: `more than ${SUPPLY_LISTED_MAX} rows: filter by clinicId` } },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const;
