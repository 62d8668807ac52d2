import { idParams } from '../core/schemas.ts';
import { eligibilityReasons } from '../rules/eligibility.ts';

/** The campaign routes' schemas: what the OpenAPI document shows and the serializer writes. */

/** A text in Korean and English. */
export const localized = { type: 'object', properties: { ko: { type: 'string' }, en: { type: 'string' } } } as const;

export const windowSchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    label: localized,
    opensAt: { type: 'string' },
    closesAt: { type: 'string' },
    birthDayDigits: { type: 'array', nullable: true, items: { type: 'integer' } },
    birthYearFrom: { type: 'integer', nullable: true },
    birthYearTo: { type: 'integer', nullable: true },
  },
} as const;

/** GET /campaigns. */
export const listCampaignsSchema = {
  tags: ['campaigns'],
  summary: 'Campaigns with their windows and the windows open now',
  response: {
    200: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: localized,
          timeZone: { type: 'string' },
          birthFrom: { type: 'string', nullable: true },
          birthTo: { type: 'string', nullable: true },
          proxyAllowed: { type: 'boolean' },
          doses: { type: 'integer' },
          dose2IntervalDays: { type: 'integer', nullable: true },
          changeFreezeDays: { type: 'integer', description: 'no change when the current or the new dose-1 date is fewer than this many days away' },
          cancelUntilDays: { type: 'integer', description: 'cancellation allowed until this many days before the dose-1 date' },
          firstShotDay: { type: 'string' },
          lastShotDay: { type: 'string' },
          waitingRoom: {
            type: 'object',
            required: ['enabled', 'order'],
            description: 'enabled: booking writes need a pass from the waiting room. order: verify-first (verify, then join) or queue-first (join, then verify)',
            properties: { enabled: { type: 'boolean' }, order: { type: 'string', enum: ['verify-first', 'queue-first'] } },
          },
          notice: { ...localized, nullable: true },
          windows: { type: 'array', items: windowSchema },
          openWindows: { type: 'array', items: windowSchema },
          now: { type: 'string' },
          cohort: {
            type: 'object',
            nullable: true,
            description: "who may book by their earlier doses (a booster); null: nobody is asked",
            properties: {
              kind: { type: 'string', enum: ['after-doses'] },
              minDaysSinceLastDose: { type: 'integer' },
              sourceCampaigns: { type: 'array', nullable: true, items: { type: 'string' } },
            },
          },
          remainingFirstDoses: { type: 'integer' },
          supplyExhausted: { type: 'boolean' },
          supplyState: { type: 'string', enum: ['available', 'sold_out'], description: 'sold_out: no first dose left from the first bookable day on (supplyExhausted); back to available when doses return' },
          supplyNotice: { type: 'object', nullable: true, description: 'while sold out: what to show (Korean and English)', properties: { ko: { type: 'string' }, en: { type: 'string' } } },
        },
      },
    },
  },
} as const;

/** GET /campaigns/:campaignId/eligibility. */
export const eligibilitySchema = {
  tags: ['campaigns'],
  summary: "The session's person: eligible now? If not, why, and when to come back",
  security: [{ session: [] }],
  params: idParams('campaignId'),
  response: {
    200: {
      type: 'object',
      required: ['eligible', 'reasons'],
      properties: {
        eligible: { type: 'boolean' },
        reasons: { type: 'array', items: { type: 'string', enum: [...eligibilityReasons] } },
        window: windowSchema,
        nextWindow: windowSchema,
        cohort: {
          type: 'object',
          description: "a booster's cohort: the day of the person's last earlier dose (null: none known) and the first day they may book",
          properties: { minDaysSinceLastDose: { type: 'integer' }, lastDoseDay: { type: 'string', nullable: true }, eligibleFrom: { type: 'string' } },
        },
        message: localized,
        bookingNumber: { type: 'string' },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const;
