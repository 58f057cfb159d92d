/** The `TaskStore` interface every backend implements. */
import type { ChangeStream, WatchFilter, WatchOptions } from './changes.js';
import type {
  AgentTask,
  CleanupOptions,
  HealthStatus,
  JsonObject,
  ListQuery,
  NewTask,
  PatchOptions,
  RestoreOptions,
  RestoreReport,
  TaskFilter,
  TaskPage,
  TaskPatch,
  UpdateOptions,
  VerifyOptions,
  VerifyReport,
} from './task.js';

/**
 * Persists agent tasks. Every method rejects with a `TaskStoreError` (never a raw driver error);
 * after `close()` every method but `close` rejects with `STORE_CLOSED`. Bad input rejects with
 * `INVALID_INPUT` naming the offending path, and changes nothing. `BACKEND_UNAVAILABLE` means
 * the server could not be reached in time; a write that failed that way may or may not have
 * been applied (never in part, never twice).
 */
export interface TaskStore<TData extends JsonObject = JsonObject> {
  /** `'memory'`, `'redis'`, `'postgres'`, or a custom backend's name. */
  readonly backend: string;

  /**
   * Stores a new task with version 1.
   * @throws TaskCreateError `TASK_EXISTS` if a live task has this id (nothing changes),
   *   `INVALID_INPUT` for input that would not come back deep-equal.
   */
  create(task: NewTask<TData>): Promise<AgentTask<TData>>;

  /** The task, or `null` if it does not exist or has expired. @throws TaskLoadError */
  load(taskId: string): Promise<AgentTask<TData> | null>;

  /**
   * Replaces status, sessionId, userId, items, data and expiresAt; returns the stored task with
   * version + 1 and a new updatedAt.
   * @throws TaskUpdateError `VERSION_CONFLICT` unless `force` when the stored version is not
   *   `task.version` (nothing changes); `TASK_NOT_FOUND` when the task does not exist.
   */
  update(task: AgentTask<TData>, opts?: UpdateOptions): Promise<AgentTask<TData>>;

  /**
   * Applies `changes` atomically on the server: `data` is merged shallowly, `appendItems` are
   * appended (concurrent appends never lose an item). With `expectedVersion`, a compare-and-set.
   * @throws TaskUpdateError `TASK_NOT_FOUND`, `VERSION_CONFLICT`, `INVALID_INPUT`.
   */
  patch(taskId: string, changes: TaskPatch<TData>, opts?: PatchOptions): Promise<AgentTask<TData>>;

  /** Deletes the task and its index entries. @throws TaskDeleteError `TASK_NOT_FOUND`. */
  delete(taskId: string): Promise<void>;

  /**
   * The task holding an item with this requestId; when several do, the earliest created
   * (ties: the smallest taskId in code point order). @throws TaskLoadError
   */
  loadByRequestId(requestId: string): Promise<AgentTask<TData> | null>;

  /**
   * One page of tasks, newest first unless `order: 'asc'`, by createdAt then taskId. Paging with
   * `nextCursor` never returns a task twice and never skips one that existed for the whole walk.
   * @throws TaskQueryError `INVALID_INPUT` for a malformed cursor or a limit outside 1..1000.
   */
  list(query?: ListQuery): Promise<TaskPage<TData>>;

  /** How many tasks match; agrees with `list` at rest. @throws TaskQueryError */
  count(filter?: TaskFilter): Promise<number>;

  /** How many tasks are pending, running or paused. @throws TaskQueryError */
  countActive(): Promise<number>;

  /**
   * Deletes tasks whose updatedAt is before the cutoff (active ones only with `includeActive`),
   * and every expired task, in bounded batches. Returns how many it removed.
   * @throws TaskQueryError
   */
  cleanup(opts: CleanupOptions): Promise<number>;

  /** Deletes every task of this store's namespace, and nothing else. Returns how many. */
  clear(): Promise<number>;

  /**
   * Walks the namespace in bounded batches (progress through `onProgress`) and reports tasks
   * missing from an index, index entries without a task, counts that disagree and unreadable
   * records. With `repair: true` it rebuilds the indexes from the tasks and moves corrupt
   * records aside; the report then says what it repaired. Safe while other writers run.
   * @throws TaskQueryError `INVALID_INPUT` for bad options; `BACKEND_UNAVAILABLE` (a repair that
   *   failed so may have fixed part of what it found — run it again).
   */
  verify(opts?: VerifyOptions): Promise<VerifyReport>;

  /**
   * Writes tasks exactly as given — createdAt, updatedAt, version and expiresAt kept — in batches
   * of `batchSize`, each task with its index entries in one server-side step: what imports,
   * copies between stores and backups use. Takes arrays, generators and async iterables (one
   * batch is held at a time). Tasks whose expiresAt has passed are counted, not written. A live
   * task with the same id is kept (`onConflict: 'skip'`), overwritten (`'replace'`), or stops
   * the restore (`'fail'`, the default); tasks before it stay written, so a restore re-run with
   * `'skip'` resumes where one stopped.
   * @throws TaskCreateError `INVALID_INPUT` naming `tasks[<index>].<field>` (nothing of that
   *   batch is written), `TASK_EXISTS` (with `'fail'`), `BACKEND_UNAVAILABLE`.
   */
  restore(
    tasks: Iterable<AgentTask<TData>> | AsyncIterable<AgentTask<TData>>,
    opts?: RestoreOptions,
  ): Promise<RestoreReport>;

  /**
   * Follows the namespace's change feed (SPEC "Changes"): every change of a write that resolved
   * after the watch began (`ready` says from where) — or after `opts.after`, a change id — is
   * delivered once, in version order per task; filtered like `list`, or to one `taskId`. The
   * iteration ends on `break`, on `opts.signal` and when the store closes.
   * @throws TaskStoreError `INVALID_INPUT` (synchronously) for a bad filter or option; from
   *   `next()`: `INVALID_INPUT` at `opts.after` for an id the feed no longer keeps (re-list, then
   *   watch from now), `BACKEND_UNAVAILABLE` (resume with `after` = the last id you got).
   */
  watch(filter?: WatchFilter, opts?: WatchOptions): ChangeStream;

  /** Pings the backend. Never throws for an unreachable server: returns `ok: false` and a `detail`. */
  healthCheck(): Promise<HealthStatus>;

  /** Releases what the store opened (never a client or pool the caller passed in). Idempotent. */
  close(): Promise<void>;

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The method names a `TaskStore` must have; the factory checks custom backends against it. */
export const TASK_STORE_METHODS = [
  'create',
  'load',
  'update',
  'patch',
  'delete',
  'loadByRequestId',
  'list',
  'count',
  'countActive',
  'cleanup',
  'clear',
  'verify',
  'restore',
  'watch',
  'healthCheck',
  'close',
] as const;
