/** Core + memory + openai-agents installed by npm beside the SDK, the SDK calling our session. */
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

describe('core + memory + openai-agents + the SDK installed alone', () => {
  let dir: string;
  beforeAll(async () => {
    // 0.14 is the newest SDK line that runs on Node 20 (0.15+ need Node 22); the newest release is
    // checked under Node 24 in packages/openai-agents/test/newest-sdk.test.ts
    dir = await npmInstall('openai-agents', ['memory', 'openai-agents'], {
      extra: ['@openai/agents-core@~0.14'],
    });
    copyFixtures(dir, ['check-openai-agents.mjs', 'check-openai-agents.ts']);
  }, 240_000);

  it('brings the SDK and no backend driver', () => {
    expect(installedVersion(dir, '@openai/agents-core')).toMatch(/^0\.14\./);
    for (const name of ['@taskvault/redis', '@taskvault/postgres', 'ioredis', 'pg'])
      expect(installed(dir, name)).toBe(false);
  });

  it('runs the SDK with a TaskvaultSession from an ESM script', async () => {
    expect(await sh('node', ['check-openai-agents.mjs'], dir)).toContain('esm openai-agents ok');
  }, 60_000);

  it('loads from CommonJS too', async () => {
    const script =
      "const { TaskvaultSession } = require('@taskvault/openai-agents'); console.log(typeof TaskvaultSession);";
    expect(await sh('node', ['-e', script], dir)).toContain('function');
  }, 60_000);

  it('type-checks under module node16 and bundler (node16: errors only in the SDK’s MCP dependency)', async (ctx) => {
    if (typesCheckedElsewhere) ctx.skip(typesCheckedElsewhere);
    writeTsconfig(dir, 'tsconfig.node16.json', 'node16', 'node16', 'check-openai-agents.ts');
    writeTsconfig(dir, 'tsconfig.bundler.json', 'esnext', 'bundler', 'check-openai-agents.ts');
    // With skipLibCheck false, @openai/agents-core 0.14's dependency @modelcontextprotocol/sdk
    // fails node16 in its own CJS .d.ts (TS1541), whatever imports the SDK; ours must add nothing.
    const [, node16] = await Promise.all([
      runTsc(dir, 'tsconfig.bundler.json'),
      runTsc(dir, 'tsconfig.node16.json').catch((e: Error) => e.message),
    ]);
    const errors = node16.split('\n').filter((line) => /error TS\d+/.test(line));
    if (node16.includes(' failed in ')) expect(errors.length).toBeGreaterThan(0); // tsc failed by reporting errors
    expect(errors.filter((line) => !line.startsWith('node_modules/@modelcontextprotocol/'))).toStrictEqual(
      [],
    );
  }, 120_000);
});
