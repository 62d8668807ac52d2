/**
 * The operator's view of the outbox (staff policy: operator only): counts per state and the rows
 * of one state — id, topic, tries, the last error (a code, no personal data), when made and when
 * dead, the phone masked; never a payload. A dead letter goes back to pending by one conditional
 * statement (one, or all of them); the worker then sends it with the same idempotency key.
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import { maskPhone } from './provider.ts';
import { countByState, listByState, retryAllDead, retryDead, type OutboxState } from './sql.ts';

export const OUTBOX_LIST_MAX = 200;

const countsSchema = {
  type: 'object',
  required: ['pending', 'sent', 'dead'],
  properties: { pending: { type: 'integer' }, sent: { type: 'integer' }, dead: { type: 'integer' } },
} as const;

const rowSchema = {
  type: 'object',
  required: ['id', 'topic', 'state', 'attempts', 'lastError', 'createdAt', 'deadAt', 'channel', 'to'],
  properties: {
    id: { type: 'integer' },
    topic: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'sent', 'dead'] },
    attempts: { type: 'integer' },
    lastError: { type: 'string', nullable: true, description: 'a code and a short reason, e.g. NOTICE_UNENCODABLE or SOLAPI_HTTP_400' },
    createdAt: { type: 'string', format: 'date-time' },
    deadAt: { type: 'string', format: 'date-time', nullable: true },
    channel: { type: 'string', nullable: true, description: 'how it went: console, file, webhook, solapi:sms|lms|ata' },
    to: { type: 'string', nullable: true, description: 'the phone, masked (010-****-5678)' },
  },
} as const;

const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } },
} as const;

export async function outboxRoutes(app: FastifyInstance, deps: { db: Db }): Promise<void> {
  const { db } = deps;
  app.get<{ Querystring: { state: OutboxState; limit: string } }>(
    '/admin/outbox',
    {
      config: { staff: { roles: ['operator'] } },
      schema: {
        tags: ['admin'],
        summary: 'The outbox: notices per state, and the latest rows of one state (dead letters by default), phones masked',
        security: [{ admin: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: ['dead', 'pending', 'sent'], default: 'dead' },
            limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$', default: '50', description: `rows, at most ${OUTBOX_LIST_MAX}` },
          },
        },
        response: { 200: { type: 'object', required: ['counts', 'rows'], properties: { counts: countsSchema, rows: { type: 'array', items: rowSchema } } }, '4xx': { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const limit = Math.min(Number(request.query.limit), OUTBOX_LIST_MAX);
      const [counts, list] = await Promise.all([countByState(db), listByState(db, request.query.state, limit)]);
      return { counts, rows: list.map(({ phone, ...row }) => ({ ...row, to: maskPhone(phone) })) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/outbox/:id/retry',
    {
      config: { staff: { roles: ['operator'] } },
      schema: {
        tags: ['admin'],
        summary: 'A dead letter back to pending with fresh tries (sent again with the same idempotency key); 404 OUTBOX_NOT_FOUND, 409 OUTBOX_NOT_DEAD',
        security: [{ admin: [] }],
        params: idParams,
        response: { 200: { type: 'object', required: ['id', 'state'], properties: { id: { type: 'integer' }, state: { type: 'string', enum: ['pending'] } } }, '4xx': { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const id = Number(request.params.id);
      const answer = await retryDead(db, id);
      if (answer.retried) return { id, state: 'pending' };
      if (answer.state === null) throw new YeyakError('YEYAK_E_OUTBOX_NOT_FOUND');
      throw new YeyakError('YEYAK_E_OUTBOX_NOT_DEAD', undefined, { state: answer.state });
    },
  );

  app.post(
    '/admin/outbox/retry-dead',
    {
      config: { staff: { roles: ['operator'] } },
      schema: {
        tags: ['admin'],
        summary: 'Dead letters back to pending, oldest first, at most 10,000 a call (`retried` says how many)',
        security: [{ admin: [] }],
        response: { 200: { type: 'object', required: ['retried'], properties: { retried: { type: 'integer' } } }, '4xx': { $ref: 'Error#' } },
      },
    },
    async () => ({ retried: await retryAllDead(db) }),
  );
}
