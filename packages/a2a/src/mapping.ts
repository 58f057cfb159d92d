/**
 * One A2A task as one taskvault task: `id` → `taskId`, `contextId` → `sessionId`, the owner →
 * `userId`, `status.state` → `status` (the exact state stays in `data`), each `history` message
 * → one item whose `requestId` is its `messageId`, everything else → `data.a2a`.
 */
import type { AgentTask, JsonObject, JsonValue, TaskItem, TaskItemRole, TaskStatus } from '@taskvault/core';
import { idProblem, type TaskStoreOperation } from '@taskvault/core/adapter';
import { decodeValue, encodeValue } from './codec.js';
import type { Task } from './sdk-types.js';

/**
 * taskvault's status for each A2A `TaskState` (by number, as the 1.x SDK's enum is). A2A has
 * more states than taskvault: both interrupted states are `paused`, `rejected` is `failed`, and
 * an unset or unknown state is `pending`. The exact state is kept in `data.a2a`.
 */
export const A2A_STATE_TO_STATUS: Readonly<Record<number, TaskStatus>> = Object.freeze({
  0: 'pending', // TASK_STATE_UNSPECIFIED
  1: 'pending', // TASK_STATE_SUBMITTED
  2: 'running', // TASK_STATE_WORKING
  3: 'completed', // TASK_STATE_COMPLETED
  4: 'failed', // TASK_STATE_FAILED
  5: 'cancelled', // TASK_STATE_CANCELED
  6: 'paused', // TASK_STATE_INPUT_REQUIRED
  7: 'failed', // TASK_STATE_REJECTED
  8: 'paused', // TASK_STATE_AUTH_REQUIRED
});

/** taskvault's status for an A2A state (`pending` for one it does not know). */
export function statusOfState(state: unknown): TaskStatus {
  return (typeof state === 'number' && A2A_STATE_TO_STATUS[state]) || 'pending';
}

/** What `data` holds for an A2A task. */
export interface A2ATaskData extends JsonObject {
  a2a: {
    /** Format of this record, for later changes. */
    format: 1;
    /** The task without `history`, encoded exactly. */
    task: JsonValue;
    /** How `history` was given when it was not an array (`absent`, or an encoded value). */
    history: 'items' | 'absent' | { value: JsonValue };
  };
}

/** An A2A task in taskvault's terms, ready for `create`, `update` or `patch`. */
export interface MappedTask {
  taskId: string;
  status: TaskStatus;
  sessionId: string | null;
  /** One encoded history message per item, in order; `requestId` and `content` fixed, `createdAt` left to the writer. */
  messages: { requestId: string; role: TaskItemRole; content: JsonValue }[];
  data: A2ATaskData;
}

/**
 * Maps `task` for writing.
 * @throws TaskStoreError `INVALID_INPUT` at `task.id` for an id taskvault cannot hold, or at the
 *   path of a value that cannot be stored.
 */
export function mapTask(task: Task, operation: TaskStoreOperation): MappedTask {
  const { history, ...head } = task as Task & Record<string, unknown>;
  const messages: MappedTask['messages'] = [];
  let historyForm: A2ATaskData['a2a']['history'];
  if (Array.isArray(history)) {
    historyForm = 'items';
    for (let i = 0; i < history.length; i++) {
      const message = history[i] as { messageId?: unknown; role?: unknown } | undefined;
      const messageId = message?.messageId;
      messages.push({
        // the message id is the request id, so loadByRequestId(messageId) finds the task
        requestId:
          typeof messageId === 'string' && idProblem(messageId) === null ? messageId : `a2a-history-${i}`,
        role: message?.role === 1 ? 'user' : 'assistant',
        content: encodeValue(message, `task.history[${i}]`, operation),
      });
    }
  } else if (Object.hasOwn(task, 'history')) {
    historyForm = { value: encodeValue(history, 'task.history', operation) };
  } else {
    historyForm = 'absent';
  }
  const contextId = task.contextId;
  return {
    taskId: task.id,
    status: statusOfState(task.status?.state),
    sessionId: typeof contextId === 'string' && idProblem(contextId) === null ? contextId : null,
    messages,
    data: { a2a: { format: 1, task: encodeValue(head, 'task', operation), history: historyForm } },
  };
}

/** True when a stored task was written by this package's task store. */
export function isA2ATask(stored: AgentTask): stored is AgentTask<A2ATaskData> {
  const a2a = stored.data.a2a;
  return typeof a2a === 'object' && a2a !== null && !Array.isArray(a2a) && a2a.format === 1;
}

/** The A2A task a stored one holds, deep-equal to the one saved. */
export function unmapTask(stored: AgentTask<A2ATaskData>): Task {
  const { task, history } = stored.data.a2a;
  const out = decodeValue(task) as Task & Record<string, unknown>;
  if (history === 'items') {
    out.history = stored.items.map((item: TaskItem) => decodeValue(item.content) as Task['history'][number]);
  } else if (history !== 'absent') {
    out.history = decodeValue(history.value) as Task['history'];
  }
  return out;
}
