import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Until @taskvault/conformance is built, run its sources.
const conformanceSrc = fileURLToPath(new URL('../conformance/src/index.ts', import.meta.url));
const conformanceBuilt = existsSync(fileURLToPath(new URL('../conformance/dist/index.js', import.meta.url)));

export default defineConfig({
  resolve: conformanceBuilt ? {} : { alias: { '@taskvault/conformance': conformanceSrc } },
  test: {
    include: ['test/**/*.test.ts'],
    // spawned PostgreSQL servers: initdb, restarts and crash recovery take seconds
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // the exit hook that kills spawned servers runs reliably in a forked worker
    pool: 'forks',
  },
});
