import type {} from '@fastify/rate-limit'; // augments the instance with rateLimit()
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isYeyakError, YeyakError } from '../core/errors.ts';
import { sendError } from '../core/http.ts';
import { CSRF_COOKIE, SESSION_COOKIE, type SessionSigner } from './session.ts';
import type { IdentityService, ChallengeInput } from './challenges.ts';
import { logoutSchema, methodsSchema, startChallengeSchema, verifyChallengeSchema } from './schemas.ts';
import type { ProviderRegistry } from './providers/registry.ts';
import { requireSession } from './auth.ts';
import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_S, deviceOf, holderOf, type DeviceLock } from './devices.ts';
import { sessionOf } from './request-session.ts';
import type { SessionRevocations } from './revocations.ts';
import { requireCampaign, type CampaignLookup } from '../rules/campaign.ts';

/** Limits on identity start (POST /identity/challenges), each counted separately. */
export interface ChallengeLimits {
  perIpPerMin: number;
  perPhonePerHour: number;
  /** Per person and phone together (RRN + phone), so a stranger cannot lock a person out. */
  perPersonPerHour: number;
}

export interface IdentityRouteDeps {
  identity: IdentityService;
  providers: ProviderRegistry;
  signer: SessionSigner;
  sessionTtlMs: number;
  secureCookies: boolean;
  devices: DeviceLock;
  revocations: SessionRevocations;
  limits: ChallengeLimits;
  /** For identity start on a queue-first campaign's booking path: its admission pass. */
  /** The waiting room's pass check, for queue-first campaigns (verification is behind the line). */
  room: { checkPass(campaignId: string, pass: string | undefined, holder: { device: string | undefined; personId: number | undefined }): Promise<unknown> };
  campaigns: CampaignLookup;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const RATE_LIMIT_RAN = 'fastify.request.rateLimitRan';

/**
 * The three identity-start limits, each a @fastify/rate-limit handler (same store as the rest:
 * Redis when REDIS_URL). The plugin marks a request after its first limit ran and skips the
 * others, so the mark is cleared between them: every limit counts every request.
 */
function challengeLimiter(app: FastifyInstance, identity: IdentityService, limits: ChallengeLimits) {
  const refused = (limit: string) => () => new YeyakError('YEYAK_E_RATE_LIMITED', undefined, { limit });
  const bodyOf = (r: FastifyRequest) => r.body as ChallengeInput;
  const handlers = [
    app.rateLimit({ max: limits.perIpPerMin, timeWindow: MINUTE_MS, keyGenerator: (r) => `idc:ip:${r.ip}`, errorResponseBuilder: refused('ip') }),
    ...(limits.perPhonePerHour <= 0 ? [] : [app.rateLimit({
      max: limits.perPhonePerHour,
      timeWindow: HOUR_MS,
      // Per method: a stranger who floods one phone with codes (its own limit, an SMS-pumping
      // guard) exhausts that method only; the owner can still verify with another.
      keyGenerator: (r) => `idc:phone:${bodyOf(r).method}:${bodyOf(r).phone.replaceAll('-', '')}`,
      errorResponseBuilder: refused('phone'),
    })]),
    app.rateLimit({
      max: limits.perPersonPerHour,
      timeWindow: HOUR_MS,
      // The RRN and the phone together, keyed-hashed (Redis keys are readable): a stranger typing
      // someone's RRN with another phone fills their own bucket, never that person's.
      keyGenerator: (r) => `idc:person:${identity.personKey(bodyOf(r).rrn, bodyOf(r).phone)}`,
      errorResponseBuilder: refused('person'),
    }),
  ];
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    for (const handler of handlers) {
      for (const sym of Object.getOwnPropertySymbols(request)) {
        if (sym.description === RATE_LIMIT_RAN) (request as unknown as Record<symbol, boolean>)[sym] = false;
      }
      await handler.call(app, request, reply);
    }
  };
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

/** GET /identity/methods: the lights, cacheable for a moment. */
function registerMethods(app: FastifyInstance, deps: IdentityRouteDeps): void {
  app.get('/identity/methods', { schema: methodsSchema }, async (_request, reply) => {
    reply.header('cache-control', `public, max-age=${METHODS_MAX_AGE_S}`);
    return deps.providers.statuses();
  });
}

/** POST /identity/challenges: limited three ways, and behind the pass on a queue-first campaign. */
function registerStart(app: FastifyInstance, deps: IdentityRouteDeps): void {
  const limitChallenges = challengeLimiter(app, deps.identity, deps.limits);
  app.post<{ Body: ChallengeInput }>('/identity/challenges', { preHandler: limitChallenges, schema: startChallengeSchema }, async (request, reply) => {
    const { campaignId } = request.body;
    if (campaignId !== undefined) {
      const c = requireCampaign(deps.campaigns, campaignId);
      // July 2021's order: the waiting room comes before verification, so verification (the
      // largest load) is behind the pass too — else a direct link skips the line.
      if (c.queueEnabled && (c.queueOrder ?? 'queue-first') === 'queue-first') {
        const pass = request.headers['yeyak-pass'];
        await deps.room.checkPass(c.id, typeof pass === 'string' ? pass : undefined, holderOf(request, deps.signer.deviceIds, sessionOf(request, deps.signer, { bearer: true })));
      }
    }
    return withRetryAfter(reply, async () => reply.status(201).send(await deps.identity.start(request.body)));
  });
}

/** POST /identity/challenges/:challengeId/verify: the session, its CSRF token and the device cookies. */
function registerVerify(app: FastifyInstance, deps: IdentityRouteDeps): void {
  app.post<{ Params: { challengeId: string }; Body: { code: string } }>(
    '/identity/challenges/:challengeId/verify',
    { schema: verifyChallengeSchema },
    async (request, reply) => {
      const { device, minted } = deviceOf(request, deps.signer.deviceIds);
      const person = await withRetryAfter(reply, () => deps.identity.verify(request.params.challengeId, request.body.code, device));
      if (!('personId' in person)) return person;
      const { token, session } = deps.signer.issue(person.personId, person.facts, device);
      const csrfToken = deps.signer.csrfToken(session.sid);
      const maxAge = Math.floor(deps.sessionTtlMs / 1000);
      const base = { secure: deps.secureCookies, sameSite: 'strict' as const, path: '/' };
      reply.setCookie(SESSION_COOKIE, token, { ...base, httpOnly: true, maxAge });
      // Readable by the page (double submit): it sends the value back as X-CSRF-Token.
      reply.setCookie(CSRF_COOKIE, csrfToken, { ...base, httpOnly: false, maxAge });
      if (minted) reply.setCookie(DEVICE_COOKIE, device, { ...base, httpOnly: true, maxAge: DEVICE_COOKIE_MAX_AGE_S });
      return { sessionToken: token, expiresAt: new Date(session.expMs).toISOString(), csrfToken, device };
    },
  );
}

/** POST /identity/logout: revoked everywhere, the device lock released, the cookies cleared. */
function registerLogout(app: FastifyInstance, deps: IdentityRouteDeps): void {
  app.post('/identity/logout', { schema: logoutSchema }, async (request, reply) => {
    const session = requireSession(request, deps.signer);
    await deps.revocations.revoke(session.sid, session.personId, session.expMs);
    await deps.devices.release(session.personId, session.device);
    const base = { secure: deps.secureCookies, sameSite: 'strict' as const, path: '/' };
    reply.clearCookie(SESSION_COOKIE, { ...base, httpOnly: true });
    reply.clearCookie(CSRF_COOKIE, { ...base, httpOnly: false });
    return { loggedOut: true };
  });
}

/** The identity capability's routes (one plugin; each route in its own function below). */
export async function identityRoutes(app: FastifyInstance, deps: IdentityRouteDeps): Promise<void> {
  registerMethods(app, deps);
  registerStart(app, deps);
  registerVerify(app, deps);
  registerLogout(app, deps);
}
