/** Core + memory + a2a installed by npm beside the SDK (its newest 1.x and its oldest), the SDK calling our stores. */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  copyFixtures,
  installed,
  installedVersion,
  npmInstall,
  runTsc,
  sh,
  typesCheckedElsewhere,
  writeTsconfig,
} from './support/user-project.js';

describe('core + memory + a2a + the SDK installed alone', () => {
  let dir: string;
  beforeAll(async () => {
    // the newest 1.x runs on Node 20 (its engines: node >= 20); express and the database drivers
    // are optional peers of the SDK, not needed for a task store
    dir = await npmInstall('a2a', ['memory', 'a2a'], { extra: ['@a2a-js/sdk@^1'] });
    // check-a2a.ts again as an ES module for node16 (the SDK's declarations are ESM only)
    copyFixtures(dir, [
      'check-a2a.mjs',
      'check-a2a.ts',
      'check-a2a-cjs.cts',
      { 'check-a2a.ts': 'check-a2a.mts' },
    ]);
  }, 240_000);

  it('brings the SDK and no backend driver', () => {
    expect(installedVersion(dir, '@a2a-js/sdk')).toMatch(/^1\./);
    for (const name of ['@taskvault/redis', '@taskvault/postgres', 'ioredis', 'pg', 'express'])
      expect(installed(dir, name)).toBe(false);
  });

  it("runs the SDK's request handler on a TaskvaultA2ATaskStore from an ESM script", async () => {
    expect(await sh('node', ['check-a2a.mjs'], dir)).toContain('esm a2a ok');
  }, 60_000);

  it('loads from CommonJS too', async () => {
    const script =
      "const { TaskvaultA2ATaskStore } = require('@taskvault/a2a'); console.log(typeof TaskvaultA2ATaskStore);";
    expect(await sh('node', ['-e', script], dir)).toContain('function');
  }, 60_000);

  it('type-checks under module node16 (ESM and CommonJS) and bundler', async (ctx) => {
    if (typesCheckedElsewhere) ctx.skip(typesCheckedElsewhere);
    writeTsconfig(dir, 'tsconfig.node16.json', 'node16', 'node16', 'check-a2a.mts');
    writeTsconfig(dir, 'tsconfig.node16-cjs.json', 'node16', 'node16', 'check-a2a-cjs.cts');
    writeTsconfig(dir, 'tsconfig.bundler.json', 'esnext', 'bundler', 'check-a2a.ts');
    await Promise.all(
      ['tsconfig.bundler.json', 'tsconfig.node16.json', 'tsconfig.node16-cjs.json'].map((f) =>
        runTsc(dir, f),
      ),
    );
  }, 180_000);
});

describe('core + memory + a2a + the oldest SDK of the peer range (1.0.1)', () => {
  it("runs the SDK's request handler on a TaskvaultA2ATaskStore", async () => {
    const dir = await npmInstall('a2a-oldest', ['memory', 'a2a'], { extra: ['@a2a-js/sdk@1.0.1'] });
    expect(installedVersion(dir, '@a2a-js/sdk')).toBe('1.0.1');
    copyFixtures(dir, ['check-a2a.mjs']);
    expect(await sh('node', ['check-a2a.mjs'], dir)).toContain('esm a2a ok');
  }, 240_000);
});
