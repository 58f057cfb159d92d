/**
 * `CachedTaskStore`: a `TaskStore` answering `load` and `loadByRequestId` from memory while the
 * inner store's change feed is live, and passing every other call through. Each call tells the
 * cache what it saw or wrote (see `task-cache.ts` for the rules).
 */
import type {
  AgentTask,
  ChangeStream,
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
  TaskStore,
  UpdateOptions,
  VerifyOptions,
  VerifyReport,
  WatchFilter,
  WatchOptions,
} from '@taskvault/core';
import type { RetentionPolicy } from '@taskvault/core/adapter';
import { FeedFollower } from './feed-follower.js';
import type { CacheSettings } from './options.js';
import { type CacheState, type CacheStats, TaskCache } from './task-cache.js';

/** The retention policy a store states (`store.retention` on the bundled stores), or null. */
function retentionOf(store: TaskStore): RetentionPolicy | null {
  const stated = (store as { retention?: unknown }).retention;
  return typeof stated === 'object' && stated !== null ? (stated as RetentionPolicy) : null;
}

/**
 * A `TaskStore` with an in-process read cache in front of another one; made by `withCache`.
 * It guarantees what its inner store does, and: a `load` or `loadByRequestId` never returns a
 * version older than the last this process wrote or read of that task; another process's write
 * is seen once the change feed delivers it; while the feed is down or not started yet, nothing
 * is served from memory. What it returns is the caller's own copy.
 */
export class CachedTaskStore<TData extends JsonObject = JsonObject> implements TaskStore<TData> {
  /** The inner store's backend. */
  readonly backend: string;
  /** The inner store's namespace, when it states one (the bundled stores do). */
  readonly namespace: string | undefined;
  /** The retention policy expiry checks use: the option, else the inner store's, else none. */
  readonly retention: RetentionPolicy | null;
  readonly #inner: TaskStore<TData>;
  readonly #cache: TaskCache;
  readonly #feed: FeedFollower;
  #closing: Promise<void> | null = null;

  /** @internal use `withCache` */
  constructor(inner: TaskStore<TData>, settings: CacheSettings) {
    this.#inner = inner;
    this.backend = inner.backend;
    const namespace = (inner as { namespace?: unknown }).namespace;
    this.namespace = typeof namespace === 'string' ? namespace : undefined;
    this.retention = settings.retention === undefined ? retentionOf(inner) : settings.retention;
    this.#cache = new TaskCache(settings.maxEntries, settings.maxBytes, this.retention);
    this.#feed = new FeedFollower(inner as TaskStore, this.#cache);
    this.#feed.start();
  }

  /** `live` while the change feed runs and the cache serves; `starting`, `down` or `closed` otherwise. */
  get state(): CacheState {
    return this.#feed.state;
  }

  /** Counters since the cache started, and what it holds now. */
  stats(): CacheStats {
    const cache = this.#cache;
    return {
      hits: cache.hits,
      misses: cache.misses,
      evictions: cache.evictions,
      invalidations: cache.invalidations,
      state: this.#feed.state,
      entries: cache.entries,
      bytes: cache.bytes,
    };
  }

  /** From memory when held and fresh, else from the inner store. @throws TaskLoadError */
  async load(taskId: string): Promise<AgentTask<TData> | null> {
    const held = this.#closing === null ? this.#cache.hit(taskId) : undefined;
    if (held !== undefined) return held as AgentTask<TData>;
    const flight = this.#cache.begin(taskId);
    // undefined until the inner load answers: a call that throws reports no answer
    let task: AgentTask<TData> | null | undefined;
    try {
      task = await this.#inner.load(taskId);
      return task;
    } finally {
      this.#cache.loaded(flight, task as AgentTask | null | undefined);
    }
  }

  /** From memory when held and fresh, else from the inner store. @throws TaskLoadError */
  async loadByRequestId(requestId: string): Promise<AgentTask<TData> | null> {
    const held = this.#closing === null ? this.#cache.hitRequest(requestId) : undefined;
    if (held !== undefined) return held as AgentTask<TData>;
    const flight = this.#cache.begin(null);
    let task: AgentTask<TData> | null | undefined;
    try {
      task = await this.#inner.loadByRequestId(requestId);
      return task;
    } finally {
      this.#cache.loadedByRequest(flight, requestId, task as AgentTask | null | undefined);
    }
  }

