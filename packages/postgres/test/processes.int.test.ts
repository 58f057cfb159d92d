/**
 * One sweeper per namespace across processes: ten children on one namespace, each a store with a
 * retention policy and a short sweep interval and lease; the parent keeps writing completed tasks.
 * Only one child sweeps; once it is SIGKILLed, another takes over after its lease ran out (the
 * server's clock decides), and is then the only one.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale, checkOneSweeper } from '@taskvault/test-servers';
import { beforeAll, describe, expect, it } from 'vitest';
import { sqlRows, storeOn, useServer } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const server = useServer();

/** The children run the built package. */
beforeAll(() => buildIfStale(root), 120_000);

describe('several processes on one namespace', () => {
  it('exactly one sweeps; a SIGKILLed holder is replaced once its lease ran out, by exactly one', async () => {
    const url = await server().createDatabase();
    const namespace = 'swept';
    const writer = storeOn(url, { namespace, retention: { completed: 50 }, sweep: false });
    await writer.migrate();
    const intervalMs = 200;
    const leaseMs = 1500;
    try {
      const outcome = await checkOneSweeper({
        spawn: () =>
          spawn(
            process.execPath,
            [
              join(root, 'test', 'fixtures', 'sweeper.mjs'),
              url,
              namespace,
              String(intervalMs),
              String(leaseMs),
            ],
            { stdio: ['ignore', 'pipe', 'inherit'] },
          ),
        intervalMs,
        leaseMs,
        writeDoomed: () => writer.create({ taskId: randomUUID(), status: 'completed' }),
      });
      const [row] = await sqlRows(
        url,
        `select count(*)::int as n from taskvault_tasks where namespace = '${namespace}'`,
      );
      const left = Number(row?.n);
      console.info(`one sweeper: ${JSON.stringify(outcome)}, ${left} rows left`);
      expect(outcome.removed).toBeGreaterThan(0);
      // no task reported twice (a holder killed between a batch and its report reports less)
      expect(outcome.removed).toBeLessThanOrEqual(outcome.written - left);
      // what the sweepers left: tasks written in their last few ticks
      expect(left).toBeLessThan(outcome.written / 2);
    } finally {
      await writer.close();
    }
  }, 90_000);
});
