/**
 * What the cache holds, and the rules that keep it fresh: tasks by id, request ids pointing at
 * tasks, the calls in flight, and the counters. It never calls the store; `CachedTaskStore`
 * asks it before a call and tells it what the call returned, and the feed follower tells it
 * every change.
 */
import type { AgentTask, TaskChange } from '@taskvault/core';
import { copyTask, liveUntil, type RetentionPolicy, taskSize } from '@taskvault/core/adapter';
import { type Flight, Flights } from './flights.js';
import { type ChangeMark, contains } from './freshness.js';
import { BoundedLru } from './lru.js';

/** Where the cache stands: serving from memory only while `live`. */
export type CacheState = 'starting' | 'live' | 'down' | 'closed';

/** What the cache did since it started. */
export interface CacheStats {
  /** `load` and `loadByRequestId` calls answered from memory. */
  hits: number;
  /** Calls passed to the store (not held, expired, or the feed not live). */
  misses: number;
  /** Tasks pushed out by `maxEntries` or `maxBytes`. */
  evictions: number;
  /** Tasks dropped because a change made them stale, or because the cache was emptied. */
  invalidations: number;
  /** `live` while the change feed runs; otherwise nothing is served from memory. */
  state: CacheState;
  /** Tasks held now. */
  entries: number;
  /** Their serialized size, in bytes. */
  bytes: number;
}

interface HeldTask {
  /** The cache's own copy: never handed out. */
  task: AgentTask;
  /** When it stops existing (expiry or retention), epoch ms, or null. */
  liveUntil: number | null;
  /**
   * Held from this process's own write: the request generation moved on when the write landed,
   * so the feed's echo of that write brings nothing new for request ids.
   */
  ownWrite: boolean;
}

interface RequestEntry {
  taskId: string;
  /** The request generation it was found in: any created or updated change ends it. */
  generation: number;
}

/** Bytes a request entry is counted for: its two strings (UTF-16) and the entry around them. */
function requestEntryBytes(requestId: string, taskId: string): number {
  return 2 * (requestId.length + taskId.length) + 64;
}

/** A flight that may never fill the cache: begun while the feed was not live. */
const GROUNDED: Flight = Object.freeze({ key: null, stale: true, noted: [] }) as unknown as Flight;

export class TaskCache {
  readonly #tasks: BoundedLru<HeldTask>;
  readonly #requests: BoundedLru<RequestEntry>;
  readonly #flights = new Flights();
  readonly #retention: RetentionPolicy | null;
  #requestGeneration = 0;
  #serving = false;
  hits = 0;
  misses = 0;
  invalidations = 0;

  constructor(maxEntries: number, maxBytes: number, retention: RetentionPolicy | null) {
    this.#tasks = new BoundedLru(maxEntries, maxBytes);
    this.#requests = new BoundedLru(maxEntries, maxBytes);
    this.#retention = retention;
  }

  get evictions(): number {
    return this.#tasks.evictions;
  }
  get entries(): number {
    return this.#tasks.size;
  }
  get bytes(): number {
    return this.#tasks.bytes;
  }

  /** Serve and fill only while the feed is live; turning it off empties the cache. */
  set serving(on: boolean) {
    if (!on) this.empty();
    this.#serving = on;
  }

