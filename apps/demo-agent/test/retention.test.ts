/**
 * `serve` runs with a retention policy: a finished task outlives it by no more than a sweep, the
 * sweep shows in the log, and `/healthz` (what the page shows) reports the policy and what the
 * last sweep removed.
 */
import { getFreePorts } from '@taskvault/test-servers';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers.js';
import { http, type ServeProcess, startServe } from './serve-process.js';

let proc: ServeProcess | undefined;

afterAll(async () => {
  if (proc && proc.child.exitCode === null) {
    proc.child.kill('SIGTERM');
    await proc.exited;
  }
});

interface Health {
  retention: { policy: string; lastSweep: { source: string; removed: number; at: string } | null };
}

describe('serve with a retention policy', () => {
  it('removes a completed task once its retention passed, and reports the sweep', async () => {
    const [port] = await getFreePorts(1);
    proc = await startServe(
      port!,
      ['--workers', '1', '--step-delay-ms', '0', '--retention', 'completed=300ms', '--sweep-ms', '200'],
      { TASKVAULT_BACKEND: 'memory' },
    );
    const before = await http<Health>('GET', `${proc.url}/healthz`);
    expect(before.body.retention.policy).toBe('completed=300ms');

    const submitted = await http<{ taskId: string }>('POST', `${proc.url}/tasks`, {
      query: 'what is 2 + 2?',
    });
    expect(submitted.status).toBe(202);
    const url = `${proc.url}/tasks/${submitted.body.taskId}`;
    await eventually(
      'the task completes',
      async () => (await http<{ status: string }>('GET', url)).body.status === 'completed',
      15_000,
    );
    await eventually('the task is gone', async () => (await http('GET', url)).status === 404, 5000);
    let health: Health | undefined;
    await eventually(
      'a sweep that removed it is reported',
      async () => {
        health = (await http<Health>('GET', `${proc!.url}/healthz`)).body;
        return (health.retention.lastSweep?.removed ?? 0) >= 1;
      },
      5000,
    );
    expect(health!.retention.lastSweep).toMatchObject({ source: 'sweeper', removed: 1 });
    expect(proc.output()).toMatch(/sweeper removed 1 tasks/);
  }, 60_000);

  it('refuses a policy that names an active status, saying which', async () => {
    const [port] = await getFreePorts(1);
    await expect(
      startServe(port!, ['--retention', 'running=1h'], { TASKVAULT_BACKEND: 'memory' }),
    ).rejects.toThrow(/--retention: running: names no terminal status/);
  }, 60_000);
});
