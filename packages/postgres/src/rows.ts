/**
 * A task row <-> an AgentTask. Dates are stored as epoch milliseconds (bigint): exact, no
 * time-zone or precision conversion on either side, and the same integers the cursor carries.
 * `data` and `items` are jsonb. Reading checks the whole shape through core's codec, so a row
 * damaged outside the store is reported as CORRUPT_DATA instead of misbehaving later.
 */
import type { AgentTask, TaskItem } from '@taskvault/core';
import { itemToStored, type StoredItem, type TaskReplacement, taskFromStored } from '@taskvault/core/adapter';
import { createdBytes, dataWithSizes, replacedBytes } from './sizes.js';

/** The columns of a task row the store reads. */
export interface TaskRow {
  task_id: string;
  status: string;
  session_id: string | null;
  user_id: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  version: number;
  data: unknown;
  items: unknown;
}

/** The columns selected wherever a whole task is read. */
export const TASK_COLUMNS = [
  'task_id',
  'status',
  'session_id',
  'user_id',
  'created_at',
  'updated_at',
  'expires_at',
  'version',
  'data',
  'items',
] as const;

/** Builds the task of a row. @throws CorruptRecord when the row does not hold a valid task */
export function taskFromRow(row: TaskRow): AgentTask {
  return taskFromStored({
    taskId: row.task_id,
    status: row.status,
    sessionId: row.session_id,
    userId: row.user_id,
    items: row.items,
    data: row.data,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    version: row.version,
  });
}

/** Distinct request ids of `items`, in first-seen order: the task's request-id index entries. */
export function requestIdsOf(items: readonly TaskItem[]): string[] {
  const seen = new Set<string>();
  for (const item of items) seen.add(item.requestId);
  return [...seen];
}

/** JSON text of items in their stored form. */
export function itemsJson(items: readonly TaskItem[]): string {
  const stored: StoredItem[] = items.map(itemToStored);
  return JSON.stringify(stored);
}

/** Epoch ms of a nullable date. */
export function msOrNull(date: Date | null): number | null {
  return date === null ? null : date.getTime();
}

/**
 * The column values `create` writes. `retainUntil`: `updatedAt` + the retention of the task's
 * status under the store's policy, or null (see migration 0004).
 */
export function insertValues(namespace: string, task: AgentTask, retainUntil: number | null) {
  const items = itemsJson(task.items);
  const data = dataWithSizes(task.data);
  return {
    namespace,
    task_id: task.taskId,
    status: task.status,
    session_id: task.sessionId,
    user_id: task.userId,
    created_at: task.createdAt.getTime(),
    updated_at: task.updatedAt.getTime(),
    expires_at: msOrNull(task.expiresAt),
    retain_until: retainUntil,
    version: task.version,
    request_ids: requestIdsOf(task.items),
    data: data.json,
    items,
    bytes: createdBytes(task, items, data.json),
    data_sizes: JSON.stringify(data.sizes),
  };
}

/**
 * The column values `update` writes (version and updated_at are set in SQL), and `bytes_base`:
 * the task's size but for the digits of created_at and version, which the server adds.
 * `retainUntil` as for {@link insertValues}, from `nowMs`, the new updated_at.
 */
export function replacementValues(replacement: TaskReplacement, nowMs: number, retainUntil: number | null) {
  const items = itemsJson(replacement.items);
  const data = dataWithSizes(replacement.data);
  return {
    status: replacement.status,
    session_id: replacement.sessionId,
    user_id: replacement.userId,
    expires_at: msOrNull(replacement.expiresAt),
    retain_until: retainUntil,
    request_ids: requestIdsOf(replacement.items),
    data: data.json,
    items,
    bytes_base: replacedBytes(replacement, nowMs, items, data.json),
    data_sizes: JSON.stringify(data.sizes),
  };
}
