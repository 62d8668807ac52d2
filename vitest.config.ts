import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000, // 60 s: storage suites seed and hammer a real database
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
  },
});
