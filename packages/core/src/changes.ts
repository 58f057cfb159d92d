/**
 * The change feed (SPEC "Changes"): every write records what it changed in the same server-side
 * step, and `watch()` follows those records. A backend keeps the records and answers two
 * questions — where the feed ends now, and what came after a position (waiting a little when
 * nothing did); everything else (checks, filters, the iterator's life) lives here, once.
 */
import { taskStoreError } from './errors.js';
import type { TaskFilter, TaskStatus } from './task.js';
import { checkId } from './validate.js';
import { type NormalizedFilter, validateFilter } from './validate-query.js';

/** What a change did to its task. */
export type TaskChangeType = 'created' | 'updated' | 'deleted' | 'expired';

/** One change of one task, as `watch()` delivers it. */
export interface TaskChange {
  /** Its position in the namespace's feed (opaque): `watch(filter, { after: id })` resumes after it. */
  id: string;
  type: TaskChangeType;
  taskId: string;
  /** The task's version after the change; for `deleted` and `expired`, the last version it had. */
  version: number;
  /** The task's status after the change; for `deleted` and `expired`, the last status it had. */
  status: TaskStatus;
  /** When the change was made: the write's `updatedAt`, or when the task was removed. */
  at: Date;
}

/** Which changes a watcher wants: a `TaskFilter` on the task as the change left it, or one task. */
export interface WatchFilter extends TaskFilter {
  taskId?: string;
}

/** Where a watcher starts and what ends it. */
export interface WatchOptions {
  /** A change id: deliver what came after it (resume). Default: what comes after the watch began. */
  after?: string;
  /** Ends the iteration (it returns, it does not throw). */
  signal?: AbortSignal;
}

/** What `watch()` returns: an async iterable that also says where it started. */
export interface ChangeStream extends AsyncIterable<TaskChange> {
  /**
   * Resolves with the position the watch starts after (the feed's end when it began, or `after`)
   * once that is fixed: every change recorded after it is delivered. Rejects as the first
   * `next()` would (an unreachable server, a bad `after`).
   */
  readonly ready: Promise<string>;
}

/** A change as a backend keeps it: the public fields plus what filters need. */
export interface StoredChange {
  id: string;
  type: TaskChangeType;
  taskId: string;
  version: number;
  status: TaskStatus;
  /** Epoch ms. */
  at: number;
  sessionId: string | null;
  userId: string | null;
  /** The task's createdAt, epoch ms. */
  createdAt: number;
}

/** The change-feed hooks a backend implements (see `TaskStoreBase`). */
export interface ChangeFeedHooks {
  /** The id of the last change recorded (or the backend's "nothing yet" position). */
  feedEnd(): Promise<string>;
  /**
   * Up to `limit` changes after `after`, oldest first; when there are none, waits up to
   * `waitMs` (or until `signal` aborts) for some and returns what came (possibly nothing).
   * @throws INVALID_INPUT at `opts.after` for a position the backend cannot read, or one older
   *   than the feed keeps (the caller must re-list)
   */
  readChanges(request: ReadChangesRequest): Promise<StoredChange[]>;
}

export interface ReadChangesRequest {
  after: string;
  limit: number;
  waitMs: number;
  signal: AbortSignal;
}

/** A checked watch filter: a checked `TaskFilter` and the task id, if one is named. */
export interface NormalizedWatchFilter extends NormalizedFilter {
  taskId: string | null;
}

function invalid(path: string, detail: string): never {
  throw taskStoreError('watch', 'INVALID_INPUT', { path, detail });
}

const WATCH_FILTER_KEYS = ['status', 'sessionId', 'userId', 'createdAfter', 'createdBefore', 'taskId'];

/** Checks a watch filter. @throws TaskStoreError INVALID_INPUT naming the field */
export function validateWatchFilter(filter: unknown): NormalizedWatchFilter {
  const base = validateFilter('watch', filter ?? undefined, WATCH_FILTER_KEYS);
  const taskId = (filter as { taskId?: unknown } | null | undefined)?.taskId;
  return { ...base, taskId: taskId === undefined ? null : checkId('watch', 'filter.taskId', taskId) };
}

/** Checks watch options. @throws TaskStoreError INVALID_INPUT naming the field */
export function validateWatchOptions(opts: unknown): { after: string | null; signal: AbortSignal | null } {
  if (opts === undefined || opts === null) return { after: null, signal: null };
  if (typeof opts !== 'object') invalid('opts', 'must be an object');
  const o = opts as WatchOptions;
  let after: string | null = null;
  if (o.after !== undefined) {
    if (typeof o.after !== 'string' || o.after === '' || o.after.length > 4096)
      invalid('opts.after', 'must be a change id (the `id` of a TaskChange)');
    after = o.after;
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    invalid('opts.signal', 'must be an AbortSignal');
  return { after, signal: o.signal ?? null };
}

/** True when `change` passes `filter`. */
export function changeMatches(filter: NormalizedWatchFilter, change: StoredChange): boolean {
  return (
    (filter.statuses === null || filter.statuses.includes(change.status)) &&
    (filter.taskId === null || filter.taskId === change.taskId) &&
    (filter.sessionId === null || filter.sessionId === change.sessionId) &&
    (filter.userId === null || filter.userId === change.userId) &&
    (filter.createdAfter === null || change.createdAt > filter.createdAfter) &&
    (filter.createdBefore === null || change.createdAt < filter.createdBefore)
  );
}

/** The public form of a stored change. */
export function publicChange(change: StoredChange): TaskChange {
  return {
    id: change.id,
    type: change.type,
    taskId: change.taskId,
    version: change.version,
    status: change.status,
    at: new Date(change.at),
  };
}
