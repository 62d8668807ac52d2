import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000, // 60 s: storage suites seed and hammer a real database
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    // vitest runs cores − 1 files at once: one at a time on a 2-core machine, while the storage and
    // browser suites mostly wait on PGlite, PostgreSQL, Chromium and child servers. Every suite has
    // its own stores (PGlite in memory, a private PostgreSQL database, its own Redis key prefix);
    // two files at once keep PostgreSQL under its 100 connections (two-node suites hold 40).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
