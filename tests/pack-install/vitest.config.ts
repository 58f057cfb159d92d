import { defineConfig } from 'vitest/config';

// Each scenario file installs into its own project and mostly waits on the registry or on a
// compiler, so the files run side by side (one worker each); the tarballs are packed once first.
export default defineConfig({
  test: {
    globalSetup: ['test/pack.global.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: true,
    maxWorkers: 6,
  },
});
