import { defineConfig } from 'tsup';

// Every package stays in node_modules: the peer libraries of `--peers` are devDependencies, which
// tsup would otherwise bundle (and some of them `require` Node built-ins, which an ESM bundle can't).
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  clean: true,
  target: 'node20',
  skipNodeModulesBundle: true,
});
