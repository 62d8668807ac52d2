import { dateField, idParam, idParams, namedPersonProperties, textField } from '../core/schemas.ts';
import { staffRoles } from './staff.ts';

/** The staff routes' schemas: what the OpenAPI document shows and the validator checks. */

/** POST /admin/staff. */
export const addStaffSchema = {
  tags: ['admin'],
  summary: 'Add a staff member (operators only); the answer holds the bearer token, shown once and stored as SHA-256',
  security: [{ admin: [] }],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['role', 'name'],
    properties: { role: { type: 'string', enum: [...staffRoles] }, name: textField(200), clinicId: idParam },
  },
} as const;

/** GET /admin/clinics/:clinicId/reservations. */
export const clinicReservationsSchema = {
  tags: ['admin'],
  summary: "The clinic's confirmed doses of a day (default: today in Korea) — clinic staff of that clinic, or an operator",
  security: [{ admin: [] }],
  params: idParams('clinicId'),
  querystring: { type: 'object', additionalProperties: false, properties: { date: dateField } },
} as const;

/** PATCH /admin/clinics/:clinicId/slots/:date. */
export const setCapacitySchema = {
  tags: ['admin'],
  summary: "Change a day's dose-1 capacity (of vaccineId; unset: the day's first dose-1 vaccine by id): never below what is booked, never beyond confirmed supply",
  security: [{ admin: [] }],
  params: { type: 'object', additionalProperties: false, required: ['clinicId', 'date'], properties: { clinicId: idParam, date: dateField } },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['campaignId', 'capacity'],
    properties: { campaignId: idParam, capacity: { type: 'integer', minimum: 0, maximum: 1_000_000 }, vaccineId: idParam },
  },
} as const;

/** POST /admin/agent/reservations. */
export const agentBookSchema = {
  tags: ['admin'],
  summary: "Call-centre booking for a citizen (agent or operator): no waiting-room pass; eligibility and capacity as online; the agent is recorded",
  security: [{ admin: [] }],
  headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', description: 'Optional, 8–64 of [A-Za-z0-9_.:-]' } } },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['person', 'campaignId', 'clinicId', 'date'],
    properties: {
      person: { type: 'object', additionalProperties: false, required: ['name', 'rrn', 'phone'], properties: namedPersonProperties },
      campaignId: idParam,
      clinicId: idParam,
      date: dateField,
    },
  },
} as const;
