/**
 * The part of every store that does not depend on the backend: closed-state checks, input
 * validation, defaults, cursors, error wrapping and health timing. An adapter extends it and
 * implements the `protected abstract` hooks, each of which is one server-side step.
 */

import {
  type ChangeStream,
  type ReadChangesRequest,
  type StoredChange,
  validateWatchFilter,
  validateWatchOptions,
  type WatchFilter,
  type WatchOptions,
} from './changes.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { MAX_TTL_MS } from './duration.js';
import {
  isTaskStoreError,
  scrubSecrets,
  type TaskStoreError,
  type TaskStoreOperation,
  taskStoreError,
} from './errors.js';
import { followChanges } from './follow.js';
import type {
  CleanupRequest,
  PatchRequest,
  ReplaceRequest,
  RestoreBatchResult,
  RestoreRequest,
  SweepBatchRequest,
  SweepLeaseRequest,
  VerifyRequest,
} from './hook-requests.js';
import { batchesOf, validateRestoredTask, validateRestoreOptions } from './restore.js';
import { checkRetention, liveUntil, type RetentionPolicy } from './retention.js';
import type { TaskStore } from './store.js';
import {
  type BaseStoreOptions,
  checkNamespace,
  configInvalid,
  DEFAULT_FEED_RETAIN_MS,
} from './store-options.js';
import { checkSweep, type SweepEvent, Sweeper, type SweepProgress, type SweepStatus } from './sweeper.js';
import {
  type AgentTask,
  type CleanupOptions,
  type CorruptRecordReport,
  DEFAULT_MAX_TASK_BYTES,
  type HealthStatus,
  type JsonObject,
  type ListQuery,
  type NewTask,
  type PatchOptions,
  type RestoreOptions,
  type RestoreReport,
  type TaskFilter,
  type TaskPage,
  type TaskPatch,
  type UpdateOptions,
  type VerifyOptions,
  type VerifyReport,
} from './task.js';
import { telemetryProviders } from './telemetry/api.js';
import { StoreInstruments } from './telemetry/instruments.js';
import { observeOperations } from './telemetry/observe.js';
import {
  checkId,
  invalidInput,
  MAX_DATE_MS,
  validateNewTask,
  validatePatch,
  validateReplacement,
} from './validate.js';
import {
  type NormalizedFilter,
  type NormalizedListQuery,
  validateCleanup,
  validateFilter,
  validateListQuery,
} from './validate-query.js';
import { VerifyCollector, validateVerifyOptions } from './verify.js';

/**
 * Base class of the bundled stores, exported so custom backends get the same validation and
 * error behaviour by implementing a dozen small hooks.
 */
export abstract class TaskStoreBase<TData extends JsonObject = JsonObject> implements TaskStore<TData> {
  abstract readonly backend: string;
  /** The namespace this store reads and writes. */
  readonly namespace: string;
  /** Default TTL of new tasks in ms, or `null`. */
  readonly ttlMs: number | null;
  /** Largest serialized task accepted. */
  readonly maxTaskBytes: number;
  #closed = false;
  #closing: Promise<void> | null = null;
  readonly #onCorrupt: (report: CorruptRecordReport) => void;
  readonly #instruments: StoreInstruments | null;
  /** The retention policy (SPEC "Retention"), or null when terminal tasks are kept. */
  readonly retention: RetentionPolicy | null;
  readonly #onSweep: ((event: SweepEvent) => void) | null;
  readonly #sweeper: Sweeper | null;
  /** How long the change feed keeps changes, ms. */
  protected readonly changeFeedRetainMs: number;
  /** Aborted at close: ends every live watch. */
  readonly #watching = new AbortController();

