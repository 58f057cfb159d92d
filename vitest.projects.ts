import type { TestProjectConfiguration } from 'vitest/config';

/**
 * How the packages whose tests start their own servers split their test files. Such files share
 * nothing and mostly wait (on initdb, fsync, a restart), so three run at once. The files whose
 * assertions bound time — a killed or frozen server must give BACKEND_UNAVAILABLE within the
 * command timeout, a dead sweeper's lease must run out before another takes over, a burst must
 * land enough writes before the kill — run afterwards, one at a time, with the machine to
 * themselves: with two other files beside them on 2 cores they missed those bounds.
 */
export function serverTestProjects(alone: readonly string[], workers = 3): TestProjectConfiguration[] {
  // Each project names its own files: with `extends: true`, a root `include` would be merged
  // into both projects' lists, so the package's config must not set one.
  return [
    {
      extends: true,
      test: {
        name: 'shared',
        include: ['test/**/*.test.ts'],
        exclude: [...alone],
        fileParallelism: true,
        maxWorkers: workers,
        sequence: { groupOrder: 0 },
      },
    },
    {
      extends: true,
      test: { name: 'alone', include: [...alone], fileParallelism: false, sequence: { groupOrder: 1 } },
    },
  ];
}
