/**
 * Entries sorted by (createdAt, taskId in code point order), the one ordering of every list.
 * A sorted array: binary search to find a position, `splice` to insert or remove. Tasks are
 * mostly created in time order, so inserts usually append in O(1); a removal in the middle
 * moves the tail (a memmove: ~0.5 ms at a million entries). Removing many at once (cleanup,
 * mass expiry) compacts the array in one pass instead.
 */
import { compareIds } from '@taskvault/core/adapter';
import type { TaskEntry } from './entry.js';

/** A position in the ordering; entries and cursors both have one. */
export interface OrderKey {
  readonly createdAt: number;
  readonly taskId: string;
}

/** Orders keys by createdAt, then taskId by code point. */
export function compareKeys(a: OrderKey, b: OrderKey): number {
  return a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : compareIds(a.taskId, b.taskId);
}

export class OrderedIndex {
  /** Sorted ascending; read by list walks, written only through the methods below. */
  readonly entries: TaskEntry[] = [];

  get size(): number {
    return this.entries.length;
  }

  insert(entry: TaskEntry): void {
    const list = this.entries;
    const last = list[list.length - 1];
    if (last === undefined || compareKeys(last, entry) < 0) {
      list.push(entry);
      return;
    }
    list.splice(this.firstAfterOrAt(entry), 0, entry);
  }

  /** Removes `entry` (found by its key); false when it is not here. */
  remove(entry: TaskEntry): boolean {
    const i = this.firstAfterOrAt(entry);
    if (this.entries[i] !== entry) return false;
    this.entries.splice(i, 1);
    return true;
  }

  /** Index of the first entry whose key is >= `key`. */
  firstAfterOrAt(key: OrderKey): number {
    return this.lowerBound((e) => compareKeys(e, key) >= 0);
  }

  /** Index of the first entry whose key is > `key`. */
  firstAfter(key: OrderKey): number {
    return this.lowerBound((e) => compareKeys(e, key) > 0);
  }

  /** Index of the first entry created strictly after `ms`. */
  firstCreatedAfter(ms: number): number {
    return this.lowerBound((e) => e.createdAt > ms);
  }

  /** Index of the first entry created at or after `ms`. */
  firstCreatedAtOrAfter(ms: number): number {
    return this.lowerBound((e) => e.createdAt >= ms);
  }

  /** Drops every entry that is no longer live, in one pass: O(n) however many go. */
  removeDead(): void {
    const list = this.entries;
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]!;
      if (entry.live) list[kept++] = entry;
    }
    list.length = kept;
  }

  clear(): void {
    this.entries.length = 0;
  }

  /** First index where `isAtOrPast` holds; it must be false...false, true...true over the array. */
  private lowerBound(isAtOrPast: (e: TaskEntry) => boolean): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (isAtOrPast(this.entries[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
