/**
 * `serve` exposes the store's OpenTelemetry metrics at /metrics in Prometheus' text format: a
 * scrape after a submitted task shows the operation durations, the active-task gauge and the
 * namespace they belong to.
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

describe('GET /metrics', () => {
  it('answers a Prometheus scrape with the store’s operations and active tasks', async () => {
    const [port] = await getFreePorts(1);
    proc = await startServe(port!, ['--workers', '0'], {
      TASKVAULT_BACKEND: 'memory',
      TASKVAULT_NAMESPACE: 'metrics-demo',
    });
    const submitted = await http<{ taskId: string }>('POST', `${proc.url}/tasks`, {
      query: 'what is 2 + 2?',
    });
    expect(submitted.status).toBe(202);
    await http('GET', `${proc.url}/tasks/${submitted.body.taskId}`);

    let scrape = '';
    await eventually(
      'the active-task gauge is scraped',
      async () => {
        const response = await fetch(`${proc!.url}/metrics`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
        scrape = await response.text();
        return /^taskvault_tasks_active\{/m.test(scrape);
      },
      10_000,
    );
    const line = (pattern: RegExp) => scrape.split('\n').find((l) => pattern.test(l));
    const creates = line(/^taskvault_operation_duration_count\{.*taskvault_operation="create"/);
    expect(creates).toMatch(/taskvault_backend="memory"/);
    expect(creates).toMatch(/taskvault_outcome="ok"/);
    expect(Number(creates?.split(' ').pop())).toBeGreaterThanOrEqual(1);
    const active = line(/^taskvault_tasks_active\{/);
    expect(active).toMatch(/taskvault_namespace="metrics-demo"/);
    expect(Number(active?.split(' ').pop())).toBe(1);
  }, 60_000);
});
