/**
 * The HTTP edge every capability shares: the Fastify instance's options (strict validation,
 * catalogue answers for the parser's and router's refusals, safe log serializers), the error
 * handler, security headers and CSP, request metrics, the sandbox marker, staff access on the
 * matched route, CSRF for cookie writes, per-address limits and the OpenAPI document. Capability
 * plugins are registered after it (src/app.ts).
 */
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { sandboxInUse, type Config } from '../core/config.ts';
import { YeyakError } from '../core/errors.ts';
import { answerClientErrorWith, errorSchema, installErrorHandling, sendError } from '../core/http.ts';
import { textFormatPlugin } from '../core/schemas.ts';
import { serializeError } from '../core/db-errors.ts';
import { installSecurityHeaders } from '../core/security-headers.ts';
import type { Metrics } from '../core/metrics.ts';
import { installCsrfProtection } from '../identity/auth.ts';
import { CHALLENGE_TOKEN_LENGTH_MAX } from '../identity/challenge-token.ts';
import type { SessionSigner } from '../identity/session.ts';
import { SANDBOX_HEADER } from '../operations/routes.ts';
import { installStaffAuth, looksLikeAdminPath } from '../staff/auth.ts';
import type { StaffDirectory } from '../staff/staff.ts';
import type { StaffSessions } from '../staff/session.ts';

export const API_PREFIX = '/api/v1';

// Log lines never carry bodies; these headers are redacted too (session tokens, passes, RRNs in URLs are never used).
const redactPaths = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["yeyak-pass"]'];

/** Logged errors never carry SQL parameters, rows or statements (core/db-errors.ts), whoever configures the logger. */
function withSafeSerializers(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return logger;
  const options = logger === true ? {} : logger;
  return { ...options, serializers: { ...options.serializers, err: serializeError } };
}

/** The Fastify instance with the options every route relies on. */
export function createHttp(config: Config, logger: FastifyServerOptions['logger'] | undefined): FastifyInstance {
  // While the sandbox identity answers for any method, every reply says so (pages: a banner too).
  const sandbox = sandboxInUse(config);
  const app = Fastify({
    logger: withSafeSerializers(logger ?? { level: config.logLevel, redact: redactPaths }),
    // The HTTP parser's refusals (431, 400, 408) answer with a catalogue body (core/http.ts).
    clientErrorHandler: answerClientErrorWith(sandbox ? { [SANDBOX_HEADER.toLowerCase()]: 'identity' } : {}),
    bodyLimit: config.bodyLimitBytes,
    // Characters (Fastify's default 100): a challenge id is a sealed token of up to
    // CHALLENGE_TOKEN_LENGTH_MAX (identity/challenge-token.ts). Above it, so that each route's
    // schema refuses a longer one (400), not the router (404).
    routerOptions: { maxParamLength: 2 * CHALLENGE_TOKEN_LENGTH_MAX },
    trustProxy: config.trustProxy ?? false,
    return503OnClosing: true,
    // One line per request, at its end, sampled on the routes that ask for it (EdgeLogController).
    logController: new EdgeLogController(),
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
  return app;
}

export interface EdgeDeps {
  config: Config;
  metrics: Metrics;
  signer: SessionSigner;
  staff: StaffDirectory;
  staffSessions: StaffSessions;
  /** Extra options for @fastify/rate-limit (e.g. a Redis client). */
  rateLimitStore?: Record<string, unknown> | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Log 1 in this many of the route's successful answers (default 1: all). For the paths a
     * million phones poll; every answer ≥ 400 is logged whatever this says.
     */
    logEvery?: number;
  }
}

/**
 * A request's one log line, at its end ('request completed', with the request and the answer),
 * not Fastify's two: every answer ≥ 400 (5xx and reply errors at error level), and of a route
 * with `config.logEvery` only 1 in that many successful answers (the line says `sampled`).
 */
export class EdgeLogController extends LogController {
  private answered = 0;

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    const every = request.routeOptions.config?.logEvery ?? 1;
    const sampled = !error && status < 400 && every > 1;
    if (sampled && this.answered++ % every !== 0) return;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime, ...(error ? { err: error } : {}), ...(sampled ? { sampled: `1/${every}` } : {}) };
    if (error || status >= 500) reply.log.error(fields, error ? 'request errored' : 'request completed');
    else reply.log.info(fields, 'request completed');
  }
}

/** Installs the shared edge on the root instance (hooks here apply to every route, by design). */
export async function installEdge(app: FastifyInstance, deps: EdgeDeps): Promise<void> {
  const { config, metrics } = deps;
  app.addHook('onResponse', (request, reply, done) => {
    metrics.http.record(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  if (sandboxInUse(config)) {
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
  installStaffAuth(app, deps.staff, deps.staffSessions);
  // Writes authenticated by the session cookie carry X-CSRF-Token (identity/auth.ts). Staff paths
  // use no citizen session: their cookie writes carry the staff session's token (staff/auth.ts),
  // which a citizen cookie in the same browser must not refuse.
  installCsrfProtection(app, deps.signer, [`${API_PREFIX}/identity/challenges`, `${API_PREFIX}/admin/`, `${API_PREFIX}/staff/`]);
  // Per-address limits (the join route sets its own); the address honours YEYAK_TRUST_PROXY.
  await app.register(rateLimit, {
    global: false,
    ...deps.rateLimitStore,
    errorResponseBuilder: () => new YeyakError('YEYAK_E_RATE_LIMITED'),
  });
  await installOpenApi(app);
}

async function installOpenApi(app: FastifyInstance): Promise<void> {
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
          admin: { type: 'http', scheme: 'bearer', description: 'YEYAK_ADMIN_TOKEN or a staff token (or the yeyak_staff sign-in cookie; its writes send X-CSRF-Token)' },
          staffCookie: { type: 'apiKey', in: 'cookie', name: 'yeyak_staff', description: 'staff sign-in (POST /staff/session)' },
          ticket: { type: 'http', scheme: 'bearer', description: 'waiting-room ticket from POST /campaigns/{id}/queue' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
