/** Core + postgres installed alone by npm from our tarballs, run as a user would against a real server. */
import type { PostgresServerHandle } from '@taskvault/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backendProject,
  declaredRange,
  installed,
  installedVersion,
  newestWithin,
  postgresDatabase,
  sh,
  typecheckBoth,
  typesCheckedElsewhere,
} from './support/user-project.js';

describe('core + postgres installed alone', () => {
  let pg: PostgresServerHandle;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    let db: Awaited<ReturnType<typeof postgresDatabase>>;
    [db, dir] = await Promise.all([postgresDatabase(), backendProject('postgres')]);
    ({ server: pg, url } = db);
  }, 240_000);
  afterAll(async () => pg?.destroy());

  it('brings pg and kysely and nothing of redis', () => {
    expect(installed(dir, 'pg')).toBe(true);
    expect(installed(dir, 'kysely')).toBe(true);
    expect(installed(dir, 'ioredis')).toBe(false);
    expect(installed(dir, '@taskvault/redis')).toBe(false);
  });

  it('installs the newest pg and kysely within our ranges', async () => {
    for (const dep of ['pg', 'kysely']) {
      const range = declaredRange('postgres', dep);
      expect(installedVersion(dir, dep)).toBe(await newestWithin(dep, range, dir));
    }
  }, 60_000);

  it('works from an ESM script, and the factory says to install @taskvault/redis', async () => {
    expect(await sh('node', ['check.mjs', 'postgres', url, 'redis'], dir)).toContain('esm postgres ok');
  }, 60_000);

  it('works from a CommonJS script', async () => {
    expect(await sh('node', ['check.cjs', 'postgres', url, 'redis'], dir)).toContain('cjs postgres ok');
  }, 60_000);

  it('type-checks under module node16 and bundler', async (ctx) => {
    if (typesCheckedElsewhere) ctx.skip(typesCheckedElsewhere);
    await typecheckBoth(dir, 'postgres');
  }, 120_000);
});
