import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/cli.ts', 'src/index.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  // The page is static HTML and JS, served from dist/page next to the bundle.
  async onSuccess() {
    cpSync('src/page', 'dist/page', { recursive: true });
  },
});
