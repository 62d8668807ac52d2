import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { sandboxInUse, type Config } from './core/config.ts';
import { systemClock, type Clock } from './core/clock.ts';
import type { Db } from './core/db.ts';
import { YeyakError } from './core/errors.ts';
import { answerClientErrorWith, errorSchema, installErrorHandling, sendError } from './core/http.ts';
import { textFormatPlugin } from './core/schemas.ts';
import { serializeError } from './core/db-errors.ts';
import { installSecurityHeaders } from './core/security-headers.ts';
import { CampaignRegistry } from './campaigns/registry.ts';
import { campaignRoutes } from './campaigns/routes.ts';
import { AvailabilityView } from './availability/view.ts';
import { BookingService } from './booking/service.ts';
import { bookingRoutes } from './booking/routes.ts';
import { IdentityService } from './identity/challenges.ts';
import { SyntheticResidentRegistry } from './identity/registry.ts';
import { SessionSigner } from './identity/session.ts';
import { identityRoutes } from './identity/routes.ts';
import { installCsrfProtection } from './identity/auth.ts';
import { DeviceLock } from './identity/devices.ts';
import { SessionRevocations } from './identity/revocations.ts';
import { combineHealth, createProviderRegistry, type ProviderRegistry } from './identity/providers/registry.ts';
import { createMetrics } from './core/metrics.ts';
import { adminRoutes, operationsRoutes, SANDBOX_HEADER } from './operations/routes.ts';
import rateLimit from '@fastify/rate-limit';
import { createWaitingRoom, memoryStore, type WaitingRoomParts } from './waiting-room/index.ts';
import { HealthMonitor } from './waiting-room/health.ts';
import type { QueueStore } from './waiting-room/store.ts';
import { queueAdminRoutes, queueRoutes } from './waiting-room/routes.ts';
import { StaffDirectory } from './staff/staff.ts';
import { installStaffAuth, looksLikeAdminPath } from './staff/auth.ts';
import { staffRoutes } from './staff/routes.ts';
import type { AvailabilityView as AvailabilityViewType } from './availability/view.ts';

/** The app's parts, for tests and rehearsal tools that drive them directly. */
export interface AppInternals {
  booking: BookingService;
  availability: AvailabilityViewType;
  waitingRoom: WaitingRoomParts;
  health: HealthMonitor;
  identityProviders: ProviderRegistry;
}

declare module 'fastify' {
  interface FastifyInstance {
    yeyak: AppInternals;
  }
}

export interface AppDeps {
  db: Db;
  clock?: Clock;
  /** Fastify logger options; false silences (tests). */
  logger?: FastifyServerOptions['logger'];
  /** Waiting-room state; default: in-process (or Redis when the server wires one). */
  queueStore?: QueueStore;
  /** Start the admission controller's timer (default true; tests step it by hand). */
  startController?: boolean;
  /** Extra options for @fastify/rate-limit (e.g. a Redis client). */
  rateLimitStore?: Record<string, unknown>;
  /** Registers the rate-limit store's metrics (its Redis fallback) in the app's registry. */
  rateLimitMetrics?: (registry: import('prom-client').Registry) => void;
}

const BOOKING_QUEUE_MAX = 20_000; // bookings waiting for a batch per node before 429s
const BOOKING_LEAD_DAYS = 1; // earliest dose-1 date is tomorrow: deliveries need notice
const API_PREFIX = '/api/v1';

// Log lines never carry bodies; these headers are redacted too (session tokens, passes, RRNs in URLs are never used).
const redactPaths = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["yeyak-pass"]'];

/** Logged errors never carry SQL parameters, rows or statements (core/db-errors.ts), whoever configures the logger. */
function withSafeSerializers(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return logger;
  const options = logger === true ? {} : logger;
  return { ...options, serializers: { ...options.serializers, err: serializeError } };
}

