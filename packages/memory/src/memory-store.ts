/**
 * The in-process store: the embedded default and the reference every other backend is
 * compared with. Each hook runs start to finish without awaiting, so each write (task and
 * every index entry) is one atomic step, as a server-side script or statement is elsewhere.
 */
import {
  ACTIVE_STATUSES,
  type AgentTask,
  type JsonObject,
  TASK_STATUSES,
  type TaskStoreError,
  TERMINAL_STATUSES,
} from '@taskvault/core';
import {
  type BaseStoreOptions,
  type CleanupRequest,
  copyTask,
  type NormalizedFilter,
  type NormalizedListQuery,
  type PatchRequest,
  type ReadChangesRequest,
  type ReplaceRequest,
  type RestoreBatchResult,
  type RestoreRequest,
  type StoredChange,
  type SweepBatchRequest,
  type SweepLeaseRequest,
  setOwnKey,
  TaskStoreBase,
  type TaskStoreOperation,
  taskStoreError,
  type VerifyRequest,
} from '@taskvault/core/adapter';
import type { TaskEntry } from './entry.js';
import { countEntries, listEntries } from './list-walk.js';
import type { NamespaceTable } from './namespace-table.js';
import { MemoryRegistry } from './registry.js';
import { patchedSize } from './task-size.js';
import { verifyTable } from './verify-walk.js';

/** Options of {@link MemoryTaskStore}. */
export interface MemoryTaskStoreOptions extends BaseStoreOptions {
  /**
   * Where the tasks live. Stores given the same registry share the tasks of each namespace;
   * without one, the store gets a private registry and its tasks are visible to it alone
   * (and dropped when it closes).
   */
  registry?: MemoryRegistry;
}

/**
 * Keeps tasks in this process's memory, with the same validation, errors and semantics as every
 * other backend. Tasks are stored as copies and every read returns a fresh copy, so mutating an
 * input or a returned task never changes what is stored. Nothing survives the process.
 */
export class MemoryTaskStore<TData extends JsonObject = JsonObject> extends TaskStoreBase<TData> {
  readonly backend = 'memory';
  /** Where this store's tasks live; pass it to another store to share them. */
  readonly registry: MemoryRegistry;
  readonly #table: NamespaceTable;
  readonly #ownsRegistry: boolean;
  /** How many tasks `cleanup` removes before it lets other calls run (a few ms of work). */
  protected readonly cleanupBatchSize: number = 10_000;

  /** @throws TaskStoreError `INVALID_INPUT` (operation `config`) for a bad namespace, ttlMs or maxTaskBytes. */
  constructor(options: MemoryTaskStoreOptions = {}) {
    super(options);
    if (options.registry !== undefined && !(options.registry instanceof MemoryRegistry)) {
      throw taskStoreError('config', 'CONFIG_INVALID', {
        path: 'registry',
        detail: 'must be a MemoryRegistry from @taskvault/memory',
      });
    }
    this.#ownsRegistry = options.registry === undefined;
    this.registry = options.registry ?? new MemoryRegistry();
    this.#table = this.registry.table(this.namespace);
    // one feed per namespace: it keeps changes as long as the longest-keeping store asks
    this.#table.feed.retainMs = Math.max(this.#table.feed.retainMs, this.changeFeedRetainMs);
  }

