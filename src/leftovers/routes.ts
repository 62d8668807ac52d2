import type {} from '@fastify/rate-limit'; // augments route config with rateLimit
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../core/schemas.ts';
import type { Citizen } from '../rules/campaign.ts';
import type { LeftoverService } from './service.ts';
import { FAVOURITE_CLINICS_MAX } from './sql.ts';
import { favouriteDeleteSchema, favouritePutSchema, favouritesGetSchema, leftoverListSchema, takeSchema } from './schemas.ts';

/** What leftovers need of identity (identity/auth.ts SessionAuth implements it; the app wires it). */
export interface LeftoverAuth {
  /** The request's live session, or the catalogue's 401. */
  require(request: FastifyRequest): Citizen;
  /** The device a write under `citizen` comes from; another device's → 403 DEVICE_MISMATCH. */
  deviceOfWrite(request: FastifyRequest, citizen: Citizen): string | undefined;
}

/**
 * Takes per person per minute. The take is not behind the waiting room: without a limit one
 * verified person's script could call take_leftover (a lock on the hot release's row) as fast as
 * it can send. Keyed by the person (all their sessions and addresses together); no session → by
 * address (those end in 401 before any query). A person tapping "take" again after GONE stays far below.
 */
export const LEFTOVER_TAKES_PER_PERSON_PER_MIN = 20;

export interface LeftoverRouteDeps {
  leftovers: LeftoverService;
  auth: LeftoverAuth;
}

/** A write's citizen: a live session, sent from the device it was verified on. */
function writer(request: FastifyRequest, auth: LeftoverAuth): Citizen {
  const citizen = auth.require(request);
  auth.deviceOfWrite(request, citizen);
  return citizen;
}

export async function leftoverRoutes(app: FastifyInstance, deps: LeftoverRouteDeps): Promise<void> {
  const { leftovers, auth } = deps;
  const favourites = (clinics: unknown[]) => ({ clinics, max: FAVOURITE_CLINICS_MAX });

  app.get('/me/favourite-clinics', { schema: favouritesGetSchema }, async (request) => favourites(await leftovers.favourites(auth.require(request))));

  app.put<{ Params: { clinicId: string } }>('/me/favourite-clinics/:clinicId', { schema: favouritePutSchema }, async (request) =>
    favourites(await leftovers.addFavourite(writer(request, auth), request.params.clinicId)),
  );

  app.delete<{ Params: { clinicId: string } }>('/me/favourite-clinics/:clinicId', { schema: favouriteDeleteSchema }, async (request) =>
    favourites(await leftovers.removeFavourite(writer(request, auth), request.params.clinicId)),
  );

  app.get<{ Querystring: { region: string; campaign?: string } }>('/leftovers', { schema: leftoverListSchema }, async (request, reply) => {
    // Public and the same for everyone: a shared cache (CDN) may keep it as long as a node's own cache
    // does; a browser asks again each time (a refresh after "gone" must not show the taken dose).
    void reply.header('cache-control', 'public, max-age=0, s-maxage=2');
    return leftovers.open(request.query.region, request.query.campaign ?? null);
  });

  const takeLimit = {
    max: LEFTOVER_TAKES_PER_PERSON_PER_MIN,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => {
      try {
        return `leftover-take:person:${auth.require(request).personId}`;
      } catch {
        return `leftover-take:ip:${request.ip}`;
      }
    },
  };
  app.post<{ Params: { releaseId: string } }>('/leftovers/:releaseId/reservations', { schema: takeSchema, config: { rateLimit: takeLimit } }, async (request, reply) => {
    const citizen = writer(request, auth);
    // No body: the dose is for the session's person. Anything sent (a proxy's beneficiary) is refused.
    if (request.body !== undefined && request.body !== null) throw new YeyakError('YEYAK_E_VALIDATION', 'Send no body: a leftover dose is booked for yourself only (no proxy).');
    const key = request.headers['idempotency-key'];
    if (key === undefined) throw new YeyakError('YEYAK_E_IDEMPOTENCY_KEY_REQUIRED');
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) throw new YeyakError('YEYAK_E_IDEMPOTENCY_KEY_INVALID');
    const { body } = await leftovers.take(citizen, Number(request.params.releaseId), key);
    return reply.status(201).send(body);
  });
}