/** Builds the whole app on a migrated store. The caller listens (src/server.ts) or injects (tests). */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? systemClock;
  const { db } = deps;
  // While the sandbox identity answers for any method, every reply says so (pages: a banner too).
  const sandbox = sandboxInUse(config);
  const app = Fastify({
    logger: withSafeSerializers(deps.logger ?? { level: config.logLevel, redact: redactPaths }),
    // The HTTP parser's refusals (431, 400, 408) answer with a catalogue body (core/http.ts).
    clientErrorHandler: answerClientErrorWith(sandbox ? { [SANDBOX_HEADER.toLowerCase()]: 'identity' } : {}),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy ?? false,
    return503OnClosing: true,
    // Fastify's own routing errors (a broken percent-escape) answer with a catalogue code too.
    frameworkErrors: (error, request, reply) => {
      if (sandbox) reply.header(SANDBOX_HEADER, 'identity'); // this reply skips the onSend hooks
      const code = looksLikeAdminPath(request.url) ? 'YEYAK_E_ADMIN_UNAUTHENTICATED' : 'YEYAK_E_BAD_REQUEST';
      sendError(reply, new YeyakError(code, code === 'YEYAK_E_BAD_REQUEST' ? `Malformed URL (${error.code ?? 'bad url'})` : undefined));
    },
    // Strict validation: unknown fields are errors (not silently dropped), no type coercion.
    // Free text (names, notices) is checked by one format (core/schemas.ts).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false }, plugins: [textFormatPlugin] },
  });
  installErrorHandling(app);
  app.addSchema(errorSchema);

  const metrics = createMetrics();
  deps.rateLimitMetrics?.(metrics.registry);
  const campaigns = new CampaignRegistry();
  await campaigns.load(db);
  const availability = new AvailabilityView(db, {
    refreshMs: config.availabilityRefreshMs,
    overlapMs: config.statementTimeoutMs + 1_000,
  });
  await availability.load(campaigns.list());
  availability.start();
  // Who a person is: the CI a provider vouches for; the registry binds RRNs to CIs (identity/registry.ts).
  const residents = new SyntheticResidentRegistry();
  const booking = new BookingService(db, clock, campaigns, availability, {
    batchMax: config.bookingBatchMax,
    queueMax: BOOKING_QUEUE_MAX,
    leadDays: BOOKING_LEAD_DAYS,
    rrnSecret: config.rrnHashSecret,
    idempotencyTtlMs: config.idempotencyTtlMs,
    onBatch: (size, ms, failed) => {
      metrics.bookingBatchSize.observe(size);
      metrics.bookingBatchSeconds.observe(ms / 1000);
      // A failed batch (the database refused or broke) counts as an error: admission slows.
      health.recordBatch(ms, failed);
    },
  });
  const health = new HealthMonitor(() => performance.now(), () => booking.waiting, () => db.poolWaiting());
  // Verification providers (sandbox or HTTP), each behind a timeout, bulkhead and breaker; their
  // saturation slows the waiting room's admission like a slow database does.
  const identityProviders = createProviderRegistry(config, {
    metricsRegistry: metrics.registry,
    log: (level, msg, fields) => app.log[level](fields, msg),
  });
  const waitingRoom = await createWaitingRoom(config, {
    db,
    clock,
    campaigns,
    metrics,
    store: deps.queueStore ?? memoryStore(campaigns, clock),
    health: () => combineHealth(health.sample(), identityProviders.health()),
    log: (msg, fields) => app.log.info(fields, msg),
  });
  booking.gate = waitingRoom.room;
  if (deps.startController !== false) waitingRoom.controller.start();
  app.decorate('yeyak', { booking, availability, waitingRoom, health, identityProviders });
  const signer = new SessionSigner(config.sessionSecret, clock, config.sessionTtlMs);
  // Logout: revoked session ids, held in memory on every node and refreshed from the database.
  const revocations = new SessionRevocations(db, clock);
  await revocations.refresh();
  revocations.start();
  signer.revocations = revocations;
  const devices = new DeviceLock(db, clock, config.deviceLockMs);
  const identity = new IdentityService(db, clock, config.rrnHashSecret, config.challengeTtlMs, identityProviders, residents, devices);
  const regions = await db.query<{ code: string }>('SELECT code FROM region');
  const regionCodes = new Set(regions.rows.map((r) => r.code));

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  if (sandbox) {
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header(SANDBOX_HEADER, 'identity');
      return payload;
    });
  }

  await app.register(cookie);
  // Security headers. The CSP allows what /docs (Swagger UI: its own scripts and styles, inline
  // styles, data: images) and the home page (one inline <style>) need, and nothing else.
  installSecurityHeaders(app, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    },
    // HSTS only where cookies are Secure (production, behind TLS).
    hsts: config.nodeEnv === 'production' ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  }, `${API_PREFIX}/`);
  // Staff access is decided on the matched route's declared policy (src/staff/auth.ts), deny by
  // default; every path under /api/v1/admin — existing or not — needs a staff credential. After
  // the security headers: its 401 and 403 answers carry them too.
  installStaffAuth(app, new StaffDirectory(db, config.adminToken));
  // Writes authenticated by the session cookie carry X-CSRF-Token (identity/auth.ts).
  installCsrfProtection(app, signer, [`${API_PREFIX}/identity/challenges`]);
  // Per-address limits (the join route sets its own); the address honours YEYAK_TRUST_PROXY.
  await app.register(rateLimit, {
    global: false,
    ...deps.rateLimitStore,
    errorResponseBuilder: () => new YeyakError('YEYAK_E_RATE_LIMITED'),
  });
  await app.register(swagger, {
    // Name shared schemas by their $id ('Error') instead of 'def-0'.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'yeyak API',
        version: '1.0.0',
        description: 'Vaccination pre-reservation. Errors are {"error":{"code":"YEYAK_E_…","message":"…"}}.',
      },
      components: {
        securitySchemes: {
          session: { type: 'http', scheme: 'bearer', description: 'sessionToken from identity verification (or the yeyak_session cookie)' },
          admin: { type: 'http', scheme: 'bearer', description: 'YEYAK_ADMIN_TOKEN' },
          ticket: { type: 'http', scheme: 'bearer', description: 'waiting-room ticket from POST /campaigns/{id}/queue' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const opsDeps = { db, clock, booking, availability, metrics, availabilityStaleMs: config.availabilityRefreshMs * 20 + 5_000, sandbox };
  await app.register(operationsRoutes, opsDeps);
  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(campaignRoutes, { clock, booking, availability, signer, regionCodes });
      await api.register(identityRoutes, {
        identity,
        providers: identityProviders,
        signer,
        sessionTtlMs: config.sessionTtlMs,
        secureCookies: config.nodeEnv === 'production',
        devices,
        revocations,
        limits: {
          perIpPerMin: config.challengesPerIpPerMin,
          perPhonePerHour: config.challengesPerPhonePerHour,
          perPersonPerHour: config.challengesPerPersonPerHour,
        },
        room: waitingRoom.room,
        campaigns,
      });
      await api.register(bookingRoutes, { booking, signer, metrics });
      await api.register(adminRoutes, opsDeps);
      await api.register(queueRoutes, {
        room: waitingRoom.room,
        campaigns,
        clock,
        signer,
        powSigner: waitingRoom.powSigner,
        joinPerIpPerMin: config.joinPerIpPerMin,
        joinLeadMs: config.queueJoinLeadMs,
        metrics,
        secureCookies: config.nodeEnv === 'production',
      });
      await api.register(queueAdminRoutes, { room: waitingRoom.room, campaigns, clock });
      await api.register(staffRoutes, { db, clock, booking, metrics });
    },
    { prefix: API_PREFIX },
  );

  app.addHook('onClose', async () => {
    await waitingRoom.controller.stop();
    await revocations.stop();
    await booking.drain();
    await availability.stop();
  });
  return app;
}
