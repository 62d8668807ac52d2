import { defineConfig } from 'vitest/config';

// The fault suite (test/faults, `npm run test:faults`): one file at a time in one worker — it
// starts its own PostgreSQL, Redis, nodes and nginx and stops them on purpose, so nothing may run
// beside it. Long but bounded timeouts: every wait inside has its own deadline.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'], // the nodes serve the built pages
    testTimeout: 240_000, // 4 min: the whole night with its three faults
    hookTimeout: 180_000, // 3 min: initdb, seeding, two nodes and nginx
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    minWorkers: 1,
  },
});
