/** The staff sign-in routes' schemas (staff/session-routes.ts). */

const sessionAnswer = {
  type: 'object',
  additionalProperties: false,
  required: ['role', 'clinicId', 'name', 'csrfToken', 'expiresAt'],
  properties: {
    role: { type: 'string', enum: ['operator', 'clinic', 'agent'] },
    clinicId: { type: 'string', nullable: true, description: 'for clinic staff: their clinic' },
    name: { type: 'string' },
    csrfToken: { type: 'string', description: 'send as X-CSRF-Token on writes made with the cookie (also the yeyak_staff_csrf cookie)' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** POST /staff/session. */
export const signInSchema = {
  tags: ['staff'],
  summary: 'Staff sign-in: a staff token (or YEYAK_ADMIN_TOKEN) becomes the httpOnly yeyak_staff cookie (8 h), which /api/v1/admin accepts as the token itself',
  description: 'The page keeps no token. Rate limited per address. Writes made with the cookie send X-CSRF-Token.',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['token'],
    properties: { token: { type: 'string', minLength: 1, maxLength: 256 } },
  },
  response: { 200: sessionAnswer, '4xx': { $ref: 'Error#' } },
} as const;

/** GET /staff/session. */
export const currentSessionSchema = {
  tags: ['staff'],
  summary: 'Who the sign-in cookie belongs to (401 when signed out, expired, or the member is disabled)',
  security: [{ staffCookie: [] }],
  response: { 200: sessionAnswer, '4xx': { $ref: 'Error#' } },
} as const;

/** DELETE /staff/session. */
export const signOutSchema = {
  tags: ['staff'],
  summary: 'Sign out: the session is revoked on every node and the cookies are cleared (send X-CSRF-Token)',
  security: [{ staffCookie: [] }],
  response: { 204: { type: 'null', description: 'signed out' }, '4xx': { $ref: 'Error#' } },
} as const;
