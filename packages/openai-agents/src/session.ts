/**
 * `TaskvaultSession`: the OpenAI Agents SDK's `Session` on any taskvault store, one task per
 * session. Appends are the store's atomic `appendItems`; every other change is a
 * compare-and-set on the task's version, retried a bounded number of times.
 */
import { randomUUID } from 'node:crypto';
import {
  type AgentInputItem,
  applySessionHistoryMutations,
  type RunContext,
  type Session,
  type SessionHistoryRewriteArgs,
} from '@openai/agents-core';
import { type AgentTask, isTaskStoreError, type TaskItem, type TaskStore } from '@taskvault/core';
import {
  CONTENDED,
  checkId,
  contended,
  idProblem,
  retryWhileContended,
  taskStoreError,
} from '@taskvault/core/adapter';
import {
  type AppliedOperation,
  alreadyApplied,
  appliedOperations,
  checkTransaction,
  type HistoryTransactionArgs,
  OPERATIONS_KEY,
  suffixStart,
  withOperation,
} from './history-transaction.js';
import { fromTaskItem, toTaskItems } from './items.js';

/** What a history change leaves: the first `keep` stored items, then `append`; and the new record. */
interface HistoryChange {
  keep: number;
  append: TaskItem[];
  record?: AppliedOperation[];
}

/** The prefix of a session's taskId unless `taskIdPrefix` says otherwise. */
export const DEFAULT_TASK_ID_PREFIX = 'openai-agents:';

/** Options of {@link TaskvaultSession}. */
export interface TaskvaultSessionOptions {
  /** The session's id; default a random UUID. Its task is `taskIdPrefix + sessionId`. */
  sessionId?: string;
  /** Default {@link DEFAULT_TASK_ID_PREFIX}; `''` makes the taskId the session id itself. */
  taskIdPrefix?: string;
  /**
   * The `userId` of the session's task when a write creates it, so `store.list({ userId })`
   * finds a user's sessions: a fixed id, or a function of the run's context (the runner passes
   * it from `@openai/agents-core` 0.15 on; on 0.14 the function receives `undefined`).
   */
  userId?: string | null | ((runContext: RunContext<unknown> | undefined) => string | null | undefined);
  /** How many times a change contended by other writers is tried; default 64. */
  maxAttempts?: number;
  /** How many applied `operationId`s the task remembers, newest kept; default 128. */
  operationsKept?: number;
}

/**
 * A durable, concurrency-safe conversation history for `run(agent, input, { session })`.
 *
 * Every process that builds a `TaskvaultSession` with the same `sessionId` on the same store
 * (same backend and namespace) sees and changes the same history. Items come back deep-equal
 * to what was added (properties whose value is `undefined` are dropped, as JSON does).
 *
 * Errors are taskvault's: bad input is `INVALID_INPUT` naming the path, an unreachable backend
 * `BACKEND_UNAVAILABLE` (the change may or may not have been applied; see
 * {@link TaskvaultSession.applyHistoryTransaction} for the retry-safe way to write).
 */
export class TaskvaultSession implements Session {
  /** Tells `@openai/agents-core` 0.15+ to pass the run context to every history method. */
  readonly acceptsRunContext = true as const;
  /** The session's id. */
  readonly sessionId: string;
  /** The taskId of the task that holds this session. */
  readonly taskId: string;
  readonly #store: TaskStore;
  readonly #userId: NonNullable<TaskvaultSessionOptions['userId']> | null;
  readonly #maxAttempts: number;
  readonly #operationsKept: number;

