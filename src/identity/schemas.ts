import { idParam, phoneField, rrnField, textField } from '../core/schemas.ts';
import { identityMethods } from './challenges.ts';
import { CHALLENGE_TOKEN_LENGTH_MAX } from './challenge-token.ts';

/** The identity routes' schemas: what the OpenAPI document shows and the validator checks. */

const methodStatusSchema = {
  type: 'object',
  required: ['method', 'style', 'labelKo', 'labelEn', 'available', 'provider', 'light', 'reasons', 'latencyMs', 'saturation', 'errorRate', 'inFlight', 'maxInFlight', 'breaker'],
  properties: {
    method: { type: 'string', enum: [...identityMethods] },
    style: { type: 'string', enum: ['otp', 'app', 'certificate'], description: 'otp: a code by SMS; app: approve a push in the app; certificate: certificate login' },
    labelKo: { type: 'string' },
    labelEn: { type: 'string' },
    available: { type: 'boolean', description: 'false: no provider configured for this method' },
    provider: { type: 'string', enum: ['sandbox', 'http'], nullable: true },
    light: { type: 'string', enum: ['green', 'yellow', 'red', 'grey'], description: 'green: go; yellow: busy; red: congested, consider another method; grey: unavailable now' },
    reasons: { type: 'array', items: { type: 'string' } },
    latencyMs: { type: 'integer', description: 'recent provider latency (or the age of the oldest call in flight), ms' },
    saturation: { type: 'number', description: 'calls in flight ÷ maxInFlight' },
    errorRate: { type: 'number', description: 'share of recent calls that failed' },
    inFlight: { type: 'integer' },
    maxInFlight: { type: 'integer' },
    breaker: { type: 'string', enum: ['closed', 'open', 'half-open', 'isolated'] },
    retryAfterS: { type: 'integer', description: 'while the breaker is open: seconds until the method is tried again' },
  },
} as const;

/** GET /identity/methods. */
export const methodsSchema = {
  tags: ['identity'],
  summary: 'The five verification methods with their congestion traffic lights',
  response: { 200: { type: 'array', items: methodStatusSchema } },
} as const;

/** POST /identity/challenges. */
export const startChallengeSchema = {
  tags: ['identity'],
  summary: 'Start identity verification: the method sends a code or a push (sandbox: every method accepts code 000000). 429 YEYAK_E_IDENTITY_UNAVAILABLE with Retry-After while the method is congested or down',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['method', 'name', 'rrn', 'phone'],
    properties: {
      method: { type: 'string', enum: [...identityMethods] },
      name: textField(40),
      rrn: rrnField,
      phone: phoneField,
      campaignId: {
        ...idParam,
        description: 'the campaign being booked: a queue-first campaign with its waiting room on then needs its Yeyak-Pass',
      },
    },
  },
  headers: {
    type: 'object',
    properties: {
      'yeyak-pass': { type: 'string', description: 'admission pass (queue-first campaigns, with campaignId)' },
      'yeyak-device': { type: 'string', description: 'your device id, as the server minted it (also the yeyak_device cookie)' },
    },
  },
  response: {
    201: {
      type: 'object',
      required: ['challengeId', 'expiresAt'],
      properties: { challengeId: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const;

/** POST /identity/challenges/:challengeId/verify. */
export const verifyChallengeSchema = {
  tags: ['identity'],
  summary: 'Complete verification with the code → session token (also set as a cookie) and the CSRF token for cookie writes. One device at a time: another device of the same person is refused (423 YEYAK_E_OTHER_DEVICE_ACTIVE) for 10 minutes',
  headers: {
    type: 'object',
    properties: { 'yeyak-device': { type: 'string', description: 'your device id as the server minted it (also the yeyak_device cookie); when absent or not one the server signed, one is minted and set as the cookie' } },
  },
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['challengeId'],
    // Not idParam: challenge ids are base64url, so they may hold '_'; sealed tokens (challenge-token.ts), hence their length.
    properties: { challengeId: { type: 'string', minLength: 1, maxLength: CHALLENGE_TOKEN_LENGTH_MAX, pattern: '^[A-Za-z0-9_-]+$' } },
  },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['code'],
    properties: { code: { type: 'string', pattern: '^[0-9]{6}$' } },
  },
  response: {
    200: {
      type: 'object',
      required: ['sessionToken', 'expiresAt', 'csrfToken', 'device'],
      properties: {
        sessionToken: { type: 'string' },
        expiresAt: { type: 'string', format: 'date-time' },
        csrfToken: { type: 'string', description: 'send as X-CSRF-Token on writes made with the session cookie (also the yeyak_csrf cookie)' },
        device: { type: 'string', description: 'the device this session belongs to (also the yeyak_device cookie)' },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const;

/** POST /identity/logout. */
export const logoutSchema = {
  tags: ['identity'],
  summary: "Log out: the session is revoked on every node (within a second), its device's one-device lock is released and the cookies are cleared. With the session cookie, send X-CSRF-Token",
  security: [{ session: [] }],
  response: {
    200: { type: 'object', required: ['loggedOut'], properties: { loggedOut: { type: 'boolean' } } },
    '4xx': { $ref: 'Error#' },
  },
} as const;
