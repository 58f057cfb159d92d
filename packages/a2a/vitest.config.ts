import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // starting servers and child processes takes seconds
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // each file starts its own servers: one at a time on a small machine
    fileParallelism: false,
    pool: 'forks',
  },
});
