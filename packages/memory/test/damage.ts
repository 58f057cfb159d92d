import type { TaskStore } from '@taskvault/core';
import { MemoryTaskStore } from '../src/index.js';

/** The conformance suite's `damage`: marks the stored task unreadable, as a storage fault would. */
export async function damageMemoryTask(store: TaskStore, taskId: string): Promise<void> {
  if (!(store instanceof MemoryTaskStore)) throw new Error('not a MemoryTaskStore');
  store.registry.table(store.namespace).damage(taskId);
}
