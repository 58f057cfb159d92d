/**
 * `@taskvault/cache`: an in-process read cache in front of any taskvault store, kept fresh by
 * the store's change feed.
 *
 * ```ts
 * import { withCache } from '@taskvault/cache';
 * const store = withCache(await createTaskStore(), { maxEntries: 10_000 });
 * ```
 */
import type { JsonObject, TaskStore } from '@taskvault/core';
import { CachedTaskStore } from './cached-store.js';
import { type CacheOptions, checkCacheOptions } from './options.js';

export { CachedTaskStore } from './cached-store.js';
export type { CacheOptions } from './options.js';
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES } from './options.js';
export type { CacheState, CacheStats } from './task-cache.js';

/**
 * Wraps `store` in a read cache: `load` and `loadByRequestId` are answered from memory (an LRU
 * bounded by `maxEntries` and `maxBytes`) when the task is held and fresh; every other call goes
 * to `store`, writes also updating the cache. One `store.watch()` keeps it fresh. It guarantees:
 * a process never reads a version older than one it wrote or read; another process's write is
 * seen once the feed delivers it; a task past its expiry or retention is never served; while the
 * feed is down (or not yet started) nothing is served from memory and the watch restarts with
 * backoff. `close()` stops the watch and closes `store`.
 * @throws TaskStoreConfigError `CONFIG_INVALID` naming the option (`maxEntries`, `maxBytes`,
 *   `retention`, or an unknown one)
 */
export function withCache<TData extends JsonObject = JsonObject>(
  store: TaskStore<TData>,
  options?: CacheOptions,
): CachedTaskStore<TData> {
  return new CachedTaskStore(store, checkCacheOptions(options));
}
