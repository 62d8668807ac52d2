/**
 * The pages, one entry per page group (docs/ARCHITECTURE.md, Pages). Built into dist/web by
 * src/pages/build.ts (npm's prepare step, or at start-up when missing or stale) and served by
 * src/pages/routes.ts with hashed, immutable assets and precompressed copies.
 */
import { defineConfig } from 'vite';
import { resolve } from 'node:path';

const here = import.meta.dirname;

export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: resolve(here, '../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2020',
    // The waiting page is one small module: no preload polyfill, no shared chunk pulled in.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rollupOptions: {
      input: {
        citizen: resolve(here, 'index.html'),
        wait: resolve(here, 'wait/index.html'),
        ops: resolve(here, 'ops/index.html'),
        clinic: resolve(here, 'clinic/index.html'),
        fairness: resolve(here, 'fairness/index.html'),
      },
    },
  },
});
