import { defineConfig } from 'tsup';
import { publishedPackage } from '../../tsup.base.js';

// Two entries: the application API and the adapter kit. Shared code goes into common chunks in
// both formats (CommonJS too), so the two entries share one copy of every class and of the
// factory's state.
export default defineConfig(
  publishedPackage({ entry: ['src/index.ts', 'src/adapter.ts'], splitting: true, shims: true }),
);
