/**
 * The pages (built by ./build.ts into dist/web): `/` citizens, `/wait/` the waiting room,
 * `/ops/` operators, `/clinic/` clinic staff, `/fairness/` the public fairness record. One route per built file (no wildcard: a path
 * that is not a page still reaches the not-found handler and the admin-path check), Brotli or
 * gzip copies chosen by Accept-Encoding, hashed assets cached for a year as immutable, HTML
 * revalidated every time. No page holds per-person data, so a CDN may cache all of it.
 */
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';

export interface PagesDeps {
  /** The built pages (dist/web). */
  root: string;
}

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'public, max-age=0, must-revalidate';

export async function pagesRoutes(app: FastifyInstance, deps: PagesDeps): Promise<void> {
  if (!existsSync(deps.root)) {
    app.log.warn({ root: deps.root }, 'pages are not built: run `npm run build:web`');
    return;
  }
  await app.register(fastifyStatic, {
    root: deps.root,
    prefix: '/',
    wildcard: false,
    redirect: false, // true trips on the root index (an empty route); the groups redirect below
    preCompressed: true,
    globIgnore: ['**/*.br', '**/*.gz'],
    schemaHide: true,
    cacheControl: false,
    lastModified: false,
    setHeaders: (reply, path) => {
      reply.header('cache-control', /\/assets\//.test(path) ? IMMUTABLE : REVALIDATE);
    },
  });
  for (const group of PAGE_GROUPS) {
    app.get(`/${group}`, { schema: { hide: true } }, async (_request, reply) => reply.redirect(`/${group}/`, 301));
  }
}

/** The page groups besides the citizens' `/` (web/vite.config.ts has one entry each). */
export const PAGE_GROUPS = ['wait', 'ops', 'clinic', 'fairness'] as const;
