import { defineConfig } from 'vitest/config';

// The suite is run by each backend package against its store; this package has no tests of its own.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    passWithNoTests: true,
  },
});
