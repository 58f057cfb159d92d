/**
 * `SqliteTaskStore`: the TaskStore contract in one SQLite file, on better-sqlite3. Every write
 * is one `BEGIN IMMEDIATE` transaction (see writes.ts); reads are single statements on WAL
 * snapshots; validation, cursors and error shapes come from core's TaskStoreBase.
 */
import type { AgentTask, TaskStoreError } from '@taskvault/core';
import {
  type CleanupRequest,
  CorruptRecord,
  type NormalizedFilter,
  type NormalizedListQuery,
  type PatchRequest,
  type ReplaceRequest,
  type RestoreBatchResult,
  type RestoreRequest,
  TaskStoreBase,
  type TaskStoreOperation,
  taskStoreError,
  type VerifyRequest,
} from '@taskvault/core/adapter';
import Database from 'better-sqlite3';
import { wrapDriverError } from './driver-errors.js';
import { cleanupRows, clearRows, deleteExpired, moveAside } from './maintenance.js';
import { MIGRATIONS } from './migrations/index.js';
import {
  type MigrateOptions,
  type MigrateResult,
  migrationScript,
  missingObjects,
  runMigrations,
} from './migrator.js';
import { type ResolvedSqliteOptions, resolveOptions, type SqliteTaskStoreOptions } from './options.js';
import { countActiveRows, countRows, listRows, readRow, readRowByRequestId } from './reads.js';
import { type TaskRow, taskFromRow } from './rows.js';
import { NamespaceTable } from './table.js';
import { verifyNamespace } from './verify-walk.js';
import { deleteTask, insertTask, patchTask, replaceTask, restoreTasks, type WriteOutcome } from './writes.js';

/** Batches one background sweep may delete; the next tick continues. */
const SWEEP_MAX_BATCHES = 10;
/** Where moved-aside rows go, for reports. */
const QUARANTINE = 'taskvault_quarantine';

/**
 * A TaskStore in one SQLite file (or `:memory:`). Several stores, in this process or others, may
 * share one file: SQLite's locking serialises their writes; a call that waits for the lock longer
 * than `busyTimeoutMs` rejects with `BACKEND_UNAVAILABLE` (nothing written), never hangs.
 *
 * Every method rejects with a `TaskStoreError`: `BACKEND_UNAVAILABLE` (lock not obtained in time,
 * file cannot be opened), `CORRUPT_DATA` for a row that holds no task (moved to the
 * `taskvault_quarantine` table) or a damaged file, `BACKEND_ERROR` for any other SQLite error
 * (disk full, I/O error, read-only file), each with a detail saying which.
 */
export class SqliteTaskStore extends TaskStoreBase {
  readonly backend = 'sqlite';
  /** The file this store opened, or `null` when it was given a `database`. */
  readonly path: string | null;
  readonly #settings: ResolvedSqliteOptions;
  readonly #given: Database.Database | undefined;
  #db: Database.Database | null = null;
  #table: NamespaceTable | null = null;
  #migrated = false;
  #sweeper: NodeJS.Timeout | null = null;

  /** @throws TaskStoreConfigError CONFIG_INVALID */
  constructor(options: SqliteTaskStoreOptions) {
    super(options);
    this.#settings = resolveOptions(options);
    this.#given = options.database;
    this.path = options.database === undefined ? (options.path as string) : null;
    if (this.#settings.sweepIntervalMs > 0) {
      this.#sweeper = setInterval(() => this.#sweep(), this.#settings.sweepIntervalMs);
      this.#sweeper.unref();
    }
  }

