// Once per `vitest run`: the pages are built (skipped when dist/web is fresh), so every suite that
// serves them — the page routes, the budgets, the browser tests — sees the same build.
import { ensureWebBuilt } from '../src/pages/build.ts';

export default async function setup(): Promise<void> {
  await ensureWebBuilt({ log: (line) => console.log(line) });
}
