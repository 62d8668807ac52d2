import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyInstance } from 'fastify';
import { assert } from './errors.ts';

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
  assert(called, 'helmet did not finish synchronously');
  return Object.freeze(headers);
}

/**
 * JSON answers are never rendered as documents, so they get the short set OWASP recommends for
 * APIs — nothing may load, nothing may frame them — instead of the page set: ~200 bytes instead
 * of ~700 on every status poll.
 */
export const apiSecurityHeaders: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
});

/** Page headers (helmet's set) everywhere, except the short API set under `apiPrefix`. */
export function installSecurityHeaders(app: FastifyInstance, options: Readonly<HelmetOptions>, apiPrefix: string): void {
  const pageHeaders = securityHeaders(options);
  const hsts = pageHeaders['strict-transport-security'];
  const apiHeaders = hsts ? Object.freeze({ ...apiSecurityHeaders, 'strict-transport-security': hsts }) : apiSecurityHeaders;
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith(apiPrefix) ? apiHeaders : pageHeaders);
    done();
  });
}
