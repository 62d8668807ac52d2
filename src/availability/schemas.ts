import { idParams } from '../core/schemas.ts';

/** The availability routes' schemas: what the OpenAPI document shows and the serializer writes. */

const clinicSchema = {
  type: 'object',
  required: ['id', 'name', 'region', 'remaining'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    region: { type: 'string', description: '시/도 code' },
    district: { type: 'string', description: '시/군/구 code' },
    address: { type: 'string' },
    remaining: { type: 'integer' },
  },
} as const;

/** GET /campaigns/:campaignId/clinics. */
export const clinicListSchema = {
  tags: ['availability'],
  summary: 'Clinics (optionally of one 시/도 or 시/군/구) with remaining first doses',
  params: idParams('campaignId'),
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { region: { type: 'string', pattern: '^[0-9]{2}([0-9]{3})?$', description: '2-digit 시/도 or 5-digit 시/군/구 code' } },
  },
  response: { 200: { type: 'array', items: clinicSchema }, '4xx': { $ref: 'Error#' } },
} as const;

/** GET /campaigns/:campaignId/clinics/:clinicId. */
export const clinicSchemaOf = {
  tags: ['availability'],
  summary: 'One clinic of the campaign (name, address, region) with its remaining first doses: for a receipt or a look-up',
  params: idParams('campaignId', 'clinicId'),
  response: { 200: clinicSchema, '4xx': { $ref: 'Error#' } },
} as const;

/** GET /campaigns/:campaignId/clinics/:clinicId/dates. */
export const dateListSchema = {
  tags: ['availability'],
  summary: 'Bookable dose-1 dates of a clinic; remaining counts the dose-2 capacity behind each; dose2Date is the dose-2 day a booking of that date gets',
  params: idParams('campaignId', 'clinicId'),
  response: {
    200: {
      type: 'array',
      items: {
        type: 'object',
        required: ['date', 'remaining'],
        properties: {
          date: { type: 'string' },
          remaining: { type: 'integer' },
          vaccine: { type: 'string' },
          dose2Date: { type: 'string', description: 'two-dose campaigns: the dose-2 day booked with this date (interval, moved off blackout days)' },
        },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const;

/** GET /campaigns/:campaignId/regions. */
export const regionListSchema = {
  tags: ['availability'],
  summary: 'The 시/도 (level 1) and 시/군/구 (level 2) with clinics in the campaign, each with the first doses left in them',
  params: idParams('campaignId'),
  response: {
    200: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'parentCode', 'level', 'nameKo', 'nameEn', 'remaining'],
        properties: {
          code: { type: 'string', description: '2-digit 시/도 or 5-digit 시/군/구 code' },
          parentCode: { type: 'string', nullable: true, description: "a 시/군/구's 시/도; null for a 시/도" },
          level: { type: 'integer', enum: [1, 2] },
          nameKo: { type: 'string' },
          nameEn: { type: 'string' },
          remaining: { type: 'integer', description: 'first doses left from the first bookable day on (dose 2 counted)' },
        },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const;
