import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { serverTestProjects } from '../../vitest.projects.js';

const conformanceDist = fileURLToPath(new URL('../conformance/dist/index.js', import.meta.url));
const conformanceSrc = fileURLToPath(new URL('../conformance/src/index.ts', import.meta.url));

export default defineConfig({
  resolve: {
    // Before @taskvault/conformance is built (turbo builds it first in CI), run its sources.
    alias: existsSync(conformanceDist) ? {} : { '@taskvault/conformance': conformanceSrc },
  },
  plugins: [
    {
      // Tests run the sources, so .lua imports need what tsup's text loader does for the build.
      name: 'lua-as-text',
      enforce: 'pre',
      load(id) {
        if (!id.endsWith('.lua')) return null;
        return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
      },
    },
  ],
  test: {
    // starting servers and clusters, crash and restart take seconds
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: 'forks',
    // three files at once, the ones that bound a time after them alone (89 → ~55 s on 2 cores)
    projects: serverTestProjects([
      'test/faults.int.test.ts',
      'test/cluster-faults.int.test.ts',
      'test/sweep.int.test.ts',
      'test/big-tasks.int.test.ts', // bounds each script's server time
      'test/secrets.int.test.ts', // bounds how soon a refused connection fails
    ]),
  },
});
