/**
 * Everything one namespace holds: the tasks and the indexes that keep every read cheap.
 *
 * - `tasks`: taskId -> entry (load, write: O(1)).
 * - `all` and `byStatus`: entries ordered by (createdAt, taskId), overall and per status
 *   (a list page: O(log n + page); count with no filter or a status filter: O(1) or O(log n)).
 * - `byRequestId`: requestId -> the entry holding an item with it, or a set of them when
 *   several tasks share it (loadByRequestId: O(k) for the k tasks sharing that request id,
 *   usually 1).
 * - `expiry`: a min-heap by live-until instant (expiresAt, or earlier the retention deadline), so
 *   what expired is purged before any read at O(log n) per expired task, and at O(1) when nothing did.
 *
 * Every method runs synchronously to completion: JavaScript runs one at a time, so each write
 * (task plus all its index entries) is atomic with respect to every other call.
 */
import { type AgentTask, TASK_STATUSES, type TaskItem, type TaskStatus } from '@taskvault/core';
import { ChangeLog } from './change-log.js';
import type { TaskEntry } from './entry.js';
import { ExpiryHeap } from './expiry-heap.js';
import { compareKeys, OrderedIndex } from './ordered-index.js';

/** Above this many stale nodes (and twice the live ones) the expiry heap is rebuilt. */
const HEAP_SLACK = 1024;
/** Removing more entries than this at once compacts the ordered indexes in one pass. */
const BULK_REMOVE = 16;

export class NamespaceTable {
  readonly tasks = new Map<string, TaskEntry>();
  readonly all = new OrderedIndex();
  readonly byStatus: { readonly [S in TaskStatus]: OrderedIndex } = {
    pending: new OrderedIndex(),
    running: new OrderedIndex(),
    paused: new OrderedIndex(),
    completed: new OrderedIndex(),
    failed: new OrderedIndex(),
    cancelled: new OrderedIndex(),
  };
  /**
   * A lone holder is stored as itself, not as a one-element Set: nearly every request id
   * belongs to one task, and a Set per request id was a measurable share of a create.
   */
  readonly byRequestId = new Map<string, TaskEntry | Set<TaskEntry>>();
  /** Records moved aside because they could not be read: name -> what was stored, and why. */
  readonly quarantine = new Map<string, { task: AgentTask; detail: string; at: number }>();
  #quarantined = 0;
  readonly #expiry = new ExpiryHeap();
  /** Live entries with an expiry: how many heap nodes are not stale. */
  #expiring = 0;

  /** The namespace's change feed: each method below that changes a task records it here. */
  readonly feed = new ChangeLog();

