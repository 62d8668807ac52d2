/**
 * The layer check (.dependency-cruiser.cjs, `npm run check:layers` in `npm test`) can fail: a
 * throw-away tree with one wrong import per rule is cruised with the project's own config, and
 * each rule must report its violation; the real tree must report none.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');

interface Violation { rule: { name: string }; from: string; to: string }

async function cruise(cwd: string): Promise<Violation[]> {
  // Exit status is non-zero when there are violations: read the JSON either way.
  const out = await run(DEPCRUISE, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd, maxBuffer: 64 << 20 })
    .then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? '');
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

const tmp = mkdtempSync(join(tmpdir(), 'yeyak-layers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(path: string, text: string): void {
  mkdirSync(dirname(join(tmp, path)), { recursive: true });
  writeFileSync(join(tmp, path), text);
}

describe('layers', () => {
  it('the real tree has no violation', async () => {
    expect(await cruise(ROOT)).toEqual([]);
  }, 60_000);

  it('every rule reports a wrong import', async () => {
    cpSync(join(ROOT, '.dependency-cruiser.cjs'), join(tmp, '.dependency-cruiser.cjs'));
    file('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'nodenext', allowImportingTsExtensions: true, noEmit: true } }));
    file('src/core/up.ts', "import { b } from '../booking/service.ts';\nexport const up = b;\n");
    file('src/booking/service.ts', "export const b = 1;\n");
    file('src/rules/impure.ts', "import { b } from '../booking/service.ts';\nexport const r = b;\n");
    file('src/booking/routes.ts', "import { i } from '../identity/routes.ts';\nexport const br = i;\n");
    file('src/identity/routes.ts', "export const i = 1;\n");
    file('src/staff/peek.ts', "import type { App } from '../app.ts';\nexport type S = App;\n");
    file('src/app.ts', "import { s } from './server.ts';\nexport type App = typeof s;\n");
    file('src/server.ts', "export const s = 1;\n");
    file('src/operations/a.ts', "import { b2 } from './b.ts';\nexport const a2 = b2;\n");
    file('src/operations/b.ts', "import { a2 } from './a.ts';\nexport const b2 = () => a2;\n");
    file('src/availability/double.ts', "import { d } from '../../test/double.ts';\nexport const x = d;\n");
    file('test/double.ts', "export const d = 1;\n");
    file('src/rehearsal/peek.ts', "import { b } from '../booking/service.ts';\nexport const p = b;\n");
    const found = new Set((await cruise(tmp)).map((v) => `${v.rule.name} ${v.from} → ${v.to}`));
    expect(found).toEqual(
      new Set([
        'core-imports-only-core src/core/up.ts → src/booking/service.ts',
        'rules-import-only-core-and-rules src/rules/impure.ts → src/booking/service.ts',
        'capability-imports-no-other-capability src/booking/routes.ts → src/identity/routes.ts',
        'routes-never-import-routes src/booking/routes.ts → src/identity/routes.ts',
        'capability-imports-nothing-above src/staff/peek.ts → src/app.ts',
        'app-below-server-and-cli src/app.ts → src/server.ts',
        'no-circular src/operations/a.ts → src/operations/b.ts',
        'src-never-imports-tests src/availability/double.ts → test/double.ts',
        'rehearsal-talks-http-only src/rehearsal/peek.ts → src/booking/service.ts',
      ]),
    );
  }, 60_000);
});
