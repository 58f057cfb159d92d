import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // starting servers, initdb and crash recovery take seconds, not milliseconds
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // child processes: the exit hook that kills spawned servers runs reliably in a forked worker
    pool: 'forks',
  },
});
