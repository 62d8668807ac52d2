import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite stops its own PostgreSQL and Redis on purpose and runs alone: npm run test:faults.
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000, // 60 s: storage suites seed and hammer a real database
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    // vitest's default, cores − 1 files at once, is one at a time on this project's 2-core
    // machines, leaving a core to PostgreSQL and idle waits (the README's servers, real-time
    // waits). Two at once: the whole suite (82 files) in 360 s instead of 474 s. Every suite has
    // its own stores (PGlite in memory, its own PostgreSQL database, its own Redis key prefix);
    // two files at once peaked at 22 PostgreSQL connections of its 100.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
