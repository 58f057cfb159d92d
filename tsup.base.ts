import type { Options } from 'tsup';

/**
 * The build every published package shares: ESM + CJS + .d.ts from src/index.ts, with source maps,
 * for Node 20. A package passes only what it adds (the Redis package its Lua loader).
 */
export function publishedPackage(extra: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    treeshake: true,
    ...extra,
  };
}