  protected constructor(options: BaseStoreOptions = {}) {
    this.namespace = checkNamespace(options.namespace ?? 'default');
    const ttl = options.ttlMs ?? null;
    if (ttl !== null && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0)) {
      throw configInvalid('ttlMs', 'must be a positive number of milliseconds, or null for none');
    }
    if (ttl !== null && (ttl > MAX_TTL_MS || Date.now() + ttl > MAX_DATE_MS)) {
      throw configInvalid(
        'ttlMs',
        `must be at most ${MAX_TTL_MS} ms (1000 years), so expiry stays within year 9999`,
      );
    }
    this.ttlMs = ttl;
    if (options.onCorrupt !== undefined && typeof options.onCorrupt !== 'function') {
      throw configInvalid('onCorrupt', 'must be a function');
    }
    this.#onCorrupt = options.onCorrupt ?? warnCorrupt;
    const max = options.maxTaskBytes ?? DEFAULT_MAX_TASK_BYTES;
    if (!Number.isSafeInteger(max) || max < 1024)
      throw configInvalid('maxTaskBytes', 'must be an integer >= 1024');
    this.maxTaskBytes = max;
    const telemetry = options.telemetry;
    if (
      telemetry !== undefined &&
      typeof telemetry !== 'boolean' &&
      (typeof telemetry !== 'object' || telemetry === null)
    )
      throw configInvalid('telemetry', 'must be true, false, or { tracerProvider?, meterProvider? }');
    this.retention = checkRetention(options.retention);
    const feed = options.changeFeed ?? {};
    if (typeof feed !== 'object' || feed === null) throw configInvalid('changeFeed', 'must be { retainMs? }');
    const retainMs = feed.retainMs ?? DEFAULT_FEED_RETAIN_MS;
    if (!Number.isSafeInteger(retainMs) || retainMs < 1)
      throw configInvalid('changeFeed.retainMs', 'must be a positive integer of milliseconds');
    this.changeFeedRetainMs = retainMs;
    if (options.onSweep !== undefined && typeof options.onSweep !== 'function')
      throw configInvalid('onSweep', 'must be a function');
    this.#onSweep = options.onSweep ?? null;
    const sweep = checkSweep(options.sweep, this.retention !== null || this.ttlMs !== null);
    this.#sweeper =
      sweep !== null && this.acquireSweepLease !== undefined && this.sweepDeadTasks !== undefined
        ? new Sweeper(sweep, {
            acquire: (holder, leaseMs) =>
              this.run('cleanup', undefined, () => this.acquireSweepLease!({ holder, leaseMs })),
            sweepBatch: (holder, token, limit) =>
              this.run('cleanup', undefined, () =>
                this.sweepDeadTasks!({ holder, token, limit, now: this.now() }),
              ),
            // at close: the store is closed already, so not through run()
            release: (holder, token) => this.releaseSweepLease({ holder, token }),
            report: (progress) => this.#reportSweep(progress),
          })
        : null;
    const providers = telemetryProviders(telemetry);
    if (providers === null) {
      this.#instruments = null;
    } else {
      const countActive = this.countActive.bind(this);
      this.#instruments = new StoreInstruments(providers, this, countActive);
      observeOperations(this, this.#instruments);
    }
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The background sweeper's state: whether this store holds the namespace's sweep lease and what
   * its last sweep removed; null when it runs no sweeper.
   */
  get sweepStatus(): SweepStatus | null {
    return this.#sweeper?.status ?? null;
  }

  /**
   * Runs one sweep of the background sweeper now, if this store holds or can take the
   * namespace's lease (otherwise the holder sweeps, and this resolves at once). Never rejects:
   * a failure shows in {@link sweepStatus}.
   * @throws nothing; STORE_CLOSED and a store without a sweeper resolve without sweeping.
   */
  async sweepNow(): Promise<void> {
    if (this.#closed) return;
    await this.#sweeper?.sweepNow();
  }

  /**
   * When a task stored now with this status, updatedAt and expiresAt stops existing (epoch ms),
   * or null: its expiresAt, or earlier its retention deadline. What adapters store and check.
   */
  protected liveUntil(
    status: AgentTask['status'],
    updatedAtMs: number,
    expiresAtMs: number | null,
  ): number | null {
    return liveUntil(this.retention, status, updatedAtMs, expiresAtMs);
  }

  /** Tells `onSweep` and the metrics of a sweep or cleanup batch, naming this store in it. */
  #reportSweep(progress: SweepProgress): void {
    const event: SweepEvent = { ...progress, backend: this.backend, namespace: this.namespace };
    this.#instruments?.swept(event.source === 'sweeper' ? event.removed : 0);
    if (this.#onSweep === null) return;
    try {
      this.#onSweep(event);
    } catch {
      // A reporting hook must not break a sweep or a cleanup.
    }
  }

  /** The clock; stores and tests may override it. */
  protected now(): Date {
    return new Date();
  }

  // ---- hooks an adapter implements: each is one atomic server-side step ----

  /** Stores `task` unless a live task has its id. @throws TASK_EXISTS */
  protected abstract insertTask(task: AgentTask, bytes: number): Promise<AgentTask>;
  /** The live task or null. */
  protected abstract readTask(taskId: string): Promise<AgentTask | null>;
  /** Replaces the fields, checking the version unless `expectedVersion` is null. */
  protected abstract replaceTask(request: ReplaceRequest): Promise<AgentTask>;
  /** Merges data, appends items, sets fields; checks the version when given. */
  protected abstract patchTask(request: PatchRequest): Promise<AgentTask>;
  /** Removes the task and its index entries. @throws TASK_NOT_FOUND */
  protected abstract deleteTask(taskId: string): Promise<void>;
  /** The earliest-created live task holding an item with `requestId`. */
  protected abstract readByRequestId(requestId: string): Promise<AgentTask | null>;
  /** Up to `query.limit` + 1 tasks after `query.after`, skipping `query.offset`, in `query.order`. */
  protected abstract listTasks(query: NormalizedListQuery): Promise<AgentTask[]>;
  /** Number of live tasks matching. */
  protected abstract countTasks(filter: NormalizedFilter): Promise<number>;
  /** Number of live pending, running and paused tasks. */
  protected abstract countActiveTasks(): Promise<number>;
  /** Removes what `cleanup` removes; returns how many. */
  protected abstract cleanupTasks(request: CleanupRequest): Promise<number>;
  /** Removes every task of the namespace; returns how many. */
  protected abstract clearTasks(): Promise<number>;
  /**
   * Writes each task of the batch exactly as given (createdAt, updatedAt, version, expiresAt),
   * each with its index entries in one server-side step, in order. A live task with the same id
   * is kept (`skip`), overwritten (`replace`), or stops the batch there (`fail`: return its id
   * as `conflict`). A stored task that has expired is no conflict: it is replaced.
   */
  protected abstract restoreTasks(request: RestoreRequest): Promise<RestoreBatchResult>;
  /**
   * Walks the namespace in batches of `request.batchSize`, reporting through `request.report`
   * what it checked and found; with `request.repair`, rebuilds indexes from the tasks and moves
   * corrupt records aside (reporting each through {@link reportCorrupt}).
   */
  protected abstract verifyTasks(request: VerifyRequest): Promise<void>;
  /**
   * Takes the namespace's sweep lease for `request.holder`, or renews it when that holder has it:
   * resolves its fencing token (a number that grows each time the lease changes hands), or null
   * while another holder's lease has not run out. Kept in the backend, so every process sharing
   * the namespace sees it. A backend without it runs no background sweeper.
   */
  protected acquireSweepLease?(request: SweepLeaseRequest): Promise<number | null>;
  /**
   * Deletes up to `request.limit` tasks whose live-until instant (see {@link liveUntil}) has
   * passed, with their index entries, in one bounded server-side step that first checks that
   * `request.token` is still the lease's token; resolves how many it deleted, or null (deleting
   * nothing) when the lease has moved on.
   */
  protected sweepDeadTasks?(request: SweepBatchRequest): Promise<number | null>;
  /** Ends the lease of `holder` if it still holds it (at close), so another store takes over at once. */
  protected releaseSweepLease(_request: { holder: string; token: number }): Promise<void> {
    return Promise.resolve();
  }
  /**
   * The id of the last change the namespace's feed holds, or the backend's "nothing yet" position:
   * a watch that starts now delivers what comes after it. A backend without it has no `watch`.
   */
  protected feedEnd?(): Promise<string>;
  /**
   * Up to `request.limit` changes after `request.after`, oldest first; with none, waits up to
   * `request.waitMs` (ending early when `request.signal` aborts) and returns what came, maybe
   * nothing. Every write records its change in the same server-side step as the write.
   * @throws INVALID_INPUT at `opts.after` for a position it cannot read or no longer keeps.
   */
  protected readChanges?(request: ReadChangesRequest): Promise<StoredChange[]>;
  /** One round trip to the server; resolves when it answered. */
  protected abstract ping(): Promise<void>;
  /** Releases what the store opened. Called once. */
  protected abstract closeBackend(): Promise<void>;
  /** Turns a driver error into the right TaskStoreError (BACKEND_UNAVAILABLE or BACKEND_ERROR...). */
  protected abstract wrapError(
    operation: TaskStoreOperation,
    error: unknown,
    taskId?: string,
  ): TaskStoreError;

  /**
   * Runs a hook with the closed check and error wrapping every method shares. Never throws: every
   * failure is a rejection. Not an async function, so a call costs one promise fewer (measurable
   * on the memory store, where the hook itself does little).
   */
  protected run<T>(
    operation: TaskStoreOperation,
    taskId: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(taskStoreError(operation, 'STORE_CLOSED', { taskId }));
    let result: Promise<T>;
    try {
      result = fn();
    } catch (error) {
      return Promise.reject(this.#wrapped(operation, error, taskId));
    }
    return result.catch((error: unknown) => {
      throw this.#wrapped(operation, error, taskId);
    });
  }

  /**
   * Tells the `onCorrupt` hook that a record was moved aside. Adapters call it whenever they
   * quarantine one; a hook that throws does not disturb the call.
   */
  protected reportCorrupt(
    operation: TaskStoreOperation,
    taskId: string,
    detail: string,
    movedTo: string | null,
  ): void {
    this.#instruments?.quarantined(operation);
    try {
      this.#onCorrupt({
        backend: this.backend,
        namespace: this.namespace,
        taskId,
        operation,
        detail,
        movedTo,
      });
    } catch {
      // A reporting hook must not turn a call that succeeded into a failure.
    }
  }

  #wrapped(operation: TaskStoreOperation, error: unknown, taskId: string | undefined): TaskStoreError {
    return isTaskStoreError(error) ? error : this.wrapError(operation, error, taskId);
  }

