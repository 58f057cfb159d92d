/** The taskvault command installed by npm with core and one backend, run against a real server. */
import { join } from 'node:path';
import type { PostgresServerHandle } from '@taskvault/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installed, npmInstall, postgresDatabase, sh } from './support/user-project.js';

describe('the taskvault command installed with core and postgres alone', () => {
  let pg: PostgresServerHandle;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    let db: Awaited<ReturnType<typeof postgresDatabase>>;
    [db, dir] = await Promise.all([postgresDatabase(), npmInstall('cli', ['postgres', 'cli'])]);
    ({ server: pg, url } = db);
  }, 240_000);
  afterAll(async () => pg?.destroy());

  const taskvault = (...args: string[]) => sh(join(dir, 'node_modules/.bin/taskvault'), args, dir);

  it('installs the bin with its parser and progress library, and no backend it was not asked for', async () => {
    expect(installed(dir, 'commander')).toBe(true);
    expect(installed(dir, 'cli-progress')).toBe(true);
    expect(installed(dir, '@taskvault/redis')).toBe(false);
    expect(installed(dir, 'ioredis')).toBe(false);
    expect(await taskvault('--help')).toContain('Usage: taskvault');
  }, 60_000);

  it('migrates and counts on PostgreSQL through the backend installed beside it', async () => {
    expect(await taskvault('migrate', '--url', url)).toMatch(/applied|up to date/);
    expect(JSON.parse(await taskvault('stats', '--url', url, '--json'))).toMatchObject({
      backend: 'postgres',
      total: 0,
    });
  }, 60_000);

  it('says which package to install for a backend or a legacy source that is missing', async () => {
    await expect(taskvault('stats', '--backend', 'redis')).rejects.toThrow(
      /taskvault: CONFIG_INVALID: .*npm install @taskvault\/redis/,
    );
    await expect(
      taskvault('import-legacy', 'teal-redis', 'redis://127.0.0.1:1', '--to', url),
    ).rejects.toThrow(/taskvault: DRIVER_MISSING: .*npm install ioredis/);
  }, 60_000);
});
