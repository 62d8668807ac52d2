/**
 * The composition root: a node's services (app/services.ts), the shared HTTP edge (app/http.ts)
 * and one encapsulated Fastify plugin per capability, each owning its routes and schemas and
 * taking what it needs of the others as small interfaces wired here.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from './core/config.ts';
import { sandboxInUse } from './core/config.ts';
import { createServices, type ServiceDeps, type Services } from './app/services.ts';
import { API_PREFIX, createHttp, installEdge } from './app/http.ts';
import { campaignRoutes } from './campaigns/routes.ts';
import { campaignAdminRoutes, type CampaignAdminDeps } from './campaigns/admin-routes.ts';
import { supplyRoutes } from './campaigns/supply-routes.ts';
import { hashRrn } from './rules/rrn.ts';
import { availabilityRoutes } from './availability/routes.ts';
import { bookingRoutes } from './booking/routes.ts';
import { identityRoutes, type IdentityRouteDeps } from './identity/routes.ts';
import { adminRoutes, operationsRoutes } from './operations/routes.ts';
import { queueAdminRoutes, queueRoutes } from './waiting-room/routes.ts';
import { fairnessRoutes } from './waiting-room/fairness-routes.ts';
import { staffRoutes } from './staff/routes.ts';
import { staffSessionRoutes } from './staff/session-routes.ts';
import { liveRoutes } from './operations/live-routes.ts';
import { auditRoutes } from './operations/audit-routes.ts';
import { rescheduleRoutes } from './reschedule/routes.ts';
import { outboxRoutes } from './notifications/routes.ts';
import { pagesRoutes } from './pages/routes.ts';
import { leftoverRoutes } from './leftovers/routes.ts';
import { cohortOnly, LeftoverService } from './leftovers/service.ts';
import { newBookingNumber } from './booking/booking-number.ts';
import { WEB_ROOT } from './pages/build.ts';

export type { Services } from './app/services.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The node's services, for tests and rehearsal tools that drive them directly. */
    yeyak: Services;
  }
}

export interface AppDeps extends ServiceDeps {
  /** Fastify logger options; false silences (tests). */
  logger?: FastifyServerOptions['logger'];
  /** Extra options for @fastify/rate-limit (e.g. a Redis client); default: the queue store's. */
  rateLimitStore?: Record<string, unknown>;
  /** Registers the rate-limit store's metrics (its Redis fallback) in the app's registry. */
  rateLimitMetrics?: (registry: import('prom-client').Registry) => void;
}

/** Builds the whole app on a migrated store. The caller listens (src/server.ts) or injects (tests). */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = createHttp(config, deps.logger);
  const services = await createServices(config, { ...deps, log: (level, msg, fields) => app.log[level](fields, msg) });
  deps.rateLimitMetrics?.(services.metrics.registry);
  app.decorate('yeyak', services);
  app.addHook('onClose', () => services.stop());
  await installEdge(app, {
    config,
    metrics: services.metrics,
    signer: services.signer,
    staff: services.staff,
    staffSessions: services.staffSessions,
    rateLimitStore: deps.rateLimitStore ?? services.queueHandle?.rateLimitStore,
  });
  await registerCapabilities(app, services);
  services.start();
  return app;
}

async function registerCapabilities(app: FastifyInstance, s: Services): Promise<void> {
  const { config, booking, availability, campaigns, clock, metrics, sessionAuth } = s;
  const firstBookableDay = booking.firstBookableDay.bind(booking);
  const secureCookies = config.nodeEnv === 'production';
  const ops = {
    db: s.db,
    clock,
    campaigns,
    firstBookableDay,
    bookingQueueWaiting: () => booking.waiting,
    availability,
    metrics,
    availabilityStaleMs: config.availabilityRefreshMs * 20 + 5_000,
    sandbox: sandboxInUse(config),
  };
  await app.register(operationsRoutes, ops);
  await app.register(pagesRoutes, { root: WEB_ROOT });
  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(campaignRoutes, {
        clock,
        campaigns,
        firstBookableDay,
        remainingFirstDoses: (id, fromDay) => availability.campaignRemaining(id, fromDay),
        eligibility: (citizen, id) => booking.eligibility(citizen, id),
        auth: sessionAuth,
      });
      await api.register(availabilityRoutes, { availability, campaigns, firstBookableDay, regionCodes: s.regionCodes });
      await api.register(identityRoutes, identityDeps(s, secureCookies));
      await api.register(bookingRoutes, { booking, auth: sessionAuth, metrics });
      await api.register(leftoverRoutes, { leftovers: leftoverService(s), auth: sessionAuth });
      await api.register(adminRoutes, ops);
      await api.register(queueRoutes, {
        room: s.waitingRoom.room,
        campaigns,
        clock,
        auth: sessionAuth,
        powSigner: s.waitingRoom.powSigner,
        joinPerIpPerMin: config.joinPerIpPerMin,
        joinLeadMs: config.queueJoinLeadMs,
        metrics,
        secureCookies,
      });
      await api.register(queueAdminRoutes, { room: s.waitingRoom.room, campaigns, clock });
      await api.register(fairnessRoutes, { records: s.waitingRoom.fairness, campaigns });
      await api.register(campaignAdminRoutes, campaignAdminDeps(s));
      await api.register(supplyRoutes, campaignAdminDeps(s));
      await api.register(staffRoutes, { db: s.db, clock, booking, metrics });
      await api.register(staffSessionRoutes, { sessions: s.staffSessions, secureCookies });
      await api.register(liveRoutes, { feed: s.live, campaigns });
      await api.register(auditRoutes, { audit: s.audit });
      await api.register(rescheduleRoutes, s.reschedule);
      await api.register(outboxRoutes, { db: s.db });
    },
    { prefix: API_PREFIX },
  );
}

/** Identity's routes: challenges, providers, sessions and devices, with the per-IP, phone and person limits. */
function identityDeps(s: Services, secureCookies: boolean): IdentityRouteDeps {
  const { config } = s;
  return {
    identity: s.identity,
    providers: s.identityProviders,
    signer: s.signer,
    sessionTtlMs: config.sessionTtlMs,
    secureCookies,
    devices: s.devices,
    revocations: s.revocations,
    limits: {
      perIpPerMin: config.challengesPerIpPerMin,
      perPhonePerHour: config.challengesPerPhonePerHour,
      perPersonPerHour: config.challengesPerPersonPerHour,
    },
    room: s.waitingRoom.room,
    campaigns: s.campaigns,
  };
}

/** Leftovers: the cohort by the regular booking's rules without the rotation window; booking's numbers. */
function leftoverService(s: Services): LeftoverService {
  const { db, clock, campaigns, booking, config } = s;
  return new LeftoverService(db, clock, campaigns, {
    idempotencyTtlMs: config.idempotencyTtlMs,
    newBookingNumber,
    cohortEligible: async (citizen, c) => cohortOnly(await booking.eligibility(citizen, c.id)),
  });
}

/** Operators' campaign routes: a change reloads this node's registry and availability view; the roster takes identity's RRN hash. */
function campaignAdminDeps(s: Services): CampaignAdminDeps {
  const { db, clock, campaigns, availability, config } = s;
  return { db, clock, registry: campaigns, reloadAvailability: (c) => availability.reloadCampaign(c), rrnHash: (rrn) => hashRrn(rrn, config.rrnHashSecret) };
}
