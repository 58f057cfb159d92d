import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // servers, child processes, crash recovery and a browser take seconds, not milliseconds
    testTimeout: 90_000,
    hookTimeout: 90_000,
    fileParallelism: false,
    // child processes: the exit hook that kills spawned servers runs reliably in a forked worker
    pool: 'forks',
    server: {
      deps: {
        // Load the workspace packages with Node itself, as an application would. Inlined through
        // Vite, core's `import('@taskvault/memory')` becomes Vite's optional-peer-dependency stub,
        // which throws instead of letting the factory look in this package's node_modules.
        external: [/\/packages\/[a-z-]+\/dist\//],
      },
    },
  },
});
