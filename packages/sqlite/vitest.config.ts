import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Test the sources, not built output: the conformance suite and core as they are now, and this
    // package by name too, so the factory's run-time import of '@taskvault/sqlite' finds them.
    alias: [
      { find: /^@taskvault\/core$/, replacement: here('../core/src/index.ts') },
      { find: /^@taskvault\/conformance$/, replacement: here('../conformance/src/index.ts') },
      { find: /^@taskvault\/sqlite$/, replacement: here('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
  },
});