  /** Passed through; the stored task is cached. @throws TaskCreateError */
  create(task: NewTask<TData>): Promise<AgentTask<TData>> {
    return this.#write(task?.taskId, () => this.#inner.create(task));
  }

  /** Passed through; the stored task is cached. @throws TaskUpdateError */
  update(task: AgentTask<TData>, opts?: UpdateOptions): Promise<AgentTask<TData>> {
    return this.#write(task?.taskId, () => this.#inner.update(task, opts));
  }

  /** Passed through; the stored task is cached. @throws TaskUpdateError */
  patch(taskId: string, changes: TaskPatch<TData>, opts?: PatchOptions): Promise<AgentTask<TData>> {
    return this.#write(taskId, () => this.#inner.patch(taskId, changes, opts));
  }

  /** Passed through; the task leaves the cache. @throws TaskDeleteError */
  async delete(taskId: string): Promise<void> {
    await this.#write(taskId, async () => {
      await this.#inner.delete(taskId);
      return null;
    });
  }

  /** Passed through. @throws TaskQueryError */
  list(query?: ListQuery): Promise<TaskPage<TData>> {
    return this.#inner.list(query);
  }

  /** Passed through. @throws TaskQueryError */
  count(filter?: TaskFilter): Promise<number> {
    return this.#inner.count(filter);
  }

  /** Passed through. @throws TaskQueryError */
  countActive(): Promise<number> {
    return this.#inner.countActive();
  }

  /** Passed through; the cache is emptied when it lands. @throws TaskQueryError */
  cleanup(opts: CleanupOptions): Promise<number> {
    return this.#writeMany(() => this.#inner.cleanup(opts));
  }

  /** Passed through; the cache is emptied when it lands. */
  clear(): Promise<number> {
    return this.#writeMany(() => this.#inner.clear());
  }

  /** Passed through; with `repair`, the cache is emptied when it lands. @throws TaskQueryError */
  verify(opts?: VerifyOptions): Promise<VerifyReport> {
    if (opts?.repair !== true) return this.#inner.verify(opts);
    return this.#writeMany(() => this.#inner.verify(opts));
  }

  /** Passed through; the cache is emptied when it lands. @throws TaskCreateError */
  restore(
    tasks: Iterable<AgentTask<TData>> | AsyncIterable<AgentTask<TData>>,
    opts?: RestoreOptions,
  ): Promise<RestoreReport> {
    return this.#writeMany(() => this.#inner.restore(tasks, opts));
  }

  /** The inner store's feed, as it is. @throws TaskStoreError as `TaskStore.watch` */
  watch(filter?: WatchFilter, opts?: WatchOptions): ChangeStream {
    return this.#inner.watch(filter, opts);
  }

  /** The inner store's health. */
  healthCheck(): Promise<HealthStatus> {
    return this.#inner.healthCheck();
  }

  /**
   * Stops the cache's watch, empties it, and closes the inner store (which keeps any client the
   * caller passed to it open). Idempotent; afterwards every call rejects with `STORE_CLOSED`.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      // stop() aborts the watch at once; the inner store is closed without waiting for a read
      // of the feed in flight to notice (closing it ends that read too)
      const stopped = this.#feed.stop();
      try {
        await this.#inner.close();
      } finally {
        await stopped;
      }
    })();
    return this.#closing;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #write<T extends AgentTask<TData> | null>(taskId: string, call: () => Promise<T>): Promise<T> {
    const flight = this.#cache.begin(taskId);
    let result: AgentTask<TData> | null | undefined;
    try {
      const landed = await call();
      result = landed;
      return landed;
    } finally {
      this.#cache.wrote(flight, taskId, result as AgentTask | null | undefined);
    }
  }

  async #writeMany<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } finally {
      // it may have changed any task, or some before it failed
      this.#cache.empty();
    }
  }
}