  async create(task: NewTask<TData>): Promise<AgentTask<TData>> {
    if (this.#closed) throw taskStoreError('create', 'STORE_CLOSED');
    const { task: valid, bytes } = validateNewTask(task, this.now(), this.ttlMs, this);
    return this.run('create', valid.taskId, () => this.insertTask(valid, bytes)) as Promise<AgentTask<TData>>;
  }

  async load(taskId: string): Promise<AgentTask<TData> | null> {
    if (this.#closed) throw taskStoreError('load', 'STORE_CLOSED');
    const id = checkId('load', 'taskId', taskId);
    return this.run('load', id, () => this.readTask(id)) as Promise<AgentTask<TData> | null>;
  }

  async update(task: AgentTask<TData>, opts: UpdateOptions = {}): Promise<AgentTask<TData>> {
    if (this.#closed) throw taskStoreError('update', 'STORE_CLOSED');
    const now = this.now();
    const { replacement, version, bytes } = validateReplacement(task, now, this);
    if (opts.force !== undefined && typeof opts.force !== 'boolean')
      invalidInput('update', 'opts.force', 'must be a boolean');
    const request: ReplaceRequest = { replacement, expectedVersion: opts.force ? null : version, now, bytes };
    return this.run('update', replacement.taskId, () => this.replaceTask(request)) as Promise<
      AgentTask<TData>
    >;
  }

  async patch(taskId: string, changes: TaskPatch<TData>, opts: PatchOptions = {}): Promise<AgentTask<TData>> {
    if (this.#closed) throw taskStoreError('patch', 'STORE_CLOSED');
    const now = this.now();
    const v = validatePatch(taskId, changes, opts.expectedVersion, now, this);
    const request: PatchRequest = {
      taskId: v.taskId,
      patch: v.patch,
      expectedVersion: v.expectedVersion,
      now,
      bytes: v.bytes,
      size: v.size,
    };
    return this.run('patch', v.taskId, () => this.patchTask(request)) as Promise<AgentTask<TData>>;
  }

  async delete(taskId: string): Promise<void> {
    if (this.#closed) throw taskStoreError('delete', 'STORE_CLOSED');
    const id = checkId('delete', 'taskId', taskId);
    return this.run('delete', id, () => this.deleteTask(id));
  }

  async loadByRequestId(requestId: string): Promise<AgentTask<TData> | null> {
    if (this.#closed) throw taskStoreError('loadByRequestId', 'STORE_CLOSED');
    const id = checkId('loadByRequestId', 'requestId', requestId);
    return this.run('loadByRequestId', undefined, () =>
      this.readByRequestId(id),
    ) as Promise<AgentTask<TData> | null>;
  }

  async list(query?: ListQuery): Promise<TaskPage<TData>> {
    if (this.#closed) throw taskStoreError('list', 'STORE_CLOSED');
    const q = validateListQuery(query);
    const after = q.cursor === null ? null : decodeCursor(q.cursor, q.order, q.filter);
    const normalized: NormalizedListQuery = {
      filter: q.filter,
      limit: q.limit,
      order: q.order,
      offset: q.offset,
      after,
    };
    const rows = await this.run('list', undefined, () => this.listTasks(normalized));
    const tasks = rows.length > q.limit ? rows.slice(0, q.limit) : rows;
    const last = tasks[tasks.length - 1];
    const nextCursor =
      rows.length > q.limit && last
        ? encodeCursor({ createdAt: last.createdAt.getTime(), taskId: last.taskId }, q.order, q.filter)
        : null;
    return { tasks: tasks as AgentTask<TData>[], nextCursor };
  }

  async count(filter?: TaskFilter): Promise<number> {
    if (this.#closed) throw taskStoreError('count', 'STORE_CLOSED');
    const f = validateFilter('count', filter);
    return this.run('count', undefined, () => this.countTasks(f));
  }

  countActive(): Promise<number> {
    return this.run('countActive', undefined, () => this.countActiveTasks());
  }

  async cleanup(opts: CleanupOptions): Promise<number> {
    if (this.#closed) throw taskStoreError('cleanup', 'STORE_CLOSED');
    const now = this.now();
    const { cutoff, includeActive } = validateCleanup(opts, now);
    const started = performance.now();
    let batch = 0;
    let total = 0;
    const event = (removed: number, done: boolean): SweepProgress => ({
      source: 'cleanup',
      removed,
      batch,
      total,
      elapsedMs: Math.round(performance.now() - started),
      done,
    });
    const onBatch = (removed: number) => {
      batch++;
      total += removed;
      this.#reportSweep(event(removed, false));
    };
    const removed = await this.run('cleanup', undefined, () =>
      this.cleanupTasks({ cutoff, includeActive, now, onBatch }),
    );
    total = removed;
    this.#reportSweep(event(0, true));
    return removed;
  }

  async restore(
    tasks: Iterable<AgentTask<TData>> | AsyncIterable<AgentTask<TData>>,
    opts?: RestoreOptions,
  ): Promise<RestoreReport> {
    if (this.#closed) throw taskStoreError('restore', 'STORE_CLOSED');
    const o = validateRestoreOptions(opts);
    if (!isIterable(tasks))
      invalidInput('restore', 'tasks', 'must be an iterable or async iterable of tasks');
    const started = performance.now();
    const totals = { restored: 0, replaced: 0, skipped: 0, expired: 0 };
    const report = (): RestoreReport => ({ ...totals, elapsedMs: Math.round(performance.now() - started) });
    for await (const { first, items } of batchesOf<unknown>(tasks, o.batchSize)) {
      const now = this.now();
      const valid = items.map((task, i) => validateRestoredTask(task, first + i, this));
      const live = valid.filter(({ task }) => {
        const until = this.liveUntil(
          task.status,
          task.updatedAt.getTime(),
          task.expiresAt?.getTime() ?? null,
        );
        return until === null || until > now.getTime();
      });
      totals.expired += valid.length - live.length;
      if (live.length > 0) {
        const request: RestoreRequest = { tasks: live, onConflict: o.onConflict, now };
        const done = await this.run('restore', undefined, () => this.restoreTasks(request));
        totals.restored += done.restored;
        totals.replaced += done.replaced;
        totals.skipped += done.skipped;
        if (done.conflict !== null) throw taskStoreError('restore', 'TASK_EXISTS', { taskId: done.conflict });
      }
      o.onProgress?.(report());
    }
    return report();
  }

  async verify(opts?: VerifyOptions): Promise<VerifyReport> {
    if (this.#closed) throw taskStoreError('verify', 'STORE_CLOSED');
    const o = validateVerifyOptions(opts);
    const report = new VerifyCollector(o.onProgress);
    await this.run('verify', undefined, () =>
      this.verifyTasks({ repair: o.repair, batchSize: o.batchSize, now: this.now(), report }),
    );
    return report.report();
  }

  watch(filter?: WatchFilter, opts?: WatchOptions): ChangeStream {
    if (this.#closed) throw taskStoreError('watch', 'STORE_CLOSED');
    const f = validateWatchFilter(filter);
    const o = validateWatchOptions(opts);
    if (this.feedEnd === undefined || this.readChanges === undefined)
      throw taskStoreError('watch', 'BACKEND_ERROR', {
        backend: this.backend,
        detail: `the ${this.backend} backend keeps no change feed`,
      });
    return followChanges(
      {
        feedEnd: () => this.run('watch', undefined, () => this.feedEnd!()),
        readChanges: (request) => this.run('watch', undefined, () => this.readChanges!(request)),
      },
      f,
      o.after,
      o.signal,
      this.#watching.signal,
    );
  }

  async clear(): Promise<number> {
    return this.run('clear', undefined, () => this.clearTasks());
  }

  async healthCheck(): Promise<HealthStatus> {
    if (this.#closed) throw taskStoreError('healthCheck', 'STORE_CLOSED');
    const started = performance.now();
    try {
      await this.ping();
      return { ok: true, backend: this.backend, latencyMs: roundMs(performance.now() - started) };
    } catch (error) {
      const wrapped = isTaskStoreError(error) ? error : this.wrapError('healthCheck', error);
      return {
        ok: false,
        backend: this.backend,
        latencyMs: roundMs(performance.now() - started),
        detail: scrubSecrets(`${wrapped.code}: ${wrapped.message}`),
      };
    }
  }

  async close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#watching.abort();
    this.#instruments?.close();
    const sweeper = this.#sweeper;
    // the sweeper gives its lease up while the backend is still open
    this.#closing = (sweeper === null ? Promise.resolve() : sweeper.stop())
      .then(() => this.closeBackend())
      .catch(() => {
        // Closing is best effort: the store is unusable either way, and a caller's cleanup
        // (finally blocks, `await using`) must not fail because a server is already gone.
      });
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function isIterable(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function' ||
      typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
  );
}

/** What became of the call that met a corrupt record: reads of many tasks go on without it. */
function corruptOutcome(operation: string): string {
  return operation === 'list' ||
    operation === 'loadByRequestId' ||
    operation === 'verify' ||
    operation === 'restore'
    ? `${operation} went on without it`
    : `${operation} was rejected with CORRUPT_DATA`;
}

/** The default `onCorrupt`: one warning line, with no secrets in it. */
function warnCorrupt(report: CorruptRecordReport): void {
  console.warn(
    scrubSecrets(
      `taskvault: ${report.backend} namespace ${JSON.stringify(report.namespace)}: stored task ` +
        `${JSON.stringify(report.taskId)} is unreadable (${report.detail}); ${corruptOutcome(report.operation)}. ` +
        `${report.movedTo ? `It was moved to ${report.movedTo} for inspection.` : ''}`.trimEnd(),
    ),
  );
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
