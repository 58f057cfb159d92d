/**
 * `restore` names a bad task by its position in the input (`tasks[<index>]`); the user knows it
 * by a line number or a source key. This remembers where each of the last positions came from.
 * Restore holds one batch (at most 1,000 tasks), so twice that many positions always cover it,
 * and memory stays bounded on inputs of any length.
 */
import { isTaskStoreError } from '@taskvault/core';
import { MAX_RESTORE_BATCH } from '@taskvault/core/adapter';

export class Positions<T> {
  readonly #origins = new Map<number, T>();
  #next = 0;

  /** Records the origin of the next task handed to restore. */
  add(origin: T): void {
    this.#origins.set(this.#next, origin);
    this.#origins.delete(this.#next - 2 * MAX_RESTORE_BATCH);
    this.#next++;
  }

  /**
   * For a restore error at `tasks[<index>].<field>`: where that task came from, the field, and
   * the reason without the path. `undefined` for any other error.
   */
  locate(error: unknown): { origin: T | undefined; field: string; reason: string } | undefined {
    if (!isTaskStoreError(error, 'INVALID_INPUT')) return undefined;
    const at = /^tasks\[(\d+)\]\.?(.*)$/.exec(error.path ?? '');
    if (at === null) return undefined;
    return {
      origin: this.#origins.get(Number(at[1])),
      field: at[2] ?? '',
      reason: error.message.replace(/^tasks\[\d+\][^:]*: /, ''),
    };
  }
}