  /** A copy of the held task, or undefined (then the caller asks the store). */
  hit(taskId: string): AgentTask | undefined {
    const held = this.#serving ? this.#fresh(taskId) : undefined;
    if (held === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return copyTask(held.task);
  }

  /** A copy of the task holding `requestId`, or undefined (then the caller asks the store). */
  hitRequest(requestId: string): AgentTask | undefined {
    const entry = this.#serving ? this.#requests.get(requestId) : undefined;
    let held: HeldTask | undefined;
    if (entry !== undefined) {
      if (entry.generation === this.#requestGeneration) held = this.#fresh(entry.taskId);
      // The held task may be a newer version (a load filled it) that no longer holds the item.
      if (held !== undefined && !held.task.items.some((item) => item.requestId === requestId))
        held = undefined;
      if (held === undefined) this.#requests.delete(requestId);
    }
    if (held === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return copyTask(held.task);
  }

  /** A call on task `taskId` (or on a task found by request id: `null`) starts. */
  begin(taskId: string | null): Flight {
    return this.#serving ? this.#flights.begin(taskId) : GROUNDED;
  }

  /** A `load` landed with `task` (`undefined`: it failed). */
  loaded(flight: Flight, task: AgentTask | null | undefined): void {
    if (this.#flights.end(flight, task ?? null) && task) this.#hold(task);
    // a read that failed saw nothing: no sighting, or it would make the other flights' answers
    // on that task uncacheable for no reason
    if (flight.key !== null && task !== undefined) this.#saw(flight.key, task);
  }

  /** A `loadByRequestId` landed with `task` (`undefined`: it failed). */
  loadedByRequest(flight: Flight, requestId: string, task: AgentTask | null | undefined): void {
    const cacheable = this.#flights.end(flight, task ?? null);
    if (!task) return;
    this.#saw(task.taskId, task);
    if (!cacheable || !this.#hold(task)) return;
    const entry = { taskId: task.taskId, generation: this.#requestGeneration };
    this.#requests.set(requestId, entry, requestEntryBytes(requestId, task.taskId));
  }

  /**
   * A write of `taskId` this process made landed: `result` is the task it stored, `null` when
   * it removed the task, `undefined` when it failed (it may still have been applied).
   */
  wrote(flight: Flight, taskId: string, result: AgentTask | null | undefined): void {
    const cacheable = this.#flights.end(flight, result ?? null);
    // Any write may change what a request id finds (an item added or replaced, a holder gone).
    this.#requestGeneration++;
    this.#flights.note(taskId, result ? markOf(result) : null);
    if (cacheable && result) this.#hold(result, true);
    else if (this.#tasks.delete(taskId)) this.invalidations++;
  }

  /** A change from the feed. */
  changed(change: TaskChange): void {
    const mark: ChangeMark = {
      type: change.type,
      version: change.version,
      status: change.status,
      at: change.at.getTime(),
    };
    const held = this.#tasks.peek(change.taskId);
    const fresh = held !== undefined && contains(held.task, mark);
    if (held !== undefined && !fresh) {
      this.#tasks.delete(change.taskId);
      this.invalidations++;
    }
    // The feed carries no items: a created or updated task may now hold any request id — unless
    // this is the echo of a write of this process, whose landing already moved the generation
    // and made the request-id reads then in flight stale.
    const echo = fresh && held.ownWrite && held.task.version === change.version;
    this.#flights.note(change.taskId, mark, echo);
    if ((change.type === 'created' || change.type === 'updated') && !echo) this.#requestGeneration++;
  }

  /** Forgets everything (a write to many tasks, the feed going down, close). */
  empty(): void {
    this.invalidations += this.#tasks.clear();
    this.#requests.clear();
    this.#requestGeneration++;
    this.#flights.invalidateAll();
  }

  /**
   * A call of this process saw `task` (null: saw it absent). Calls in flight on it that land
   * later with an answer older than that must not fill the cache: this process would read an
   * older version after a newer one.
   */
  #saw(taskId: string, task: AgentTask | null): void {
    this.#flights.note(taskId, task === null ? ABSENT : markOf(task), true);
  }

  /** The held task if it is still alive; an expired one is dropped. */
  #fresh(taskId: string): HeldTask | undefined {
    const held = this.#tasks.get(taskId);
    if (held === undefined) return undefined;
    if (held.liveUntil !== null && held.liveUntil <= Date.now()) {
      this.#tasks.delete(taskId);
      this.invalidations++;
      return undefined;
    }
    return held;
  }

  /** Holds a copy of `task` unless it is already past its end; true when held. */
  #hold(task: AgentTask, ownWrite = false): boolean {
    const until = liveUntil(
      this.#retention,
      task.status,
      task.updatedAt.getTime(),
      task.expiresAt === null ? null : task.expiresAt.getTime(),
    );
    if (until !== null && until <= Date.now()) return false;
    this.#tasks.set(task.taskId, { task: copyTask(task), liveUntil: until, ownWrite }, taskSize(task));
    return this.#tasks.peek(task.taskId) !== undefined;
  }
}

/** What seeing a task absent means to a call in flight: as if it was removed. */
const ABSENT: ChangeMark = { type: 'deleted', version: 0, status: 'pending', at: 0 };

function markOf(task: AgentTask): ChangeMark {
  return { type: 'updated', version: task.version, status: task.status, at: task.updatedAt.getTime() };
}
