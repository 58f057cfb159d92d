import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../src/scenario.js';
import { CLI, ensureBuilt } from './build.js';
import { memoryStore } from './helpers.js';
import { expectScenarioOutcome } from './scenario-outcome.js';

const run = promisify(execFile);

describe('the scripted scenario', () => {
  it('on the memory store: five requests end as planned, then list, countActive and cleanup', async () => {
    const store = await memoryStore();
    try {
      const lines: string[] = [];
      const result = await runScenario({ store, write: (l) => lines.push(l), stepDelayMs: 10 });
      expectScenarioOutcome(result);
      expect(lines).toEqual(result.lines);
      expect(await store.count()).toBe(0);
    } finally {
      await store.close();
    }
  });

  describe('the built CLI', () => {
    beforeAll(() => ensureBuilt());

    it('`run` prints the transcript and exits 0 within seconds', async () => {
      const started = Date.now();
      const { stdout } = await run(process.execPath, [CLI, 'run'], {
        env: { ...process.env, TASKVAULT_BACKEND: 'memory', LOG_LEVEL: 'warn' },
      });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(stdout).toContain('scripted run on the memory store');
      expect(stdout).toMatch(/cleanup\(\{ olderThan: 0 \}\) removed 5 ended tasks/);
      expect(stdout).toMatch(/done in \d+\.\d+ s/);
    });

    it('--help explains both commands; a bad flag or command exits 2 with a hint', async () => {
      const { stdout } = await run(process.execPath, [CLI, '--help']);
      expect(stdout).toMatch(/demo-agent run/);
      expect(stdout).toMatch(/demo-agent serve/);
      expect(stdout).toMatch(/--worker-id/);
      await expect(run(process.execPath, [CLI, 'serve', '--port', 'eighty'])).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/--port must be an integer/),
      });
      await expect(run(process.execPath, [CLI, 'fly'])).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/unknown command "fly"/),
      });
      await expect(run(process.execPath, [CLI, 'run', '--bogus'])).rejects.toMatchObject({ code: 2 });
    });

    it('a bad backend setting fails with the variable named, not a stack', async () => {
      const err = await run(process.execPath, [CLI, 'run'], {
        env: { ...process.env, TASKVAULT_BACKEND: 'mongo' },
      }).catch((e: { code: number; stderr: string }) => e);
      expect(err).toMatchObject({ code: 1, stderr: expect.stringMatching(/TASKVAULT_BACKEND/) });
      expect((err as { stderr: string }).stderr).not.toMatch(/\n\s+at /);
    });
  });
});
