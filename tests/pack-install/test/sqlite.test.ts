/** Core + sqlite installed alone by npm from our tarballs, its native driver compiled by npm. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  backendProject,
  compilerCacheEnv,
  declaredRange,
  installed,
  installedVersion,
  newestWithin,
  runningNodeDir,
  sh,
  typecheckBoth,
  typesCheckedElsewhere,
} from './support/user-project.js';

describe('core + sqlite installed alone, better-sqlite3 built from source by npm', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    // No prebuilt binary: node-gyp compiles SQLite against the headers of the Node running this
    // test (its install prefix holds include/node), as on a machine the prebuilds do not cover or
    // that cannot download them. Named here because pnpm hands scripts the nodedir of the
    // user's npmrc (this machine's Node 20), whatever Node runs them. JOBS: make runs as many
    // compilers as there are cores (node-gyp's default is one). The compiler cache, when there is
    // one, spares compiling SQLite itself again on each Node version.
    dir = await backendProject('sqlite', {
      timeoutMs: 600_000,
      env: {
        npm_config_build_from_source: 'true',
        npm_config_nodedir: runningNodeDir(),
        JOBS: 'max',
        ...compilerCacheEnv(),
      },
    });
    file = join(dir, 'tasks.db');
  }, 660_000);

  it('brings better-sqlite3 with its native binding built, and nothing of redis or postgres', async () => {
    expect(installed(dir, 'better-sqlite3')).toBe(true);
    expect(existsSync(join(dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
    for (const name of ['@taskvault/redis', '@taskvault/postgres', 'ioredis', 'pg']) {
      expect(installed(dir, name)).toBe(false);
    }
    const version =
      "console.log(new (require('better-sqlite3'))(':memory:').prepare('select sqlite_version() v').get().v)";
    expect(await sh('node', ['-e', version], dir)).toMatch(/^3\./);
  }, 60_000);

  it('installs the newest better-sqlite3 within our range', async () => {
    const range = declaredRange('sqlite', 'better-sqlite3');
    expect(installedVersion(dir, 'better-sqlite3')).toBe(await newestWithin('better-sqlite3', range, dir));
  }, 60_000);

  it('works from an ESM script, and the factory says to install @taskvault/postgres', async () => {
    expect(await sh('node', ['check.mjs', 'sqlite', file, 'postgres'], dir)).toContain('esm sqlite ok');
  }, 60_000);

  it('works from a CommonJS script', async () => {
    expect(await sh('node', ['check.cjs', 'sqlite', file, 'redis'], dir)).toContain('cjs sqlite ok');
  }, 60_000);

  it('type-checks under module node16 and bundler', async (ctx) => {
    if (typesCheckedElsewhere) ctx.skip(typesCheckedElsewhere);
    await typecheckBoth(dir, 'sqlite');
  }, 120_000);
});
