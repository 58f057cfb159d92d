/**
 * Memory stores the unit tests wrap: one whose `load` can be held after it read (a slow
 * backend), one whose feed can be broken on demand (a server gone away). Both are the real
 * memory store; only the timing of its answers, or its feed's failure, is steered.
 */
import type { AgentTask, ChangeStream, TaskChange, WatchFilter, WatchOptions } from '@taskvault/core';
import { taskStoreError } from '@taskvault/core/adapter';
import { MemoryRegistry, MemoryTaskStore } from '@taskvault/memory';

export const registry = new MemoryRegistry();

/** Waits until `done()` holds (polling), or fails after `ms`. */
export async function until(done: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A memory store whose next `load`/`loadByRequestId` reads, then waits for `release()`. */
export class SlowReads extends MemoryTaskStore {
  #gate: { read: () => void; release: Promise<void> } | null = null;

  /** Holds the next read after it read; resolves `read` once it has, returns the release. */
  holdNextRead(): { read: Promise<void>; release: () => void } {
    let release!: () => void;
    let read!: () => void;
    const readPromise = new Promise<void>((resolve) => {
      read = resolve;
    });
    this.#gate = { read, release: new Promise<void>((resolve) => (release = resolve)) };
    return { read: readPromise, release };
  }

  override async load(taskId: string): Promise<AgentTask | null> {
    const task = await super.load(taskId);
    await this.#wait();
    return task;
  }

  override async loadByRequestId(requestId: string): Promise<AgentTask | null> {
    const task = await super.loadByRequestId(requestId);
    await this.#wait();
    return task;
  }

  async #wait(): Promise<void> {
    const gate = this.#gate;
    if (gate === null) return;
    this.#gate = null;
    gate.read();
    await gate.release;
  }
}

/** A {@link SlowReads} whose next `load` fails with BACKEND_UNAVAILABLE, once, when `failNext` is set. */
export class FailingReads extends SlowReads {
  failNext = false;

  override async load(taskId: string): Promise<AgentTask | null> {
    if (this.failNext) {
      this.failNext = false;
      throw taskStoreError('load', 'BACKEND_UNAVAILABLE', { detail: 'read failed by the test' });
    }
    return super.load(taskId);
  }
}

/** A memory store whose feed fails with BACKEND_UNAVAILABLE while `broken` is set. */
export class BreakableFeed extends MemoryTaskStore {
  broken = false;
  watches = 0;

  override watch(filter?: WatchFilter, opts?: WatchOptions): ChangeStream {
    this.watches++;
    // ends the inner watch when this one ends (a pending next() would hold up return())
    const own = new AbortController();
    const signal = opts?.signal ? AbortSignal.any([opts.signal, own.signal]) : own.signal;
    const inner = super.watch(filter, { ...opts, signal });
    const failure = () =>
      taskStoreError('watch', 'BACKEND_UNAVAILABLE', { detail: 'feed broken by the test' });
    const ready = this.broken ? Promise.reject(failure()) : inner.ready;
    ready.catch(() => {});
    const store = this;
    return {
      ready,
      async *[Symbol.asyncIterator](): AsyncGenerator<TaskChange> {
        await ready;
        const it = inner[Symbol.asyncIterator]();
        try {
          while (true) {
            // a change may be waiting: race it against a check of `broken` every few ms
            const next = it.next();
            let result: IteratorResult<TaskChange> | null = null;
            next.then((r) => (result = r)).catch(() => {});
            while (result === null) {
              if (store.broken) throw failure();
              await Promise.race([next, new Promise((resolve) => setTimeout(resolve, 5))]);
            }
            const landed = result as IteratorResult<TaskChange>;
            if (landed.done) return;
            yield landed.value;
          }
        } finally {
          own.abort();
        }
      },
    };
  }
}
