/**
 * Reading the change feed (core's `feedEnd` and `readChanges` hooks). A position is a change id
 * as text: ids come from one `AUTOINCREMENT` sequence for the whole file, handed out in commit
 * order (see migration 0003), so "after n" is `id > n` and the feed's end is the sequence's last
 * value, "0" before the first change. A reader never takes the write lock: it reads a WAL
 * snapshot, and while there is nothing new it waits on this connection's own commits (woken at
 * once) and polls `PRAGMA data_version` every {@link POLL_MS} for other connections' — a
 * statement that reads no table, so an idle watcher costs next to nothing.
 */
import type { TaskChangeType, TaskStatus } from '@taskvault/core';
import { type ReadChangesRequest, type StoredChange, taskStoreError } from '@taskvault/core/adapter';
import { onCommit } from './change-log.js';
import type { NamespaceTable } from './table.js';

/** How often a waiting reader looks for other connections' commits, ms. */
export const POLL_MS = 25;

interface ChangeRow {
  id: number;
  type: TaskChangeType;
  task_id: string;
  version: number;
  status: TaskStatus;
  at: number;
  session_id: string | null;
  user_id: string | null;
  created_at: number;
}

function badPosition(detail: string): never {
  throw taskStoreError('watch', 'INVALID_INPUT', { path: 'opts.after', detail });
}

/** The last change id handed out in the file ("0" before the first). */
export function feedEnd(t: NamespaceTable): string {
  return String(lastId(t));
}

function lastId(t: NamespaceTable): number {
  const seq = t.stmt("SELECT seq FROM sqlite_sequence WHERE name = 'taskvault_changes'").pluck().get();
  return typeof seq === 'number' ? seq : 0;
}

/** The number a position stands for. @throws INVALID_INPUT at opts.after when it is none */
function positionOf(after: string): number {
  const n = /^\d{1,16}$/.test(after) ? Number(after) : Number.NaN;
  if (!Number.isSafeInteger(n)) badPosition(`${JSON.stringify(after)} is not a change id of this feed`);
  return n;
}

/**
 * Up to `limit` changes of the namespace after `after`, in one read transaction (one snapshot),
 * so the checks and the rows agree: a trim committed in between cannot open a gap unseen.
 * @throws INVALID_INPUT at opts.after: an id the file never handed out, or one whose successors
 *   were trimmed
 */
function readAfter(t: NamespaceTable, after: number, limit: number): StoredChange[] {
  return t.db.transaction(() => {
    if (after > lastId(t))
      badPosition(`${after} is not a change id of this feed (it is past the feed's end)`);
    const through = t
      .stmt('SELECT through FROM taskvault_changes_trimmed WHERE namespace = ?')
      .pluck()
      .get(t.namespace) as number | undefined;
    if (through !== undefined && after < through)
      badPosition('that change is older than the feed keeps; list the tasks again, then watch from now');
    const rows = t
      .stmt(
        `SELECT id, type, task_id, version, status, at, session_id, user_id, created_at
         FROM taskvault_changes WHERE namespace = ? AND id > ? ORDER BY id LIMIT ?`,
      )
      .all(t.namespace, after, limit) as ChangeRow[];
    return rows.map(changeOf);
  })();
}

function changeOf(row: ChangeRow): StoredChange {
  return {
    id: String(row.id),
    type: row.type,
    taskId: row.task_id,
    version: row.version,
    status: row.status,
    at: row.at,
    sessionId: row.session_id,
    userId: row.user_id,
    createdAt: row.created_at,
  };
}

function dataVersion(t: NamespaceTable): number {
  return t.stmt('PRAGMA data_version').pluck().get() as number;
}

/**
 * Up to `request.limit` changes after `request.after`; with none, waits up to `request.waitMs`
 * (or until `request.signal`) for a commit that brings some.
 * @throws INVALID_INPUT at opts.after (see readAfter); the driver's errors (wrapped by the caller)
 */
export async function readChanges(t: NamespaceTable, request: ReadChangesRequest): Promise<StoredChange[]> {
  const after = positionOf(request.after);
  const deadline = performance.now() + request.waitMs;
  for (;;) {
    // taken before the read: a commit between the two only wakes the wait early
    const seen = dataVersion(t);
    const changes = readAfter(t, after, request.limit);
    if (changes.length > 0) return changes;
    const left = deadline - performance.now();
    if (left <= 0 || request.signal.aborted) return [];
    await nextCommit(t, seen, left, request.signal);
    if (request.signal.aborted) return [];
  }
}

/**
 * Resolves when a write on this connection commits a change, when another connection has
 * committed since `data_version` was `seen`, after `ms`, or when `signal` aborts.
 */
function nextCommit(t: NamespaceTable, seen: number, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + ms;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error?: unknown) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      stopListening();
      if (error === undefined) resolve();
      else reject(error);
    };
    const done = () => finish();
    const poll = () => {
      try {
        const left = deadline - performance.now();
        if (dataVersion(t) !== seen || left <= 0) return done();
        timer = setTimeout(poll, Math.min(POLL_MS, left));
        timer.unref?.();
      } catch (error) {
        finish(error);
      }
    };
    const stopListening = onCommit(t.db, done);
    signal.addEventListener('abort', done, { once: true });
    timer = setTimeout(poll, Math.min(POLL_MS, ms));
    timer.unref?.();
  });
}
