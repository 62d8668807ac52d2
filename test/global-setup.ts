// Once per `vitest run`: the pages are built (skipped when dist/web is fresh), so every suite that
// serves them — the page routes, the budgets, the browser tests — sees the same build.
import { ensureWebBuilt } from '../src/pages/build.ts';

export default async function setup(): Promise<void> {
  // Suites on a real PostgreSQL or Redis skip without them on a laptop; in CI a skip would count as
  // a pass, so a run there without both fails here once, whatever each file checks itself.
  if (process.env.CI === 'true') {
    const missing = ['DATABASE_URL', 'REDIS_URL_TEST'].filter((k) => !process.env[k]);
    if (missing.length > 0) throw new Error(`CI=true needs ${missing.join(' and ')}: the storage and queue suites would be skipped`);
  }
  await ensureWebBuilt({ log: (line) => console.log(line) });
}
