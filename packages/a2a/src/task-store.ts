/** `TaskvaultA2ATaskStore`: the A2A SDK's `TaskStore` on a taskvault store. */
import { resolveUserScope } from '@a2a-js/sdk/server';
import type { AgentTask, TaskItem, TaskStore } from '@taskvault/core';
import {
  type CONTENDED,
  contended,
  idProblem,
  retryWhileContended,
  taskStoreError,
} from '@taskvault/core/adapter';
import { pageOf } from './list.js';
import {
  type A2ATaskData,
  isA2ATask,
  type MappedTask,
  mapTask,
  statusOfState,
  unmapTask,
} from './mapping.js';
import { PUSH_TASK_PREFIX } from './push-store.js';
import { maxAttemptsOption, type ScopeOptions, Scopes } from './scope.js';
import type {
  A2ATaskStore,
  ListTasksRequest,
  ListTasksResponse,
  ServerCallContext,
  Task,
} from './sdk-types.js';

/** Options of {@link TaskvaultA2ATaskStore}. */
export interface TaskvaultA2ATaskStoreOptions extends ScopeOptions {
  /** How often a `save` that keeps losing races is tried before it fails with `VERSION_CONFLICT`. Default 64. */
  maxAttempts?: number;
}

/** Tasks read per `list` call to the taskvault store. */
const LIST_BATCH = 1000;

/**
 * The A2A SDK's `TaskStore` on any taskvault store: pass it to `DefaultRequestHandler` and tasks
 * survive restarts and are shared by every server on the same store.
 *
 * It answers like the SDK's `InMemoryTaskStore`, result for result: `load` returns a task
 * deep-equal to the one saved; `list` filters, sorts, counts and pages the same way, with the
 * same page tokens. Each call is scoped to its tenant (one taskvault store per tenant, see
 * `tenantStore`) and owner (the task's `userId`): a caller never loads, lists or overwrites
 * another owner's task. A task id is unique within a tenant: saving a task whose id another
 * owner already holds is rejected instead of starting a second task under the same id.
 *
 * `save` never loses an update: it writes only over the version it read (compare-and-set,
 * retried when another writer got there first), so two racing saves both land, in order, and
 * the stored task is always one of them whole. History that grew is appended (`appendItems`),
 * not rewritten; each message is an item whose `requestId` is its `messageId`, so
 * `store.loadByRequestId(messageId)` finds the task.
 *
 * Every failure is a taskvault `TaskStoreError` (`BACKEND_UNAVAILABLE` when the store cannot be
 * reached, `INVALID_INPUT` for an id or value taskvault cannot hold); the request handler turns
 * it into an internal error for the client.
 */
export class TaskvaultA2ATaskStore implements A2ATaskStore {
  readonly #scopes: Scopes;
  readonly #maxAttempts: number;

  /**
   * @param store The store of calls without a tenant; it stays the caller's to close.
   * @throws TaskStoreError `CONFIG_INVALID` for a bad option.
   */
  constructor(store: TaskStore, options: TaskvaultA2ATaskStoreOptions = {}) {
    this.#scopes = new Scopes(store, options, resolveUserScope);
    this.#maxAttempts = maxAttemptsOption(options.maxAttempts);
  }

  /**
   * Saves `task` over any stored task with its id (the caller's own), like the SDK's stores.
   * @throws TaskStoreError `INVALID_INPUT` at `task.id` for an id taskvault cannot hold or another
   *   owner's id, at the path of a value that cannot be stored; `VERSION_CONFLICT` when
   *   `maxAttempts` writers in a row got there first; `BACKEND_UNAVAILABLE`.
   */
  async save(task: Task, context: ServerCallContext): Promise<void> {
    const problem = idProblem(task?.id);
    if (problem !== null) {
      throw taskStoreError('update', 'INVALID_INPUT', { path: 'task.id', detail: `the task id ${problem}` });
    }
    if (task.id.startsWith(PUSH_TASK_PREFIX)) {
      throw taskStoreError('update', 'INVALID_INPUT', {
        path: 'task.id',
        detail: `ids starting with ${JSON.stringify(PUSH_TASK_PREFIX)} hold push notification configs`,
      });
    }
    const mapped = mapTask(task, 'update');
    const scope = await this.#scopes.resolve(context, 'update');
    try {
      await retryWhileContended(
        this.#maxAttempts,
        () => saveOnce(scope.store, scope.owner, mapped),
        () => taskStoreError('update', 'VERSION_CONFLICT', { taskId: task.id }),
      );
    } finally {
      scope.release();
    }
  }

