/**
 * Keeps one `watch()` of the inner store running and tells the cache every change. The cache
 * serves only while the watch is live: from the moment its start is fixed (`ready`) until it
 * fails. On a failure (BACKEND_UNAVAILABLE, or INVALID_INPUT when it fell so far behind that
 * the feed dropped what it had not read) the cache is emptied at once and the watch starts again
 * from the feed's end, after a backoff: an empty cache needs no history, so it never resumes
 * with `after`.
 */
import { isTaskStoreError, type TaskStore } from '@taskvault/core';
import type { CacheState, TaskCache } from './task-cache.js';

/** First wait before starting the watch again, ms; it doubles on each failure in a row. */
export const RESTART_MIN_MS = 100;
/** Longest wait between two starts, ms. */
export const RESTART_MAX_MS = 5000;

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

export class FeedFollower {
  readonly #store: TaskStore;
  readonly #cache: TaskCache;
  readonly #stop = new AbortController();
  #state: CacheState = 'starting';
  #running: Promise<void> | null = null;
  /** The code of the last failure, for stats and tests. */
  lastError: string | null = null;

  constructor(store: TaskStore, cache: TaskCache) {
    this.#store = store;
    this.#cache = cache;
  }

  get state(): CacheState {
    return this.#state;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Ends the watch; the cache is emptied and serves nothing after. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#cache.serving = false;
    this.#state = 'closed';
    await this.#running;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let delay = RESTART_MIN_MS;
    while (!signal.aborted) {
      try {
        const stream = this.#store.watch(undefined, { signal });
        await stream.ready;
        if (signal.aborted) break;
        this.#cache.serving = true;
        this.#state = 'live';
        delay = RESTART_MIN_MS;
        for await (const change of stream) this.#cache.changed(change);
      } catch (error) {
        this.lastError = isTaskStoreError(error) ? error.code : 'UNKNOWN';
        // the inner store was closed under the cache: nothing will come back
        if (isTaskStoreError(error, 'STORE_CLOSED')) break;
      }
      this.#cache.serving = false;
      if (signal.aborted) break;
      this.#state = 'down';
      await pause(delay, signal);
      delay = Math.min(delay * 2, RESTART_MAX_MS);
    }
    this.#cache.serving = false;
    this.#state = 'closed';
  }
}
