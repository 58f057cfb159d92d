/**
 * Core + redis (+ the cache, which needs nothing but core) installed alone by npm from our
 * tarballs, run as a user would against a real server.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type RedisServerHandle, redisForTests } from '@taskvault/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backendProject,
  copyFixtures,
  declaredRange,
  installed,
  installedVersion,
  newestWithin,
  packageManifest,
  sh,
  typecheckBoth,
  typesCheckedElsewhere,
} from './support/user-project.js';

describe('core + redis + cache installed alone', () => {
  let redis: RedisServerHandle;
  let dir: string;
  beforeAll(async () => {
    [redis, dir] = await Promise.all([redisForTests(), backendProject('redis', { with: ['cache'] })]);
    copyFixtures(dir, ['check-cache.mjs']);
  }, 240_000);
  afterAll(async () => redis?.destroy());

  it('brings ioredis and nothing of postgres', () => {
    expect(installed(dir, 'ioredis')).toBe(true);
    expect(installed(dir, 'pg')).toBe(false);
    expect(installed(dir, 'kysely')).toBe(false);
    expect(installed(dir, '@taskvault/postgres')).toBe(false);
    expect(installed(dir, '@taskvault/memory')).toBe(false);
  });

  it('brings nothing for the cache but the package itself', () => {
    const ours = readdirSync(join(dir, 'node_modules/@taskvault')).sort();
    expect(ours).toStrictEqual(['cache', 'core', 'redis']);
    expect(Object.keys(packageManifest(dir, '@taskvault/cache').dependencies ?? {})).toStrictEqual([
      '@taskvault/core',
    ]);
  });

  it('serves loads from memory and follows another store’s writes (the cache, from ESM)', async () => {
    expect(await sh('node', ['check-cache.mjs', redis.url], dir)).toContain('esm cache ok');
  }, 60_000);

  it('loads the cache from CommonJS too', async () => {
    const script = "console.log(typeof require('@taskvault/cache').withCache)";
    expect(await sh('node', ['-e', script], dir)).toContain('function');
  }, 60_000);

  it('installs the newest ioredis within our range, with the types its .d.ts files import', async () => {
    const range = declaredRange('redis', 'ioredis');
    expect(installedVersion(dir, 'ioredis')).toBe(await newestWithin('ioredis', range, dir));
    // ioredis 6.1's public .d.ts files import 'redis-errors', typed only by @types/redis-errors.
    expect(installed(dir, '@types/redis-errors')).toBe(true);
  }, 60_000);

  it('works from an ESM script, and the factory says to install @taskvault/postgres', async () => {
    expect(await sh('node', ['check.mjs', 'redis', redis.url, 'postgres'], dir)).toContain('esm redis ok');
  }, 60_000);

  it('works from a CommonJS script', async () => {
    expect(await sh('node', ['check.cjs', 'redis', redis.url, 'postgres'], dir)).toContain('cjs redis ok');
  }, 60_000);

  it('type-checks under module node16 and bundler', async (ctx) => {
    if (typesCheckedElsewhere) ctx.skip(typesCheckedElsewhere);
    await typecheckBoth(dir, 'redis');
  }, 120_000);
});
