/**
 * The write hooks, each one `BEGIN IMMEDIATE` transaction: the row is read, checked and written
 * with its index entries and counter under SQLite's write lock, so no other connection (in this
 * process or another) can come between the read and the write. A row that does not hold a task
 * is moved to the quarantine in the same transaction, and the outcome says so; the store reports
 * it and rejects with CORRUPT_DATA. Each write stores the task's live-until instant (its expiry or,
 * earlier, its retention deadline) in the same statement as the task, and a row past its own is
 * treated as gone. Each records its change (see change-log.ts) in the same transaction.
 */
import type { AgentTask, JsonObject } from '@taskvault/core';
import {
  CorruptRecord,
  type PatchRequest,
  type ReplaceRequest,
  type RestoreBatchResult,
  type RestoreRequest,
  setOwnKey,
} from '@taskvault/core/adapter';
import { appendJsonArray, dataJson, itemsJson, requestIdsOf, storedSize, taskFromRow } from './rows.js';
import { isLive, type LiveUntilOf, type NamespaceTable, type StoredRow } from './table.js';

/** How a write ended, when it did not write. */
export type WriteOutcome<T> =
  | { kind: 'written'; task: T }
  | { kind: 'missing' }
  | { kind: 'exists' }
  | { kind: 'conflict'; actualVersion: number }
  | { kind: 'corrupt'; detail: string }
  | { kind: 'too-large'; bytes: number };

type Readable =
  | { kind: 'task'; row: StoredRow; task: AgentTask }
  | { kind: 'missing' }
  | { kind: 'corrupt'; detail: string };

/** The live task of `taskId` for a write; a row that holds no task is moved aside first. */
function readForWrite(t: NamespaceTable, taskId: string, now: number): Readable {
  const row = t.find(taskId);
  if (row === undefined || !isLive(row.live_until, now)) return { kind: 'missing' };
  try {
    return { kind: 'task', row, task: taskFromRow(row) };
  } catch (error) {
    if (!(error instanceof CorruptRecord)) throw error;
    t.quarantine(row, error.detail, now);
    return { kind: 'corrupt', detail: error.detail };
  }
}

/**
 * `create`: a live task with the id is TASK_EXISTS; one past its live-until (expired, or past its
 * retention) is replaced.
 */
export function insertTask(
  t: NamespaceTable,
  task: AgentTask,
  now: number,
  liveUntil: LiveUntilOf,
): WriteOutcome<AgentTask> {
  return t.write(() => {
    const row = t.find(task.taskId);
    if (row !== undefined) {
      if (isLive(row.live_until, now)) return { kind: 'exists' };
      t.remove(row, 'expired', now);
    }
    t.insert(task, liveUntil(task));
    t.recordTask('created', task, task.updatedAt.getTime());
    return { kind: 'written', task };
  });
}

/** `update`: replaces the fields, checking the version unless forced. */
export function replaceTask(
  t: NamespaceTable,
  request: ReplaceRequest,
  liveUntil: LiveUntilOf,
): WriteOutcome<AgentTask> {
  const { replacement: r, expectedVersion } = request;
  const now = request.now.getTime();
  return t.write(() => {
    const found = readForWrite(t, r.taskId, now);
    if (found.kind !== 'task') return found;
    const { row, task: previous } = found;
    if (expectedVersion !== null && previous.version !== expectedVersion) {
      return { kind: 'conflict', actualVersion: previous.version };
    }
    const task: AgentTask = {
      ...r,
      createdAt: previous.createdAt,
      updatedAt: new Date(Math.max(now, row.updated_at)),
      version: previous.version + 1,
    };
    t.stmt(
      `UPDATE taskvault_tasks SET status = ?, session_id = ?, user_id = ?, updated_at = ?, expires_at = ?,
         live_until = ?, version = ?, data = ?, items = ? WHERE id = ?`,
    ).run(
      task.status,
      task.sessionId,
      task.userId,
      task.updatedAt.getTime(),
      task.expiresAt === null ? null : task.expiresAt.getTime(),
      liveUntil(task),
      task.version,
      dataJson(task.data),
      itemsJson(task.items),
      row.id,
    );
    // Only the difference: entries of ids no item holds any more go, new ids come in.
    const next = new Set(requestIdsOf(task.items));
    const held = t
      .stmt('SELECT request_id FROM taskvault_requests WHERE namespace = ? AND task_id = ?')
      .pluck()
      .all(t.namespace, task.taskId) as string[];
    const drop = t.stmt(
      'DELETE FROM taskvault_requests WHERE namespace = ? AND request_id = ? AND task_id = ?',
    );
    for (const id of held) {
      if (next.has(id)) next.delete(id);
      else drop.run(t.namespace, id, task.taskId);
    }
    t.addRequests(task.taskId, row.created_at, next);
    if (previous.status !== task.status) {
      t.count(previous.status, -1);
      t.count(task.status, 1);
    }
    t.recordTask('updated', task, task.updatedAt.getTime());
    return { kind: 'written', task };
  });
}

