import type { TaskStore } from '@taskvault/core';
import { RedisTaskStore } from '../../src/index.js';

/**
 * The conformance suite's `damage`: overwrites the stored task with text that is not a task
 * document (as a foreign writer or a storage fault would), through the store's own client, so it
 * works on a single node and on a cluster alike.
 */
export async function damageRedisTask(store: TaskStore, taskId: string): Promise<void> {
  if (!(store instanceof RedisTaskStore)) throw new Error('not a RedisTaskStore');
  await store.client.set(store.keyLayout.taskKey(taskId), '{"v":1 this is not a task');
}
