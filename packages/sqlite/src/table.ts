/**
 * The row-level steps every write is made of, on one namespace: find a row, insert a task with
 * its request-id entries and counter, remove a row with its entries and counter, move a row to the
 * quarantine. They run inside a transaction the caller opened (see `NamespaceTable.write`), so a
 * task and its index entries always change together. Statements are prepared once per SQL text.
 */
import type { AgentTask } from '@taskvault/core';
import type Database from 'better-sqlite3';
import { dataJson, itemsJson, requestIdsOf, TASK_COLUMNS, type TaskRow } from './rows.js';

/** A task row with its rowid and live-until instant, as the write steps read it. */
export interface StoredRow extends TaskRow {
  id: number;
  /** Epoch ms past which the task no longer exists (its expiry or retention), or null. */
  live_until: number | null;
}

/**
 * The live-until instant of a task as this store writes it: the earlier of its `expiresAt` and its
 * retention deadline (core's `liveUntil` under the store's policy).
 */
export type LiveUntilOf = (task: Pick<AgentTask, 'status' | 'updatedAt' | 'expiresAt'>) => number | null;

export class NamespaceTable {
  readonly #statements = new Map<string, Database.Statement>();

  constructor(
    readonly db: Database.Database,
    readonly namespace: string,
  ) {}

  /** The prepared statement of `sql`, made once. */
  stmt(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /**
   * Runs `fn` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front (waiting up to
   * the busy timeout), so the reads inside see the latest commit and nothing can change under
   * them. A throw rolls everything back.
   */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** The row of `taskId`, live or expired. */
  find(taskId: string): StoredRow | undefined {
    return this.stmt(
      `SELECT id, live_until, ${TASK_COLUMNS} FROM taskvault_tasks WHERE namespace = ? AND task_id = ?`,
    ).get(this.namespace, taskId) as StoredRow | undefined;
  }

  /** Adds `delta` to the counter of `status`. */
  count(status: string, delta: number): void {
    this.stmt(
      `INSERT INTO taskvault_counts (namespace, status, n) VALUES (?, ?, ?)
       ON CONFLICT (namespace, status) DO UPDATE SET n = n + excluded.n`,
    ).run(this.namespace, status, delta);
  }

  /** Adds index entries of `requestIds` for a task created at `createdAt`. */
  addRequests(taskId: string, createdAt: number, requestIds: Iterable<string>): void {
    const add = this.stmt(
      'INSERT OR IGNORE INTO taskvault_requests (namespace, request_id, created_at, task_id) VALUES (?, ?, ?, ?)',
    );
    for (const id of requestIds) add.run(this.namespace, id, createdAt, taskId);
  }

  /**
   * Stores a task live until `liveUntil` (epoch ms or null) with its index entries and counter;
   * items and data as given text, or printed.
   */
  insert(
    task: AgentTask,
    liveUntil: number | null,
    items: string = itemsJson(task.items),
    data: string = dataJson(task.data),
  ): void {
    this.stmt(
      `INSERT INTO taskvault_tasks (namespace, live_until, ${TASK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      this.namespace,
      liveUntil,
      task.taskId,
      task.status,
      task.sessionId,
      task.userId,
      task.createdAt.getTime(),
      task.updatedAt.getTime(),
      task.expiresAt === null ? null : task.expiresAt.getTime(),
      task.version,
      data,
      items,
    );
    this.addRequests(task.taskId, task.createdAt.getTime(), requestIdsOf(task.items));
    this.count(task.status, 1);
  }

  /** Removes a row, every index entry of its task id, and its count. */
  remove(row: Pick<StoredRow, 'id' | 'task_id' | 'status'>): void {
    this.stmt('DELETE FROM taskvault_tasks WHERE id = ?').run(row.id);
    this.stmt('DELETE FROM taskvault_requests WHERE namespace = ? AND task_id = ?').run(
      this.namespace,
      row.task_id,
    );
    this.count(row.status, -1);
  }

  /** Moves a row to the quarantine table (all its columns as JSON) and removes it. */
  quarantine(row: StoredRow, detail: string, now: number): void {
    const { id: _id, ...columns } = row;
    this.stmt(
      `INSERT INTO taskvault_quarantine (namespace, task_id, reason, quarantined_at, row_data)
       VALUES (?, ?, ?, ?, ?)`,
    ).run(this.namespace, row.task_id, detail, now, JSON.stringify(columns));
    this.remove(row);
  }
}

/** True when a row live until `liveUntil` is live at `now` (epoch ms). */
export function isLive(liveUntil: number | null, now: number): boolean {
  return liveUntil === null || liveUntil > now;
}
