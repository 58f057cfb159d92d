/**
 * A min-heap of (liveUntil, entry): the next task to expire is always on top, so purging what
 * expired costs O(log n) per expired task and O(1) when nothing did. Nodes are never removed
 * from the middle: a node whose entry was deleted, or whose expiry changed since, is stale and
 * skipped when it reaches the top (`TaskEntry.live` and `liveUntil` tell).
 */
import type { TaskEntry } from './entry.js';

interface ExpiryNode {
  at: number;
  entry: TaskEntry;
}

export class ExpiryHeap {
  #nodes: ExpiryNode[] = [];

  get size(): number {
    return this.#nodes.length;
  }

  push(at: number, entry: TaskEntry): void {
    const nodes = this.#nodes;
    nodes.push({ at, entry });
    let i = nodes.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (nodes[parent]!.at <= nodes[i]!.at) break;
      [nodes[parent], nodes[i]] = [nodes[i]!, nodes[parent]!];
      i = parent;
    }
  }

  /** True when some node is due at or before `now` (its entry may since have changed expiry). */
  hasDue(now: number): boolean {
    const top = this.#nodes[0];
    return top !== undefined && top.at <= now;
  }

  /** Removes and returns every node (up to `limit`) due at or before `now` whose entry still expires then. */
  popDue(now: number, limit = Number.POSITIVE_INFINITY): TaskEntry[] {
    const due: TaskEntry[] = [];
    const nodes = this.#nodes;
    while (nodes.length > 0 && nodes[0]!.at <= now && due.length < limit) {
      const node = this.#popTop();
      if (node.entry.live && node.entry.liveUntil === node.at) due.push(node.entry);
    }
    return due;
  }

  /** Rebuilds the heap from the live entries, dropping stale nodes. */
  rebuild(entries: Iterable<TaskEntry>): void {
    this.#nodes = [];
    for (const entry of entries) if (entry.liveUntil !== null) this.push(entry.liveUntil, entry);
  }

  clear(): void {
    this.#nodes = [];
  }

  #popTop(): ExpiryNode {
    const nodes = this.#nodes;
    const top = nodes[0]!;
    const last = nodes.pop()!;
    if (nodes.length > 0) {
      nodes[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < nodes.length && nodes[l]!.at < nodes[smallest]!.at) smallest = l;
        if (r < nodes.length && nodes[r]!.at < nodes[smallest]!.at) smallest = r;
        if (smallest === i) break;
        [nodes[smallest], nodes[i]] = [nodes[i]!, nodes[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
