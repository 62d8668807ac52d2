import type { FastifyInstance } from 'fastify';
import { SESSION_COOKIE, type SessionSigner } from './session.ts';
import { identityMethods, type IdentityService, type ChallengeInput } from './challenges.ts';

export interface IdentityRouteDeps {
  identity: IdentityService;
  signer: SessionSigner;
  sessionTtlMs: number;
  secureCookies: boolean;
}

export async function identityRoutes(app: FastifyInstance, deps: IdentityRouteDeps): Promise<void> {
  app.post<{ Body: ChallengeInput }>(
    '/identity/challenges',
    {
      schema: {
        tags: ['identity'],
        summary: 'Start identity verification (sandbox: every method accepts code 000000)',
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
    async (request, reply) => reply.status(201).send(await deps.identity.start(request.body)),
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
      const person = await deps.identity.verify(request.params.challengeId, request.body.code);
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
