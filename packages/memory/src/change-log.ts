/**
 * One namespace's change feed in memory: every write of the namespace table appends its change in
 * the same synchronous step, so no write is seen without its change or the other way round.
 * Changes are numbered 1, 2, 3...; the id is the number as text, "0" before the first. The log
 * keeps changes for the feed's retention and at most {@link MAX_CHANGES}; a watcher resuming from
 * an id no longer kept gets INVALID_INPUT (re-list), never a silent gap.
 */
import type { AgentTask, TaskChangeType } from '@taskvault/core';
import type { StoredChange } from '@taskvault/core/adapter';
import { taskStoreError } from '@taskvault/core/adapter';

/** Changes kept at most, whatever the retention (about 200 bytes each). */
export const MAX_CHANGES = 100_000;
/** Below this many dropped entries at the front, the array is not compacted yet. */
const COMPACT_AT = 4096;

export class ChangeLog {
  #entries: StoredChange[] = [];
  /** Index in #entries of the oldest kept change. */
  #head = 0;
  /** Number of the last change recorded (0: none yet). */
  #last = 0;
  /** Number of the last change dropped (0: none yet). */
  #dropped = 0;
  readonly #waiters = new Set<() => void>();
  /** How long changes are kept, ms: the longest any store of this namespace asked for. */
  retainMs = 0;

  /** Records the change `type` of `task` at `at` (epoch ms); wakes every waiting reader. */
  record(type: TaskChangeType, task: AgentTask, at: number): void {
    this.#last++;
    // Built whole, in one literal: every write records one, and spreading a partial change into
    // it was a measurable share of a memory update.
    this.#entries.push({
      type,
      taskId: task.taskId,
      version: task.version,
      status: task.status,
      at,
      sessionId: task.sessionId,
      userId: task.userId,
      createdAt: task.createdAt.getTime(),
      id: String(this.#last),
    });
    this.#trim(at);
    if (this.#waiters.size === 0) return;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** The id of the last change recorded. */
  end(): string {
    return String(this.#last);
  }

  /**
   * Up to `limit` changes after `after`, oldest first.
   * @throws INVALID_INPUT at opts.after: not an id of this feed, or older than it keeps.
   */
  read(after: string, limit: number): StoredChange[] {
    const n = /^\d{1,15}$/.test(after) ? Number(after) : Number.NaN;
    if (!Number.isSafeInteger(n) || n > this.#last)
      throw taskStoreError('watch', 'INVALID_INPUT', {
        path: 'opts.after',
        detail: `${JSON.stringify(after)} is not a change id of this namespace's feed (memory feeds start again with the process)`,
      });
    if (n < this.#dropped)
      throw taskStoreError('watch', 'INVALID_INPUT', {
        path: 'opts.after',
        detail: 'that change is older than the feed keeps; list the tasks again, then watch from now',
      });
    const from = this.#head + (n - this.#dropped);
    return this.#entries.slice(from, from + limit);
  }

  /** Resolves when a change after `after` is recorded, after `ms`, or when `signal` aborts. */
  waitAfter(after: string, ms: number, signal: AbortSignal): Promise<void> {
    if (Number(after) < this.#last || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref?.();
      signal.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
  }

  #trim(now: number): void {
    const entries = this.#entries;
    const oldest = now - this.retainMs;
    while (
      this.#head < entries.length &&
      (entries.length - this.#head > MAX_CHANGES || entries[this.#head]!.at < oldest)
    ) {
      this.#head++;
      this.#dropped++;
    }
    if (this.#head >= COMPACT_AT && this.#head * 2 >= entries.length) {
      this.#entries = entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