  /** Records `type` for `task` (a removal's `at` is when it was removed). */
  #record(type: 'created' | 'updated' | 'deleted' | 'expired', task: AgentTask, at: number): void {
    this.feed.record(type, task, at);
  }

  /** Removes every task (or the first `limit`) that expired at or before `now`; returns how many. */
  purgeExpired(now: number, limit = Number.POSITIVE_INFINITY): number {
    // the usual case, nothing due: no allocation on every read
    if (!this.#expiry.hasDue(now)) return 0;
    const due = this.#expiry.popDue(now, limit);
    this.removeMany(due, now, 'expired');
    this.expiredRemoved += due.length;
    return due.length;
  }

  /** The live entry of `taskId` at `now`, purging what expired first. */
  get(taskId: string, now: number): TaskEntry | undefined {
    this.purgeExpired(now);
    return this.tasks.get(taskId);
  }

  /**
   * Adds a task; the caller made sure no live task has its id. `liveUntil`: see {@link TaskEntry}.
   * Recorded as `change` at `at` (a restore that replaced a task records `updated`).
   */
  insert(
    task: AgentTask,
    bytes: number,
    liveUntil: number | null,
    at: number,
    change: 'created' | 'updated' = 'created',
  ): TaskEntry {
    const entry: TaskEntry = {
      taskId: task.taskId,
      createdAt: task.createdAt.getTime(),
      task,
      bytes,
      liveUntil,
      requestIds: requestIdsOf(task),
      live: true,
    };
    this.tasks.set(entry.taskId, entry);
    this.all.insert(entry);
    this.byStatus[task.status].insert(entry);
    for (const requestId of entry.requestIds) this.#indexRequest(requestId, entry);
    if (liveUntil !== null) this.#trackExpiry(entry, liveUntil);
    this.#record(change, task, at);
    return entry;
  }

  /** Swaps in a new version of a task (same taskId and createdAt) and moves its index entries. */
  replace(entry: TaskEntry, task: AgentTask, bytes: number, liveUntil: number | null, at: number): void {
    const requestIds = requestIdsOf(task);
    for (const requestId of entry.requestIds) {
      if (!requestIds.has(requestId)) this.#unindexRequest(requestId, entry);
    }
    for (const requestId of requestIds) {
      if (!entry.requestIds.has(requestId)) this.#indexRequest(requestId, entry);
    }
    entry.requestIds = requestIds;
    this.#swap(entry, task, bytes, liveUntil);
    this.#record('updated', task, at);
  }

  /**
   * Swaps in a patched version of a task whose items are the stored ones plus `appended` (already
   * pushed onto them): only the new request ids are indexed, so the cost is the patch's, not the
   * task's (its request-id set grows in place).
   */
  patched(
    entry: TaskEntry,
    task: AgentTask,
    bytes: number,
    appended: readonly TaskItem[],
    liveUntil: number | null,
    at: number,
  ): void {
    for (const item of appended) {
      const requestId = item.requestId;
      if (entry.requestIds.has(requestId)) continue;
      entry.requestIds.add(requestId);
      this.#indexRequest(requestId, entry);
    }
    this.#swap(entry, task, bytes, liveUntil);
    this.#record('updated', task, at);
  }

  /** Moves the status and expiry entries of `entry` to `task`'s, and stores it. */
  #swap(entry: TaskEntry, task: AgentTask, bytes: number, liveUntil: number | null): void {
    const previous = entry.task;
    if (previous.status !== task.status) {
      this.byStatus[previous.status].remove(entry);
      this.byStatus[task.status].insert(entry);
    }
    if (liveUntil !== entry.liveUntil) {
      if (entry.liveUntil !== null) this.#expiring--;
      if (liveUntil !== null) this.#trackExpiry(entry, liveUntil);
      entry.liveUntil = liveUntil;
    }
    entry.task = task;
    entry.bytes = bytes;
  }

  /** Removes a task and all its index entries, recording `change` at `at` (null: record nothing). */
  remove(entry: TaskEntry, at: number, change: 'deleted' | 'expired' | null = 'deleted'): void {
    if (!this.#unlink(entry)) return;
    if (change !== null) this.#record(change, entry.task, at);
    this.all.remove(entry);
    this.byStatus[entry.task.status].remove(entry);
  }

  /**
   * Removes many tasks. Past a few, the ordered indexes are compacted in one pass each
   * (O(n)) rather than spliced once per task (O(n) each).
   */
  removeMany(entries: readonly TaskEntry[], at: number, change: 'deleted' | 'expired'): void {
    if (entries.length <= BULK_REMOVE) {
      for (const entry of entries) this.remove(entry, at, change);
      return;
    }
    const touched = new Set<TaskStatus>();
    for (const entry of entries) {
      if (!this.#unlink(entry)) continue;
      touched.add(entry.task.status);
      this.#record(change, entry.task, at);
    }
    this.all.removeDead();
    for (const status of touched) this.byStatus[status].removeDead();
  }

  /** Marks an entry removed and drops it from every index but the ordered ones. */
  #unlink(entry: TaskEntry): boolean {
    if (!entry.live) return false;
    entry.live = false;
    this.tasks.delete(entry.taskId);
    for (const requestId of entry.requestIds) this.#unindexRequest(requestId, entry);
    if (entry.liveUntil !== null) this.#expiring--;
    return true;
  }

  /**
   * Marks a stored task unreadable, as a storage fault would leave it elsewhere.
   * @internal for the conformance suite's `damage` option.
   */
  damage(taskId: string, detail = 'damaged behind the store'): void {
    const entry = this.tasks.get(taskId);
    if (entry === undefined) throw new Error(`no task ${JSON.stringify(taskId)} to damage`);
    entry.unreadable = detail;
  }

  /** Removes an unreadable entry from every index and keeps what it held in `quarantine`; returns its name there. */
  moveAside(entry: TaskEntry, now: number): string {
    const name = `${entry.taskId}#${++this.#quarantined}`;
    this.quarantine.set(name, { task: entry.task, detail: entry.unreadable ?? 'unreadable', at: now });
    this.remove(entry, now);
    return name;
  }

  /** The earliest-created live entry (ties: smallest taskId) holding `requestId`. */
  earliestWithRequest(requestId: string, now: number): TaskEntry | undefined {
    this.purgeExpired(now);
    const holders = this.byRequestId.get(requestId);
    if (holders === undefined || !(holders instanceof Set)) return holders;
    let best: TaskEntry | undefined;
    for (const entry of holders) if (best === undefined || compareKeys(entry, best) < 0) best = entry;
    return best;
  }

  /** Rebuilds every index from the tasks themselves (what `verify({ repair: true })` does). */
  rebuildIndexes(): void {
    const entries = [...this.tasks.values()];
    this.all.clear();
    for (const status of TASK_STATUSES) this.byStatus[status].clear();
    this.byRequestId.clear();
    this.#expiry.clear();
    this.#expiring = 0;
    entries.sort(compareKeys);
    for (const entry of entries) {
      this.all.entries.push(entry);
      this.byStatus[entry.task.status].entries.push(entry);
      entry.requestIds = requestIdsOf(entry.task);
      for (const requestId of entry.requestIds) this.#indexRequest(requestId, entry);
      // liveUntil is the task's own, fixed by its last write: kept, not recomputed
      if (entry.liveUntil !== null) this.#trackExpiry(entry, entry.liveUntil);
    }
  }

  /** Removes everything; returns how many live tasks there were. `record`: each is a `deleted` change. */
  clear(now: number, record = true): number {
    this.purgeExpired(now);
    const removed = this.tasks.size;
    for (const entry of this.tasks.values()) {
      entry.live = false;
      if (record) this.#record('deleted', entry.task, now);
    }
    this.tasks.clear();
    this.all.clear();
    for (const status of TASK_STATUSES) this.byStatus[status].clear();
    this.byRequestId.clear();
    this.#expiry.clear();
    this.#expiring = 0;
    return removed;
  }

  /**
   * Tasks removed because their live-until passed, by reads and sweeps alike, and how many of them
   * a sweep has reported: reads remove what they meet first, and the sweeper reports those too.
   */
  expiredRemoved = 0;
  expiredReported = 0;
  /** The namespace's sweep lease: who holds it until when, and its fencing token. */
  sweepLease: { holder: string; token: number; until: number } | null = null;
  /** The last fencing token handed out: each change of holder takes the next one. */
  sweepTokens = 0;

  #trackExpiry(entry: TaskEntry, at: number): void {
    this.#expiring++;
    this.#expiry.push(at, entry);
    // Stale nodes pile up when expiries change often; rebuilding now and then bounds the heap.
    if (this.#expiry.size > HEAP_SLACK + 2 * this.#expiring) this.#expiry.rebuild(this.tasks.values());
  }

  #indexRequest(requestId: string, entry: TaskEntry): void {
    const holders = this.byRequestId.get(requestId);
    if (holders === undefined) this.byRequestId.set(requestId, entry);
    else if (holders instanceof Set) holders.add(entry);
    else if (holders !== entry) this.byRequestId.set(requestId, new Set([holders, entry]));
  }

  #unindexRequest(requestId: string, entry: TaskEntry): void {
    const holders = this.byRequestId.get(requestId);
    if (holders === entry) {
      this.byRequestId.delete(requestId);
    } else if (holders instanceof Set) {
      holders.delete(entry);
      // Back to the lone form once one holder is left, so the map looks the same however
      // the entries got there.
      if (holders.size === 1) this.byRequestId.set(requestId, holders.values().next().value!);
      else if (holders.size === 0) this.byRequestId.delete(requestId);
    }
  }
}

function requestIdsOf(task: AgentTask): Set<string> {
  const ids = new Set<string>();
  for (const item of task.items) ids.add(item.requestId);
  return ids;
}