  #nowMs(): number {
    return this.now().getTime();
  }

  #liveUntil(task: AgentTask): number | null {
    return this.liveUntil(task.status, task.updatedAt.getTime(), task.expiresAt?.getTime() ?? null);
  }

  protected async insertTask(task: AgentTask, bytes: number): Promise<AgentTask> {
    if (this.#table.get(task.taskId, task.updatedAt.getTime()) !== undefined) {
      throw taskStoreError('create', 'TASK_EXISTS', { taskId: task.taskId });
    }
    // `task` is core's validated copy: nobody else holds it, so it is stored as it is.
    this.#table.insert(task, bytes, this.#liveUntil(task), this.#nowMs());
    return copyTask(task);
  }

  protected async readTask(taskId: string): Promise<AgentTask | null> {
    const entry = this.#table.get(taskId, this.#nowMs());
    if (entry === undefined) return null;
    if (entry.unreadable !== undefined) throw this.#corrupt('load', entry);
    return copyTask(entry.task);
  }

  protected async replaceTask(request: ReplaceRequest): Promise<AgentTask> {
    const { replacement, expectedVersion, now, bytes } = request;
    const entry = this.#writable('update', replacement.taskId, expectedVersion, now.getTime());
    const previous = entry.task;
    const task: AgentTask = {
      taskId: replacement.taskId,
      status: replacement.status,
      sessionId: replacement.sessionId,
      userId: replacement.userId,
      items: replacement.items,
      data: replacement.data,
      createdAt: previous.createdAt,
      updatedAt: laterOf(now, previous.updatedAt),
      expiresAt: replacement.expiresAt,
      version: previous.version + 1,
    };
    this.#table.replace(entry, task, bytes, this.#liveUntil(task), now.getTime());
    return copyTask(task);
  }

  protected async patchTask(request: PatchRequest): Promise<AgentTask> {
    const { taskId, patch, expectedVersion, now } = request;
    const entry = this.#writable('patch', taskId, expectedVersion, now.getTime());
    const previous = entry.task;
    let data = previous.data;
    if (patch.data !== undefined) {
      // Stored values are never mutated, so the new version may share the untouched ones.
      data = { ...previous.data };
      for (const key in patch.data) setOwnKey(data, key, patch.data[key]!);
    }
    const appended = patch.appendItems ?? [];
    const task: AgentTask = {
      taskId,
      status: patch.status ?? previous.status,
      sessionId: patch.sessionId === undefined ? previous.sessionId : patch.sessionId,
      userId: patch.userId === undefined ? previous.userId : patch.userId,
      // the stored array, which the appended items join below once the patch is known to apply:
      // a patch costs what it adds, not a copy of the task's items (nothing outside the table
      // holds the array, and every read copies)
      items: previous.items,
      data,
      createdAt: previous.createdAt,
      updatedAt: laterOf(now, previous.updatedAt),
      expiresAt: patch.expiresAt === undefined ? previous.expiresAt : patch.expiresAt,
      version: previous.version + 1,
    };
    const bytes = patchedSize(entry.bytes, previous, task, request.size);
    // Only a patch that grows the task is held to the limit: one near it can still shrink.
    if (bytes > this.maxTaskBytes && bytes > entry.bytes) {
      throw taskStoreError('patch', 'INVALID_INPUT', {
        taskId,
        path: 'task',
        detail: `serialized size ${bytes} bytes after this patch would exceed maxTaskBytes ${this.maxTaskBytes}; move large blobs out of the task`,
      });
    }
    // core's validated copies: nobody else holds them, so they are stored as they are
    const items = task.items;
    for (const item of appended) items.push(item);
    this.#table.patched(entry, task, bytes, appended, this.#liveUntil(task), now.getTime());
    return copyTask(task);
  }

  protected async deleteTask(taskId: string): Promise<void> {
    const entry = this.#table.get(taskId, this.#nowMs());
    if (entry === undefined) throw taskStoreError('delete', 'TASK_NOT_FOUND', { taskId });
    if (entry.unreadable !== undefined) throw this.#corrupt('delete', entry);
    this.#table.remove(entry, this.#nowMs());
  }

  protected async readByRequestId(requestId: string): Promise<AgentTask | null> {
    for (;;) {
      const entry = this.#table.earliestWithRequest(requestId, this.#nowMs());
      if (entry === undefined) return null;
      if (entry.unreadable === undefined) return copyTask(entry.task);
      // Moved aside and reported; the next holder answers.
      this.#corrupt('loadByRequestId', entry);
    }
  }

  protected async listTasks(query: NormalizedListQuery): Promise<AgentTask[]> {
    for (;;) {
      this.#table.purgeExpired(this.#nowMs());
      const entries = listEntries(
        this.#table,
        query.filter,
        query.order,
        query.after,
        query.offset,
        query.limit + 1,
      );
      const unreadable = entries.filter((entry) => entry.unreadable !== undefined);
      if (unreadable.length === 0) return entries.map((entry) => copyTask(entry.task));
      // Moved aside and reported; the page is read again without them.
      for (const entry of unreadable) this.#corrupt('list', entry);
    }
  }

  protected async countTasks(filter: NormalizedFilter): Promise<number> {
    this.#table.purgeExpired(this.#nowMs());
    return countEntries(this.#table, filter);
  }

  protected async countActiveTasks(): Promise<number> {
    this.#table.purgeExpired(this.#nowMs());
    let n = 0;
    for (const status of ACTIVE_STATUSES) n += this.#table.byStatus[status].size;
    return n;
  }

  protected async cleanupTasks(request: CleanupRequest): Promise<number> {
    const { cutoff, includeActive } = request;
    const table = this.#table;
    let removed = table.purgeExpired(request.now.getTime());
    if (removed > 0) request.onBatch(removed);
    const statuses = includeActive ? TASK_STATUSES : TERMINAL_STATUSES;
    const candidates: TaskEntry[] = [];
    for (const status of statuses) {
      for (const entry of table.byStatus[status].entries) {
        if (entry.task.updatedAt.getTime() < cutoff) candidates.push(entry);
      }
    }
    for (let start = 0; start < candidates.length; start += this.cleanupBatchSize) {
      // Let other calls run between batches; each candidate is checked again before it goes.
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = candidates.slice(start, start + this.cleanupBatchSize).filter((entry) => {
        const task = entry.task;
        return (
          entry.live &&
          task.updatedAt.getTime() < cutoff &&
          (includeActive || TERMINAL_STATUSES.includes(task.status))
        );
      });
      table.removeMany(batch, request.now.getTime(), 'deleted');
      removed += batch.length;
      request.onBatch(batch.length);
    }
    return removed;
  }

  protected async clearTasks(): Promise<number> {
    return this.#table.clear(this.#nowMs());
  }

  protected async restoreTasks(request: RestoreRequest): Promise<RestoreBatchResult> {
    const result: RestoreBatchResult = { restored: 0, replaced: 0, skipped: 0, conflict: null };
    const now = request.now.getTime();
    for (const { task, bytes } of request.tasks) {
      let existing = this.#table.get(task.taskId, now);
      if (existing?.unreadable !== undefined) {
        // An unreadable record is moved aside and reported, never overwritten: the restored copy takes its id.
        this.#corrupt('restore', existing);
        existing = undefined;
      }
      if (existing !== undefined) {
        if (request.onConflict === 'skip') {
          result.skipped++;
          continue;
        }
        if (request.onConflict === 'fail') {
          result.conflict = task.taskId;
          return result;
        }
        // A replacement may have another createdAt, so another place in the ordered indexes;
        // the feed records one `updated` for it, below.
        this.#table.remove(existing, now, null);
        result.replaced++;
      } else {
        result.restored++;
      }
      // `task` is core's validated copy: nobody else holds it, so it is stored as it is.
      this.#table.insert(
        task,
        bytes,
        this.#liveUntil(task),
        now,
        existing !== undefined ? 'updated' : 'created',
      );
    }
    return result;
  }

  protected async verifyTasks(request: VerifyRequest): Promise<void> {
    this.#table.purgeExpired(request.now.getTime());
    await verifyTable(this.#table, request, (entry) => this.#corrupt('verify', entry));
  }

  protected override async acquireSweepLease(request: SweepLeaseRequest): Promise<number | null> {
    const table = this.#table;
    const now = Date.now();
    const lease = table.sweepLease;
    if (lease !== null && lease.holder !== request.holder && lease.until > now) return null;
    const token = lease !== null && lease.holder === request.holder ? lease.token : ++table.sweepTokens;
    table.sweepLease = { holder: request.holder, token, until: now + request.leaseMs };
    return token;
  }

  protected override async sweepDeadTasks(request: SweepBatchRequest): Promise<number | null> {
    const lease = this.#table.sweepLease;
    if (lease === null || lease.token !== request.token) return null;
    // Reads remove the dead tasks they meet before any sweep: report those with this batch.
    const table = this.#table;
    table.purgeExpired(request.now.getTime(), request.limit);
    const removed = table.expiredRemoved - table.expiredReported;
    table.expiredReported = table.expiredRemoved;
    return removed;
  }

  protected override async releaseSweepLease(request: { holder: string; token: number }): Promise<void> {
    const lease = this.#table.sweepLease;
    if (lease !== null && lease.token === request.token) this.#table.sweepLease = null;
  }

  protected override async feedEnd(): Promise<string> {
    return this.#table.feed.end();
  }

  protected override async readChanges(request: ReadChangesRequest): Promise<StoredChange[]> {
    const feed = this.#table.feed;
    this.#table.purgeExpired(this.#nowMs()); // what expired by now is an `expired` change now
    const changes = feed.read(request.after, request.limit);
    if (changes.length > 0) return changes;
    await feed.waitAfter(request.after, request.waitMs, request.signal);
    this.#table.purgeExpired(this.#nowMs());
    return feed.read(request.after, request.limit);
  }

  protected async ping(): Promise<void> {}

  protected async closeBackend(): Promise<void> {
    // A private registry is unreachable once the store is closed: free its memory now.
    // A registry the caller passed in is theirs: other stores may still use it.
    if (this.#ownsRegistry) this.#table.clear(this.#nowMs(), false);
  }

  protected wrapError(operation: TaskStoreOperation, error: unknown, taskId?: string): TaskStoreError {
    // Nothing here talks to a server, so anything thrown is a bug; report it, never hide it.
    return taskStoreError(operation, 'BACKEND_ERROR', {
      backend: 'memory',
      taskId,
      detail: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }

  /** Moves an unreadable entry aside, reports it, and returns the CORRUPT_DATA error for it. */
  #corrupt(operation: TaskStoreOperation, entry: TaskEntry): TaskStoreError {
    const detail = entry.unreadable ?? 'unreadable';
    const movedTo = this.#table.moveAside(entry, this.#nowMs());
    this.reportCorrupt(operation, entry.taskId, detail, `quarantine ${JSON.stringify(movedTo)}`);
    return taskStoreError(operation, 'CORRUPT_DATA', { taskId: entry.taskId, detail });
  }

  /** The entry a write may change, or the TASK_NOT_FOUND / VERSION_CONFLICT error. */
  #writable(
    operation: 'update' | 'patch',
    taskId: string,
    expectedVersion: number | null,
    now: number,
  ): TaskEntry {
    const entry = this.#table.get(taskId, now);
    if (entry === undefined) throw taskStoreError(operation, 'TASK_NOT_FOUND', { taskId });
    if (entry.unreadable !== undefined) throw this.#corrupt(operation, entry);
    const actualVersion = entry.task.version;
    if (expectedVersion !== null && actualVersion !== expectedVersion) {
      throw taskStoreError(operation, 'VERSION_CONFLICT', { taskId, expectedVersion, actualVersion });
    }
    return entry;
  }
}

/** `now`, or `previous` if the clock stepped back: updatedAt never goes backwards. */
function laterOf(now: Date, previous: Date): Date {
  return new Date(Math.max(now.getTime(), previous.getTime()));
}
