import type { FastifyInstance, FastifyReply } from 'fastify';
import { isYeyakError } from '../core/errors.ts';
import { sendError } from '../core/http.ts';
import { SESSION_COOKIE, type SessionSigner } from './session.ts';
import { identityMethods, type IdentityService, type ChallengeInput } from './challenges.ts';
import type { ProviderRegistry } from './providers/registry.ts';

export interface IdentityRouteDeps {
  identity: IdentityService;
  providers: ProviderRegistry;
  signer: SessionSigner;
  sessionTtlMs: number;
  secureCookies: boolean;
}

/** The lights change by the second; a shared cache (CDN) may serve them this long, s. */
const METHODS_MAX_AGE_S = 2;

/** A congested or broken method answers 429 with Retry-After (when to try it again), never 5xx. */
async function withRetryAfter<T>(reply: FastifyReply, run: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await run();
  } catch (e) {
    if (isYeyakError(e) && e.code === 'YEYAK_E_IDENTITY_UNAVAILABLE') {
      const s = e.details?.retryAfterS;
      if (typeof s === 'number' && s > 0) reply.header('retry-after', String(s));
      return sendError(reply, e);
    }
    throw e;
  }
}

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

export async function identityRoutes(app: FastifyInstance, deps: IdentityRouteDeps): Promise<void> {
  app.get(
    '/identity/methods',
    {
      schema: {
        tags: ['identity'],
        summary: 'The five verification methods with their congestion traffic lights',
        response: { 200: { type: 'array', items: methodStatusSchema } },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', `public, max-age=${METHODS_MAX_AGE_S}`);
      return deps.providers.statuses();
    },
  );

  app.post<{ Body: ChallengeInput }>(
    '/identity/challenges',
    {
      schema: {
        tags: ['identity'],
        summary: 'Start identity verification: the method sends a code or a push (sandbox: every method accepts code 000000). 429 YEYAK_E_IDENTITY_UNAVAILABLE with Retry-After while the method is congested or down',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['method', 'name', 'rrn', 'phone'],
          properties: {
            method: { type: 'string', enum: [...identityMethods] },
            name: { type: 'string', minLength: 1, maxLength: 40 },
            rrn: { type: 'string', minLength: 13, maxLength: 14, description: 'YYMMDD-GNNNNNN; never stored or logged in clear' },
            phone: { type: 'string', minLength: 10, maxLength: 13, pattern: '^01[016789]-?[0-9]{3,4}-?[0-9]{4}$' },
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
      },
    },
    async (request, reply) => withRetryAfter(reply, async () => reply.status(201).send(await deps.identity.start(request.body))),
  );

  app.post<{ Params: { challengeId: string }; Body: { code: string } }>(
    '/identity/challenges/:challengeId/verify',
    {
      schema: {
        tags: ['identity'],
        summary: 'Complete verification with the code → session token (also set as a cookie)',
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['challengeId'],
          properties: { challengeId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } },
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
            required: ['sessionToken', 'expiresAt'],
            properties: { sessionToken: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
          },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (request, reply) => {
      const person = await withRetryAfter(reply, () => deps.identity.verify(request.params.challengeId, request.body.code));
      if (!('personId' in person)) return person;
      const { token, session } = deps.signer.issue(person.personId, person.facts);
      reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        secure: deps.secureCookies,
        sameSite: 'strict',
        path: '/',
        maxAge: Math.floor(deps.sessionTtlMs / 1000),
      });
      return { sessionToken: token, expiresAt: new Date(session.expMs).toISOString() };
    },
  );
}