  /** The caller's task with this id, deep-equal to the one saved; `undefined` when there is none. */
  async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    if (idProblem(taskId) !== null || taskId.startsWith(PUSH_TASK_PREFIX)) return undefined;
    const scope = await this.#scopes.resolve(context, 'load');
    try {
      const stored = await scope.store.load(taskId);
      if (stored === null || stored.userId !== scope.owner || !isA2ATask(stored)) return undefined;
      return unmapTask(stored);
    } finally {
      scope.release();
    }
  }

  /**
   * The caller's tasks, filtered, sorted and paged as `InMemoryTaskStore` does. It reads every
   * task of the caller in the tenant that matches `contextId` and `status` (those two filters
   * run in the taskvault store), as the SDK's order — by status timestamp — is not one a
   * taskvault index keeps; the cost grows with the caller's task count.
   * @throws RequestMalformedError (the SDK's) for a malformed `pageToken`; TaskStoreError.
   */
  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const scope = await this.#scopes.resolve(context, 'list');
    try {
      const filter: { userId: string; sessionId?: string; status?: AgentTask['status'] } = {
        userId: scope.owner,
      };
      if (params.contextId && idProblem(params.contextId) === null) filter.sessionId = params.contextId;
      if (params.status !== undefined && params.status !== 0) filter.status = statusOfState(params.status);
      const tasks: Task[] = [];
      let cursor: string | undefined;
      do {
        const page = await scope.store.list({
          ...filter,
          order: 'asc',
          limit: LIST_BATCH,
          ...(cursor === undefined ? {} : { cursor }),
        });
        for (const stored of page.tasks) if (isA2ATask(stored)) tasks.push(unmapTask(stored));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      return pageOf(tasks, params);
    } finally {
      scope.release();
    }
  }

  /** Closes the tenant stores this opened (never the store given to the constructor). */
  async close(): Promise<void> {
    await this.#scopes.close();
  }
}

/** One attempt of `save`: create, append to, or replace the stored task, over the version read. */
async function saveOnce(
  store: TaskStore,
  owner: string,
  mapped: MappedTask,
): Promise<true | typeof CONTENDED> {
  const stored = await store.load(mapped.taskId);
  const now = new Date();
  const items = (from: number): TaskItem[] =>
    mapped.messages.slice(from).map((message) => ({ ...message, createdAt: now }));
  try {
    if (stored === null) {
      await store.create({
        taskId: mapped.taskId,
        status: mapped.status,
        sessionId: mapped.sessionId,
        userId: owner,
        items: items(0),
        data: mapped.data,
      });
      return true;
    }
    if (stored.userId !== owner || !isA2ATask(stored)) {
      throw taskStoreError('update', 'INVALID_INPUT', {
        path: 'task.id',
        taskId: mapped.taskId,
        detail: 'another owner (or another application) holds a task with this id in this tenant',
      });
    }
    const kept = sharedPrefix(stored, mapped);
    if (kept === stored.items.length) {
      // history only grew (the usual case): append the new messages
      const appendItems = items(kept);
      await store.patch(
        mapped.taskId,
        {
          status: mapped.status,
          sessionId: mapped.sessionId,
          data: mapped.data as Partial<A2ATaskData>,
          ...(appendItems.length > 0 ? { appendItems } : {}),
        },
        { expectedVersion: stored.version },
      );
      return true;
    }
    // history was rewritten or cut: replace it, keeping the items that did not change
    await store.update({
      ...stored,
      status: mapped.status,
      sessionId: mapped.sessionId,
      items: [...stored.items.slice(0, kept), ...items(kept)],
      data: mapped.data,
    });
    return true;
  } catch (error) {
    return contended(error);
  }
}

/** How many leading stored items are the task's first history messages, unchanged. */
function sharedPrefix(stored: AgentTask, mapped: MappedTask): number {
  const limit = Math.min(stored.items.length, mapped.messages.length);
  let n = 0;
  while (n < limit) {
    const item = stored.items[n] as TaskItem;
    const message = mapped.messages[n] as MappedTask['messages'][number];
    if (item.requestId !== message.requestId || !sameJson(item.content, message.content)) break;
    n++;
  }
  return n;
}

/** Deep equality of two JSON values, ignoring key order (PostgreSQL's jsonb does not keep it). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((value, i) => sameJson(value, b[i]));
  }
  if (Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every(
    (key) =>
      Object.hasOwn(b, key) &&
      sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}
