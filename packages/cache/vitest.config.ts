import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { serverTestProjects } from '../../vitest.projects.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Test the sources of core, the suite and the memory store as they are now; the Redis and
    // PostgreSQL stores run built (turbo builds them first) on the same core sources, so one
    // TaskStoreError class is seen everywhere.
    alias: [
      { find: /^@taskvault\/core$/, replacement: here('../core/src/index.ts') },
      { find: /^@taskvault\/core\/adapter$/, replacement: here('../core/src/adapter.ts') },
      { find: /^@taskvault\/conformance$/, replacement: here('../conformance/src/index.ts') },
      { find: /^@taskvault\/memory$/, replacement: here('../memory/src/index.ts') },
      { find: /^@taskvault\/cache$/, replacement: here('./src/index.ts') },
    ],
  },
  test: {
    // starting servers, killing and restarting them take seconds
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: 'forks',
    // three files at once, the one that kills servers after them alone (79 → ~40 s on 2 cores)
    projects: serverTestProjects(['test/processes.int.test.ts']),
  },
});
