/**
 * The one import from the pages the server may make (issue #11): src/notifications/templates.ts
 * → web/i18n/{ko,en}/notices.ts. Any other src module importing web/, or the templates importing
 * another page file, is reported by .dependency-cruiser.cjs (cruised on a throw-away tree).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'yeyak-notice-layers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(path: string, text: string): void {
  mkdirSync(dirname(join(tmp, path)), { recursive: true });
  writeFileSync(join(tmp, path), text);
}

it('only the notice templates may import web/, and only the notice dictionaries', async () => {
  cpSync(join(ROOT, '.dependency-cruiser.cjs'), join(tmp, '.dependency-cruiser.cjs'));
  file('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'nodenext', allowImportingTsExtensions: true, noEmit: true } }));
  file('web/i18n/ko/notices.ts', 'export const notices = 1;\n');
  file('web/i18n/en/notices.ts', 'export const notices = 2;\n');
  file('web/i18n/ko/ops.ts', 'export const ops = 3;\n');
  file('src/notifications/templates.ts', "import { notices } from '../../web/i18n/ko/notices.ts';\nimport { notices as en } from '../../web/i18n/en/notices.ts';\nimport { ops } from '../../web/i18n/ko/ops.ts';\nexport const t = [notices, en, ops];\n");
  file('src/notifications/worker.ts', "import { notices } from '../../web/i18n/ko/notices.ts';\nexport const w = notices;\n");
  file('src/booking/peek.ts', "import { ops } from '../../web/i18n/ko/ops.ts';\nexport const p = ops;\n");
  const out = await promisify(execFile)(join(ROOT, 'node_modules/.bin/depcruise'), ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd: tmp, maxBuffer: 16 << 20 })
    .then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? '');
  const found = (JSON.parse(out) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } }).summary.violations.map((v) => `${v.rule.name} ${v.from} → ${v.to}`);
  expect(new Set(found)).toEqual(
    new Set([
      'notices-import-only-their-dictionaries src/notifications/templates.ts → web/i18n/ko/ops.ts',
      'src-never-imports-pages src/notifications/worker.ts → web/i18n/ko/notices.ts',
      'src-never-imports-pages src/booking/peek.ts → web/i18n/ko/ops.ts',
    ]),
  );
}, 60_000);