  /**
   * @throws TaskStoreConfigError `CONFIG_INVALID` for a bad option (an id taskvault cannot
   * store, a count that is not a positive integer).
   */
  constructor(store: TaskStore, options: TaskvaultSessionOptions = {}) {
    this.#store = store;
    this.sessionId = configId('sessionId', options.sessionId ?? randomUUID());
    const prefix = options.taskIdPrefix ?? DEFAULT_TASK_ID_PREFIX;
    if (prefix !== '') configId('taskIdPrefix', prefix);
    // a valid prefix and session id can still make a taskId over the length limit
    this.taskId = configId('sessionId', prefix + this.sessionId);
    this.#userId = options.userId ?? null;
    if (typeof this.#userId === 'string') configId('userId', this.#userId);
    this.#maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 64);
    this.#operationsKept = positiveInteger('operationsKept', options.operationsKept ?? 128);
  }

  /** The session's id. Never touches the store. */
  async getSessionId(): Promise<string> {
    return this.sessionId;
  }

  /**
   * The last `limit` items in the order they were added; all of them when `limit` is
   * `undefined`, none when it is 0 or less. A session never written has no items.
   *
   * @throws TaskLoadError `INVALID_INPUT` (path `limit`) when `limit` is not an integer.
   */
  async getItems(limit?: number, _runContext?: RunContext<unknown>): Promise<AgentInputItem[]> {
    if (limit !== undefined && !Number.isInteger(limit)) {
      throw taskStoreError('load', 'INVALID_INPUT', {
        path: 'limit',
        detail: 'must be an integer or undefined',
      });
    }
    if (limit !== undefined && limit <= 0) return [];
    const items = (await this.#store.load(this.taskId))?.items ?? [];
    return (limit === undefined ? items : items.slice(-limit)).map(fromTaskItem);
  }

  /**
   * Appends `items` atomically, after every item already there: concurrent `addItems` calls
   * never lose an item. Creates the session's task on the first write.
   *
   * @throws TaskUpdateError `INVALID_INPUT` (path `items[i]...`) when an item is not plain JSON;
   * nothing is stored then.
   */
  async addItems(items: AgentInputItem[], runContext?: RunContext<unknown>): Promise<void> {
    const stored = toTaskItems(items, 'items', 'patch');
    if (stored.length === 0) return;
    await this.#retry(async () => {
      const appended = await this.#store.patch(this.taskId, { appendItems: stored }).catch(contended);
      if (appended !== CONTENDED) return;
      return this.#create(stored, {}, runContext);
    });
  }

