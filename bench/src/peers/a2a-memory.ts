/**
 * `@a2a-js/sdk`'s `InMemoryTaskStore`: the agent task as an A2A `Task` (the items as its history of
 * messages, the application data as its metadata), saved and loaded as an A2A server does.
 */
import { type Message, type Part, Role, type Task, TaskState } from '@a2a-js/sdk';
import { InMemoryTaskStore, ServerCallContext } from '@a2a-js/sdk/server';
import type { TaskItem } from '@taskvault/core';
import { peerDocument, peerSession } from './fixtures.js';
import type { Peer } from './types.js';

function partOf(content: TaskItem['content']): Part {
  return typeof content === 'string'
    ? {
        content: { $case: 'text', value: content },
        metadata: undefined,
        filename: '',
        mediaType: 'text/plain',
      }
    : {
        content: { $case: 'data', value: content },
        metadata: undefined,
        filename: '',
        mediaType: 'application/json',
      };
}

/** The document as an A2A task carrying the same content. */
export function a2aTask(): Task {
  const doc = peerDocument('peer');
  const contextId = doc.sessionId ?? 'session';
  const history = doc.items.map(
    (item, i): Message => ({
      messageId: `${item.requestId}:${i}`,
      contextId,
      taskId: doc.taskId,
      role: item.role === 'user' ? Role.ROLE_USER : Role.ROLE_AGENT,
      parts: [partOf(item.content)],
      metadata: { requestId: item.requestId, role: item.role, createdAt: item.createdAt.toISOString() },
      extensions: [],
      referenceTaskIds: [],
    }),
  );
  return {
    id: doc.taskId,
    contextId,
    status: {
      state: TaskState.TASK_STATE_WORKING,
      message: undefined,
      timestamp: doc.updatedAt.toISOString(),
    },
    artifacts: [],
    history,
    metadata: { ...doc.data, userId: doc.userId, version: doc.version },
  };
}

export const a2aMemory: Peer = {
  backend: 'memory',
  label: '@a2a-js/sdk 1.3.0 InMemoryTaskStore',
  slug: 'a2a',
  calls: {
    create: 'store.save(task) (structuredClone into a Map)',
    load: 'store.load(id) (structuredClone out)',
    update: 'store.save(task)',
  },
  open: async ({ maxConcurrency }) => {
    const store = new InMemoryTaskStore();
    const context = new ServerCallContext();
    const task = a2aTask();
    const save = (id: string) => store.save({ ...task, id }, context);
    return peerSession(
      { insert: save, read: (id) => store.load(id, context), write: save },
      maxConcurrency,
      async () => undefined,
    );
  },
};
