import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePorts } from '@taskvault/test-servers';
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../src/view.js';
import { describeBackend } from './backend-suite.js';
import { ensureBuilt } from './build.js';
import { eventually, freshNamespace } from './helpers.js';
import { http, startServe } from './serve-process.js';

// One file for the whole suite: the serve processes of a test share it, as they would on a host.
const dir = mkdtempSync(join(tmpdir(), 'demo-sqlite-'));
const path = join(dir, 'demo.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeBackend('sqlite', async () => ({
  config: { backend: 'sqlite', sqlite: { path } },
  env: { TASKVAULT_BACKEND: 'sqlite', TASKVAULT_SQLITE_PATH: path },
  outage: null,
  destroy: async () => {},
}));

describe('on sqlite, serve restarted on the same file', () => {
  it('keeps every task: finished and paused for approval', async () => {
    ensureBuilt();
    const file = join(dir, 'restart.db');
    const env = {
      TASKVAULT_BACKEND: 'sqlite',
      TASKVAULT_SQLITE_PATH: file,
      TASKVAULT_NAMESPACE: freshNamespace('restart'),
    };
    const [port] = await getFreePorts(1);
    const args = ['--workers', '1', '--step-delay-ms', '20', '--poll-ms', '20'];
    const first = await startServe(port!, args, env);
    const ids: string[] = [];
    let before: TaskView[] = [];
    try {
      for (const query of ['population of France plus the population of Germany', 'Order 2 keyboards']) {
        const res = await http<{ taskId: string }>('POST', `${first.url}/tasks`, { query });
        expect(res.status).toBe(202);
        ids.push(res.body.taskId);
      }
      await eventually('both tasks settled (completed, or paused for approval)', async () => {
        const { body } = await http<{ tasks: TaskView[] }>('GET', `${first.url}/tasks`);
        return ids.every((id) =>
          body.tasks.some((t) => t.taskId === id && ['completed', 'paused'].includes(t.status)),
        );
      });
      before = (await http<{ tasks: TaskView[] }>('GET', `${first.url}/tasks`)).body.tasks;
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    const second = await startServe(port!, ['--workers', '0'], env);
    try {
      const after = (await http<{ tasks: TaskView[] }>('GET', `${second.url}/tasks`)).body.tasks;
      expect(after.map((t) => t.taskId).sort()).toEqual(ids.sort());
      expect(after).toEqual(before);
    } finally {
      second.child.kill('SIGKILL');
      await second.exited;
    }
  }, 90_000);
});
