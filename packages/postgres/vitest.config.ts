import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { serverTestProjects } from '../../vitest.projects.js';

// Until @taskvault/conformance is built, run its sources.
const conformanceSrc = fileURLToPath(new URL('../conformance/src/index.ts', import.meta.url));
const conformanceBuilt = existsSync(fileURLToPath(new URL('../conformance/dist/index.js', import.meta.url)));

export default defineConfig({
  resolve: conformanceBuilt ? {} : { alias: { '@taskvault/conformance': conformanceSrc } },
  test: {
    // spawned PostgreSQL servers: initdb, restarts and crash recovery take seconds
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // the exit hook that kills spawned servers runs reliably in a forked worker
    pool: 'forks',
    // three files at once, the ones that bound a time (faults, leases, health, a big task's
    // patch) after them alone (141–162 → ~110 s on 2 cores)
    projects: serverTestProjects([
      'test/faults.int.test.ts',
      'test/processes.int.test.ts',
      'test/health.int.test.ts',
      'test/big-tasks.int.test.ts', // bounds a one-item patch of a 20,000-item task
    ]),
  },
});
