/**
 * The row-level steps every write is made of, on one namespace: find a row, insert a task with
 * its request-id entries and counter, remove a row with its entries and counter, move a row to the
 * quarantine. They run inside a transaction the caller opened (see `NamespaceTable.write`), so a
 * task and its index entries always change together. Statements are prepared once per SQL text.
 */
import type { AgentTask } from '@taskvault/core';
import type Database from 'better-sqlite3';
import { type ChangeSource, type ChangeType, recordChange, trimChanges, wakeReaders } from './change-log.js';
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

/** What removing a row needs of it: its rowid, and what its `deleted` or `expired` change says. */
export type Victim = Pick<
  StoredRow,
  'id' | 'task_id' | 'status' | 'version' | 'session_id' | 'user_id' | 'created_at'
>;

/** The columns of a {@link Victim}, for SELECTs. */
export const VICTIM_COLUMNS = 'id, task_id, status, version, session_id, user_id, created_at';

export class NamespaceTable {
  readonly #statements = new Map<string, Database.Statement>();
  /** The latest `at` of a change the running write recorded, or null while it recorded none. */
  #recordedAt: number | null = null;
  /**
   * Before this instant (epoch ms) no change of the namespace is old enough to trim, as far as
   * this store last looked: writes until then skip the trimming step without a statement.
   */
  trimDueAt = 0;

  /** `retainMs`: how long the namespace's changes are kept (the store's `changeFeed.retainMs`). */
  constructor(
    readonly db: Database.Database,
    readonly namespace: string,
    readonly retainMs: number,
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
    let recorded = false;
    const result = this.db
      .transaction(() => {
        this.#recordedAt = null;
        const value = fn();
        const at = this.#recordedAt;
        if (at !== null) {
          recorded = true;
          // the feed's oldest changes go in the same transaction: its write lock is held already
          trimChanges(this, at);
        }
        return value;
      })
      .immediate();
    if (recorded) wakeReaders(this.db);
    return result;
  }

  /** Records a change of the namespace, in the running write's transaction. */
  record(type: ChangeType, source: ChangeSource, at: number): void {
    recordChange(this, type, source, at);
    if (this.#recordedAt === null || at > this.#recordedAt) this.#recordedAt = at;
  }

  /** Records a change of `task` as it now is (created, or updated). */
  recordTask(type: ChangeType, task: AgentTask, at: number): void {
    this.record(
      type,
      {
        task_id: task.taskId,
        version: task.version,
        status: task.status,
        session_id: task.sessionId,
        user_id: task.userId,
        created_at: task.createdAt.getTime(),
      },
      at,
    );
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

  /**
   * Removes a row, every index entry of its task id, and its count; records `change` at `at`
   * (null: records nothing, for a row a restore replaces, which records `updated`).
   */
  remove(row: Victim, change: 'deleted' | 'expired' | null, at: number): void {
    this.stmt('DELETE FROM taskvault_tasks WHERE id = ?').run(row.id);
    if (change !== null) this.record(change, row, at);
    this.stmt('DELETE FROM taskvault_requests WHERE namespace = ? AND task_id = ?').run(
      this.namespace,
      row.task_id,
    );
    this.count(row.status, -1);
  }

  /** Moves a row to the quarantine table (all its columns as JSON) and removes it: a `deleted` change. */
  quarantine(row: StoredRow, detail: string, now: number): void {
    const { id: _id, ...columns } = row;
    this.stmt(
      `INSERT INTO taskvault_quarantine (namespace, task_id, reason, quarantined_at, row_data)
       VALUES (?, ?, ?, ?, ?)`,
    ).run(this.namespace, row.task_id, detail, now, JSON.stringify(columns));
    this.remove(row, 'deleted', now);
  }
}

/** True when a row live until `liveUntil` is live at `now` (epoch ms). */
export function isLive(liveUntil: number | null, now: number): boolean {
  return liveUntil === null || liveUntil > now;
}
