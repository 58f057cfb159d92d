/**
 * The store's faults reach the SDK as taskvault errors, in bounded time, and the A2A stores
 * recover by themselves: Redis is killed under them, then started again on the same data.
 */
import { isTaskStoreError } from '@taskvault/core';
import { RedisTaskStore } from '@taskvault/redis';
import { type RedisServerHandle, redisForTests } from '@taskvault/test-servers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TaskvaultA2APushNotificationStore, TaskvaultA2ATaskStore } from '../src/index.js';
import { context, listRequest, message, TaskState, task } from './support/a2a.js';

let server: RedisServerHandle;
beforeAll(async () => {
  server = await redisForTests({ appendOnly: true });
  if (server.external) {
    throw new Error(
      'this test kills its Redis server: unset TASKVAULT_TEST_REDIS_URL so the harness starts a throwaway one',
    );
  }
});
afterAll(async () => server?.destroy());

it('BACKEND_UNAVAILABLE while Redis is down, within the timeouts; everything back once it is up', async () => {
  const store = new RedisTaskStore({
    url: server.url,
    namespace: 'faults',
    commandTimeoutMs: 500,
    connectTimeoutMs: 500,
  });
  const tasks = new TaskvaultA2ATaskStore(store);
  const push = new TaskvaultA2APushNotificationStore(store);
  const alice = context('alice');
  const saved = task('t1', 'c1', TaskState.TASK_STATE_WORKING, '2026-01-01T00:00:00.000Z', {
    history: [message('m1', 'hello')],
  });
  await tasks.save(saved, alice);

  await server.kill();
  const started = Date.now();
  const failures = await Promise.all([
    tasks
      .save({ ...saved, history: [...saved.history, message('m2', 'more')] }, alice)
      .catch((e: unknown) => e),
    tasks.load('t1', alice).catch((e: unknown) => e),
    tasks.list(listRequest(), alice).catch((e: unknown) => e),
    push
      .save('t1', alice, {
        tenant: '',
        id: 'p1',
        taskId: 't1',
        url: 'http://127.0.0.1:9/',
        token: '',
        authentication: undefined,
      })
      .catch((e: unknown) => e),
  ]);
  for (const failure of failures) expect(isTaskStoreError(failure, 'BACKEND_UNAVAILABLE')).toBe(true);
  expect(Date.now() - started).toBeLessThan(10_000);

  await server.start();
  await expect
    .poll(() => tasks.load('t1', alice).catch(() => 'down'), { timeout: 10_000 })
    .toStrictEqual(saved);
  const grown = { ...saved, history: [...saved.history, message('m2', 'more')] };
  await tasks.save(grown, alice);
  expect(await tasks.load('t1', alice)).toStrictEqual(grown);
  expect((await tasks.list(listRequest(), alice)).totalSize).toBe(1);
  await store.close();
});