  /** The connection, opened and set up on first use (a failed open is retried by the next call). */
  #connection(): Database.Database {
    if (this.#db !== null) return this.#db;
    const s = this.#settings;
    const db = this.#given ?? new Database(this.path as string, { timeout: s.busyTimeoutMs });
    try {
      db.pragma(`busy_timeout = ${s.busyTimeoutMs}`);
      // WAL: readers never wait for the writer, and a commit is one append to the log.
      // (`:memory:` databases have no log; they keep journal_mode=memory.)
      if (!db.memory) db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${s.synchronous}`);
    } catch (error) {
      if (this.#given === undefined) db.close();
      throw error;
    }
    this.#db = db;
    return db;
  }

  /** The namespace's table, once the file is open and (with autoMigrate) migrated. */
  #ready(): NamespaceTable {
    const db = this.#connection();
    if (!this.#migrated && this.#settings.autoMigrate) {
      runMigrations(db);
      this.#migrated = true;
    }
    this.#table ??= new NamespaceTable(db, this.namespace);
    return this.#table;
  }

  #now(): number {
    return this.now().getTime();
  }

  /**
   * Runs pending migrations now (for deploy steps; with `autoMigrate` the first call does it), and
   * re-creates any table or index of a recorded migration that was dropped. Safe from many
   * processes at once: one takes the write lock and migrates, the others then find nothing to do.
   * @throws TaskStoreError STORE_CLOSED, BACKEND_UNAVAILABLE, BACKEND_ERROR (operation `migrate`)
   */
  async migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
    return this.run('migrate', undefined, async () => {
      const result = runMigrations(this.#connection(), options);
      this.#migrated = true;
      return result;
    });
  }

  /** The DDL of every migration as one script (for your own migration tool); opens nothing. */
  migrationSql(): string {
    return migrationScript();
  }

  /** Reports a row moved to the quarantine; returns the CORRUPT_DATA error for it. */
  #aside(operation: TaskStoreOperation, taskId: string, detail: string): TaskStoreError {
    this.reportCorrupt(operation, taskId, detail, QUARANTINE);
    return taskStoreError(operation, 'CORRUPT_DATA', { taskId, detail });
  }

  /** The task of a row read outside a write; a row that holds no task is moved aside first. */
  #taskOrAside(operation: TaskStoreOperation, t: NamespaceTable, row: TaskRow): AgentTask | null {
    try {
      return taskFromRow(row);
    } catch (error) {
      if (!(error instanceof CorruptRecord)) throw error;
      moveAside(t, row.task_id, error.detail, this.#now());
      this.#aside(operation, row.task_id, error.detail);
      return null;
    }
  }

  /** The result of a write, or the error its outcome stands for. */
  #written<T>(
    operation: 'create' | 'update' | 'patch' | 'delete',
    taskId: string,
    outcome: WriteOutcome<T>,
    expectedVersion?: number | null,
  ): T {
    switch (outcome.kind) {
      case 'written':
        return outcome.task;
      case 'exists':
        throw taskStoreError(operation, 'TASK_EXISTS', { taskId });
      case 'missing':
        throw taskStoreError(operation, 'TASK_NOT_FOUND', { taskId });
      case 'conflict':
        throw taskStoreError(operation, 'VERSION_CONFLICT', {
          taskId,
          expectedVersion: expectedVersion ?? undefined,
          actualVersion: outcome.actualVersion,
        });
      case 'corrupt':
        throw this.#aside(operation, taskId, outcome.detail);
      case 'too-large':
        throw taskStoreError(operation, 'INVALID_INPUT', {
          taskId,
          path: 'task',
          detail: `serialized size ${outcome.bytes} bytes after this patch would exceed maxTaskBytes ${this.maxTaskBytes}; move large blobs out of the task`,
        });
    }
  }

  protected async insertTask(task: AgentTask): Promise<AgentTask> {
    return this.#written('create', task.taskId, insertTask(this.#ready(), task, this.#now()));
  }

  protected async readTask(taskId: string): Promise<AgentTask | null> {
    const t = this.#ready();
    const row = readRow(t, taskId, this.#now());
    if (row === undefined) return null;
    try {
      return taskFromRow(row);
    } catch (error) {
      if (!(error instanceof CorruptRecord)) throw error;
      moveAside(t, taskId, error.detail, this.#now());
      throw this.#aside('load', taskId, error.detail);
    }
  }

  protected async replaceTask(request: ReplaceRequest): Promise<AgentTask> {
    const outcome = replaceTask(this.#ready(), request);
    return this.#written('update', request.replacement.taskId, outcome, request.expectedVersion);
  }

  protected async patchTask(request: PatchRequest): Promise<AgentTask> {
    const outcome = patchTask(this.#ready(), request, this.maxTaskBytes);
    return this.#written('patch', request.taskId, outcome, request.expectedVersion);
  }

  protected async deleteTask(taskId: string): Promise<void> {
    this.#written('delete', taskId, deleteTask(this.#ready(), taskId, this.#now()));
  }

  protected async readByRequestId(requestId: string): Promise<AgentTask | null> {
    const t = this.#ready();
    for (;;) {
      const row = readRowByRequestId(t, requestId, this.#now());
      if (row === undefined) return null;
      const task = this.#taskOrAside('loadByRequestId', t, row);
      if (task !== null) return task;
      // moved aside and reported: the next holder answers
    }
  }

  protected async listTasks(query: NormalizedListQuery): Promise<AgentTask[]> {
    const t = this.#ready();
    for (;;) {
      const rows = listRows(t, query, this.#now());
      const tasks: AgentTask[] = [];
      for (const row of rows) {
        const task = this.#taskOrAside('list', t, row);
        if (task !== null) tasks.push(task);
      }
      // a page that met an unreadable row is read again without it (each round moves one aside)
      if (tasks.length === rows.length) return tasks;
    }
  }

  protected async countTasks(filter: NormalizedFilter): Promise<number> {
    return countRows(this.#ready(), filter, this.#now());
  }

  protected async countActiveTasks(): Promise<number> {
    return countActiveRows(this.#ready(), this.#now());
  }

  protected async cleanupTasks(request: CleanupRequest): Promise<number> {
    return cleanupRows(this.#ready(), request.cutoff, request.includeActive, request.now.getTime());
  }

  protected async clearTasks(): Promise<number> {
    return clearRows(this.#ready(), this.#now());
  }

  protected async restoreTasks(request: RestoreRequest): Promise<RestoreBatchResult> {
    return restoreTasks(this.#ready(), request, (taskId, detail) =>
      this.reportCorrupt('restore', taskId, detail, QUARANTINE),
    );
  }

  protected async verifyTasks(request: VerifyRequest): Promise<void> {
    verifyNamespace(this.#ready(), request, (taskId, detail) =>
      this.reportCorrupt('verify', taskId, detail, QUARANTINE),
    );
  }

  /** Opens the file if need be, reads it, and checks the store's tables are there. */
  protected async ping(): Promise<void> {
    const db = this.#settings.autoMigrate ? this.#ready().db : this.#connection();
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    const missing = missingObjects(db, MIGRATIONS).filter((o) => o.kind === 'table');
    if (missing.length > 0) {
      throw taskStoreError('healthCheck', 'BACKEND_ERROR', {
        backend: 'sqlite',
        detail: `tables missing: ${missing.map((o) => o.name).join(', ')}; run store.migrate() to create them`,
      });
    }
  }

  /** One background sweep of expired rows; skipped until the store has been used. */
  #sweep(): void {
    if (this.closed || this.#table === null) return;
    const db = this.#table.db;
    // better-sqlite3 waits for a lock on the calling thread: a background sweep must not block the
    // application's event loop behind another process's writer, so it tries once and moves on
    db.pragma('busy_timeout = 0');
    try {
      deleteExpired(this.#table, this.#now(), SWEEP_MAX_BATCHES);
    } catch {
      // busy or failing: the next tick tries again, and reads never count expired rows anyway
    } finally {
      db.pragma(`busy_timeout = ${this.#settings.busyTimeoutMs}`);
    }
  }

  protected async closeBackend(): Promise<void> {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    if (this.#given === undefined) this.#db?.close();
  }

  protected wrapError(operation: TaskStoreOperation, error: unknown, taskId?: string): TaskStoreError {
    if (/no such table: taskvault_/.test((error as Error | null)?.message ?? '')) {
      // dropped behind the store, or never made (autoMigrate off): let the next call migrate
      this.#migrated = false;
      return taskStoreError(operation, 'BACKEND_ERROR', {
        backend: 'sqlite',
        taskId,
        detail:
          'the taskvault tables are missing: run store.migrate(), enable autoMigrate, or apply store.migrationSql()',
        cause: error,
      });
    }
    return wrapDriverError(operation, error, taskId);
  }
}
