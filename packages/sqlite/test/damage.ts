/** The conformance suite's `damage` for SQLite: the task's row is edited so it holds no task. */
import type { TaskStore } from '@taskvault/core';
import Database from 'better-sqlite3';
import { SqliteTaskStore } from '../src/index.js';

/** Edits the row through a connection of its own, as another process or a stray write would. */
export async function damageSqliteTask(store: TaskStore, taskId: string): Promise<void> {
  if (!(store instanceof SqliteTaskStore) || store.path === null)
    throw new Error('not a file-backed SqliteTaskStore');
  const db = new Database(store.path, { timeout: 5000 });
  try {
    const result = db
      .prepare(`UPDATE taskvault_tasks SET items = '"not an item list"' WHERE namespace = ? AND task_id = ?`)
      .run(store.namespace, taskId);
    if (result.changes !== 1) throw new Error(`no row for task ${taskId} to damage`);
  } finally {
    db.close();
  }
}