  /**
   * Removes the last item and returns it, or `undefined` when there is none. Atomic: two
   * concurrent pops (from any processes) never return the same item.
   */
  async popItem(_runContext?: RunContext<unknown>): Promise<AgentInputItem | undefined> {
    return this.#retry(async () => {
      const task = await this.#store.load(this.taskId);
      const last = task?.items.at(-1);
      if (task == null || last === undefined) return undefined;
      const written = await this.#store.update({ ...task, items: task.items.slice(0, -1) }).catch(contended);
      return written === CONTENDED ? CONTENDED : fromTaskItem(last);
    });
  }

  /**
   * Removes every item and the record of applied operations: the session's task is deleted.
   * Clearing a session that holds nothing does nothing.
   */
  async clearSession(_runContext?: RunContext<unknown>): Promise<void> {
    try {
      await this.#store.delete(this.taskId);
    } catch (error) {
      if (!isTaskStoreError(error, 'TASK_NOT_FOUND')) throw error;
    }
  }

  /**
   * Replaces the whole history with `items` (a compaction item and the suffix it keeps) in one
   * write, keeping the session's id and its record of applied operations.
   *
   * @throws TaskUpdateError `INVALID_INPUT` when an item is not plain JSON.
   */
  async replaceHistoryWithCompaction(
    items: AgentInputItem[],
    runContext?: RunContext<unknown>,
  ): Promise<void> {
    const stored = toTaskItems(items, 'items', 'update');
    await this.#change(runContext, () => ({ keep: 0, append: stored }));
  }

  /**
   * Applies the SDK's history rewrites (`replace_function_call`) to the stored history, with
   * the SDK's own semantics, in one compare-and-set.
   */
  async applyHistoryMutations(args: SessionHistoryRewriteArgs): Promise<void> {
    if (args.mutations.length === 0) return;
    await this.#change(undefined, (task) => {
      const current = (task?.items ?? []).map(fromTaskItem);
      const rewritten = applySessionHistoryMutations(current, args.mutations);
      return { keep: 0, append: toTaskItems(rewritten, 'items', 'update') };
    });
  }

  /**
   * Applies an `append_items` or `replace_suffix` transaction atomically and at most once per
   * `operationId`: the change and the id are written in the same compare-and-set, so a retry
   * after a lost reply (`BACKEND_UNAVAILABLE`) finds the id and returns without applying it
   * again. The newest `operationsKept` ids are remembered; `clearSession` forgets them.
   *
   * @throws TaskUpdateError `INVALID_INPUT` — bad arguments (path names the field); the id was
   * applied with a different transaction (path `operationId`); the history no longer ends with
   * `expectedSuffix` (path `transaction.expectedSuffix`). History is unchanged in each case.
   */
  async applyHistoryTransaction(
    args: HistoryTransactionArgs,
    runContext?: RunContext<unknown>,
  ): Promise<void> {
    const tx = checkTransaction(args);
    await this.#change(runContext, (task, record) => {
      if (alreadyApplied(record, tx)) return null;
      const current = task?.items ?? [];
      const keep = tx.type === 'replace_suffix' ? suffixStart(current, tx) : current.length;
      const path = tx.type === 'replace_suffix' ? 'transaction.replacement' : 'transaction.items';
      return {
        keep,
        append: toTaskItems(tx.items, path, 'update'),
        record: withOperation(record, tx, this.#operationsKept),
      };
    });
  }

  /**
   * One compare-and-set of the session's task: `next` sees the task as read (null when absent)
   * and its applied-operations record, and says what the history becomes — the first `keep`
   * items, then `append` — and the new record; or null for "nothing to do". A change that keeps
   * every item is a `patch` (`appendItems` with `expectedVersion`, no rewrite of the history);
   * any other an `update`. Retried from the read whenever another writer got in between.
   */
  async #change(
    runContext: RunContext<unknown> | undefined,
    next: (task: AgentTask | null, record: AppliedOperation[]) => HistoryChange | null,
  ): Promise<void> {
    await this.#retry(async () => {
      const task = await this.#store.load(this.taskId);
      const change = next(task, appliedOperations(task?.data));
      if (change === null) return;
      const { keep, append, record } = change;
      const data = record === undefined ? {} : { [OPERATIONS_KEY]: record };
      if (task === null) {
        const empty = append.length === 0 && record === undefined;
        return empty ? undefined : this.#create(append, data, runContext);
      }
      const written = await (keep === task.items.length
        ? this.#store.patch(this.taskId, { appendItems: append, data }, { expectedVersion: task.version })
        : this.#store.update({
            ...task,
            items: [...task.items.slice(0, keep), ...append],
            data: { ...task.data, ...data },
          })
      ).catch(contended);
      return written === CONTENDED ? CONTENDED : undefined;
    });
  }

  async #create(
    items: TaskItem[],
    data: { [OPERATIONS_KEY]?: AppliedOperation[] },
    runContext: RunContext<unknown> | undefined,
  ): Promise<undefined | typeof CONTENDED> {
    const created = await this.#store
      .create({
        taskId: this.taskId,
        sessionId: this.sessionId,
        userId: this.#resolveUserId(runContext),
        status: 'running',
        items,
        data: data as { [key: string]: AppliedOperation[] },
      })
      .catch(contended);
    return created === CONTENDED ? CONTENDED : undefined;
  }

  #resolveUserId(runContext: RunContext<unknown> | undefined): string | null {
    const userId = typeof this.#userId === 'function' ? (this.#userId(runContext) ?? null) : this.#userId;
    return userId === null ? null : checkId('create', 'userId', userId);
  }

  #retry<T>(attempt: () => Promise<T | typeof CONTENDED>): Promise<T> {
    return retryWhileContended(this.#maxAttempts, attempt, () =>
      taskStoreError('update', 'VERSION_CONFLICT', { taskId: this.taskId }),
    );
  }
}

function configId(path: string, value: string): string {
  const problem = idProblem(value);
  if (problem !== null)
    throw taskStoreError('config', 'CONFIG_INVALID', { path, detail: `the id ${problem}` });
  return value;
}

function positiveInteger(path: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw taskStoreError('config', 'CONFIG_INVALID', { path, detail: 'must be a positive integer' });
  }
  return value;
}
