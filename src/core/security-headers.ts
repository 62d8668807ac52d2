import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Security headers, computed once. helmet builds the same header set for every response; wrapping
 * it per request (as @fastify/helmet does) re-parsed the CSP on each one — ~6 % of a status poll's
 * CPU in a profile of bench:queue. Here helmet runs once against a recording response and the
 * result is copied onto every reply.
 */
export function securityHeaders(options: Readonly<HelmetOptions>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  let called = false;
  helmet(options)({} as never, recorder as never, () => {
    called = true;
  });
  // helmet's middleware is synchronous; if that ever changes, fail loudly rather than send nothing.
  if (!called) throw new Error('invariant violated: helmet did not finish synchronously');
  return Object.freeze(headers);
}

export function installSecurityHeaders(app: FastifyInstance, options: Readonly<HelmetOptions>): void {
  const headers = securityHeaders(options);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}
