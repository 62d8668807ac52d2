/**
 * Builds the pages (web/, Vite) into dist/web and writes a Brotli and a gzip copy of every text
 * file beside it, for @fastify/static's precompressed serving. Skipped when a stamp (a hash of
 * web/'s files, the lock file and Vite's version) says dist/web is from the same sources — so
 * `npm install` (prepare), `npm start` and `npm test` may all ask for it and only the first works.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const PACKAGE_ROOT = resolve(import.meta.dirname, '../..');
export const WEB_SOURCE = join(PACKAGE_ROOT, 'web');
export const WEB_ROOT = join(PACKAGE_ROOT, 'dist/web');
const STAMP = join(PACKAGE_ROOT, 'dist/web.stamp.json');
const COMPRESSIBLE = /\.(html|js|css|svg|json|txt|map)$/;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out.sort();
}

/** The hash the stamp holds: every source file's path and bytes, the lock file, Vite's version. */
export function sourceHash(): string {
  const h = createHash('sha256');
  for (const file of filesUnder(WEB_SOURCE)) h.update(relative(PACKAGE_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  const lock = join(PACKAGE_ROOT, 'package-lock.json');
  if (existsSync(lock)) h.update(readFileSync(lock));
  return h.digest('hex');
}

export function webBuildIsFresh(): boolean {
  try {
    const stamp = JSON.parse(readFileSync(STAMP, 'utf8')) as { hash?: string };
    return stamp.hash === sourceHash() && existsSync(join(WEB_ROOT, 'index.html'));
  } catch {
    return false;
  }
}

/** Writes name.br and name.gz beside each compressible file (deterministic: no timestamps). */
export function precompress(root: string): void {
  for (const file of filesUnder(root)) {
    if (!COMPRESSIBLE.test(file)) continue;
    const bytes = readFileSync(file);
    writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
    writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
  }
}

/**
 * Builds when dist/web is missing or stale. Vite is imported only then, so a server with fresh
 * pages never loads it.
 */
export async function ensureWebBuilt(opts: { force?: boolean; log?: (line: string) => void } = {}): Promise<{ built: boolean }> {
  if (!opts.force && webBuildIsFresh()) return { built: false };
  opts.log?.('Building the pages (web/ → dist/web)…');
  const hash = sourceHash();
  const { build } = await import('vite');
  rmSync(STAMP, { force: true });
  // Built beside and renamed into place, so a server reading dist/web never sees half a build.
  const next = `${WEB_ROOT}.next-${process.pid}`;
  // A production build whoever asks: under vitest NODE_ENV is 'test', and Vite then keeps
  // development code (the budgets would measure ~30 % more than a phone is sent).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(WEB_SOURCE, 'vite.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir: next, emptyOutDir: true } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  precompress(next);
  rmSync(WEB_ROOT, { recursive: true, force: true });
  renameSync(next, WEB_ROOT);
  writeFileSync(STAMP, JSON.stringify({ hash, builtFrom: 'web/' }) + '\n');
  return { built: true };
}

/** Total bytes of a built file and its compressed copies (for the budgets and the README). */
export function builtSizes(file: string): { raw: number; gzip: number; brotli: number } {
  const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
  return { raw: size(file), gzip: size(`${file}.gz`), brotli: size(`${file}.br`) };
}
