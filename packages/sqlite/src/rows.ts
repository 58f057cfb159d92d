/**
 * A task row and the task it holds. `data` and `items` are JSON text in the stored form of core's
 * codec (item dates as epoch ms); reading checks the shape, so a damaged row is a CorruptRecord
 * (the store moves it aside) instead of a wrong answer later.
 */
import type { AgentTask, JsonObject, TaskItem } from '@taskvault/core';
import { CorruptRecord, itemToStored, taskFromStored, taskHeadSize } from '@taskvault/core/adapter';

/** A row of `taskvault_tasks` as better-sqlite3 returns it (columns the store reads). */
export interface TaskRow {
  task_id: string;
  status: string;
  session_id: string | null;
  user_id: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  version: number;
  data: string;
  items: string;
}

/** The columns of a task row, for SELECTs. */
export const TASK_COLUMNS =
  'task_id, status, session_id, user_id, created_at, updated_at, expires_at, version, data, items';

function parseColumn(text: unknown, column: string): unknown {
  if (typeof text !== 'string') throw new CorruptRecord(`${column} is not text`);
  try {
    return JSON.parse(text);
  } catch {
    throw new CorruptRecord(`${column} is not valid JSON`);
  }
}

/** The task a row holds. @throws CorruptRecord */
export function taskFromRow(row: TaskRow): AgentTask {
  return taskFromStored(
    {
      taskId: row.task_id,
      status: row.status,
      sessionId: row.session_id,
      userId: row.user_id,
      items: parseColumn(row.items, 'items'),
      data: parseColumn(row.data, 'data'),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      expiresAt: row.expires_at,
      version: row.version,
    },
    row.task_id,
  );
}

/** JSON text of items in their stored form. */
export function itemsJson(items: readonly TaskItem[]): string {
  return JSON.stringify(items.map(itemToStored));
}

/** JSON text of a data object. */
export function dataJson(data: JsonObject): string {
  return JSON.stringify(data);
}

/**
 * `stored` (a JSON array) with `more` (a JSON array) appended, as text: the stored items are not
 * parsed or printed again.
 */
export function appendJsonArray(stored: string, more: string): string {
  if (more === '[]') return stored;
  if (stored === '[]') return more;
  return `${stored.slice(0, -1)},${more.slice(1)}`;
}

/**
 * The exact size of a task as `maxTaskBytes` counts it (core's `taskSize`), from its head and the
 * JSON text of its items and data: the text is what the store writes, so its UTF-8 length is the
 * figure, with the items' brackets (counted in the head's frame) taken off.
 */
export function storedSize(head: Omit<AgentTask, 'items' | 'data'>, items: string, data: string): number {
  return taskHeadSize(head) + Buffer.byteLength(items) - 2 + Buffer.byteLength(data);
}

/** The distinct request ids of items, in first-seen order. */
export function requestIdsOf(items: readonly TaskItem[]): string[] {
  const seen = new Set<string>();
  for (const item of items) seen.add(item.requestId);
  return [...seen];
}