/**
 * `patch`: merges data, appends items (as text: the stored items are not printed again), sets
 * fields. Only a patch that grows the task is held to `maxTaskBytes`: one near it can still shrink.
 */
export function patchTask(
  t: NamespaceTable,
  request: PatchRequest,
  maxTaskBytes: number,
  liveUntil: LiveUntilOf,
): WriteOutcome<AgentTask> {
  const { taskId, patch, expectedVersion } = request;
  const now = request.now.getTime();
  return t.write(() => {
    const found = readForWrite(t, taskId, now);
    if (found.kind !== 'task') return found;
    const { row, task: previous } = found;
    if (expectedVersion !== null && previous.version !== expectedVersion) {
      return { kind: 'conflict', actualVersion: previous.version };
    }
    let data: JsonObject = previous.data;
    let dataText = row.data;
    if (patch.data !== undefined) {
      data = { ...previous.data };
      for (const key in patch.data) setOwnKey(data, key, patch.data[key]!);
      dataText = dataJson(data);
    }
    const appended = patch.appendItems ?? [];
    const itemsText = appendJsonArray(row.items, itemsJson(appended));
    const task: AgentTask = {
      taskId,
      status: patch.status ?? previous.status,
      sessionId: patch.sessionId === undefined ? previous.sessionId : patch.sessionId,
      userId: patch.userId === undefined ? previous.userId : patch.userId,
      items: appended.length === 0 ? previous.items : previous.items.concat(appended),
      data,
      createdAt: previous.createdAt,
      updatedAt: new Date(Math.max(now, row.updated_at)),
      expiresAt: patch.expiresAt === undefined ? previous.expiresAt : patch.expiresAt,
      version: previous.version + 1,
    };
    const bytes = storedSize(task, itemsText, dataText);
    if (bytes > maxTaskBytes && bytes > storedSize(previous, row.items, row.data)) {
      return { kind: 'too-large', bytes };
    }
    t.stmt(
      `UPDATE taskvault_tasks SET status = ?, session_id = ?, user_id = ?, updated_at = ?, expires_at = ?,
         live_until = ?, version = ?, data = ?, items = ? WHERE id = ?`,
    ).run(
      task.status,
      task.sessionId,
      task.userId,
      task.updatedAt.getTime(),
      task.expiresAt === null ? null : task.expiresAt.getTime(),
      liveUntil(task),
      task.version,
      dataText,
      itemsText,
      row.id,
    );
    if (appended.length > 0) t.addRequests(taskId, row.created_at, requestIdsOf(appended));
    if (previous.status !== task.status) {
      t.count(previous.status, -1);
      t.count(task.status, 1);
    }
    t.recordTask('updated', task, task.updatedAt.getTime());
    return { kind: 'written', task };
  });
}

/** `delete`: the row, its index entries and its count go together. */
export function deleteTask(t: NamespaceTable, taskId: string, now: number): WriteOutcome<null> {
  return t.write(() => {
    const found = readForWrite(t, taskId, now);
    if (found.kind !== 'task') return found;
    t.remove(found.row, 'deleted', now);
    return { kind: 'written', task: null };
  });
}

/**
 * One `restore` batch in one transaction: each task exactly as given. A live task with the id is
 * kept, replaced, or stops the batch (`fail`: what came before it in the batch stays written). A
 * row that holds no task is moved aside, never overwritten; `onAside` hears of each.
 */
export function restoreTasks(
  t: NamespaceTable,
  request: RestoreRequest,
  liveUntil: LiveUntilOf,
  onAside: (taskId: string, detail: string) => void,
): RestoreBatchResult {
  const now = request.now.getTime();
  const aside: [string, string][] = [];
  const result = t.write(() => {
    const done: RestoreBatchResult = { restored: 0, replaced: 0, skipped: 0, conflict: null };
    for (const { task } of request.tasks) {
      let row = t.find(task.taskId);
      if (row !== undefined && !isLive(row.live_until, now)) {
        t.remove(row, 'expired', now);
        row = undefined;
      }
      if (row !== undefined) {
        try {
          taskFromRow(row);
        } catch (error) {
          if (!(error instanceof CorruptRecord)) throw error;
          t.quarantine(row, error.detail, now);
          aside.push([task.taskId, error.detail]);
          row = undefined;
        }
      }
      if (row === undefined) {
        done.restored++;
      } else if (request.onConflict === 'skip') {
        done.skipped++;
        continue;
      } else if (request.onConflict === 'fail') {
        done.conflict = task.taskId;
        return done;
      } else {
        // the replacement is one `updated` change, recorded below
        t.remove(row, null, now);
        done.replaced++;
      }
      t.insert(task, liveUntil(task));
      t.recordTask(row === undefined ? 'created' : 'updated', task, now);
    }
    return done;
  });
  for (const [taskId, detail] of aside) onAside(taskId, detail);
  return result;
}
