/**
 * `SqliteTaskStore`: the TaskStore contract in one SQLite file, on better-sqlite3. Every write
 * is one `BEGIN IMMEDIATE` transaction (see writes.ts); reads are single statements on WAL
 * snapshots; validation, cursors, error shapes and the background sweeper's timer come from
 * core's TaskStoreBase (its lease and batches: sweep-lease.ts).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AgentTask, TaskStoreError } from '@taskvault/core';
import {
  type CleanupRequest,
  CorruptRecord,
  type NormalizedFilter,
  type NormalizedListQuery,
  type PatchRequest,
  type ReadChangesRequest,
  type ReplaceRequest,
  type RestoreBatchResult,
  type RestoreRequest,
  type StoredChange,
  type SweepBatchRequest,
  type SweepLeaseRequest,
  TaskStoreBase,
  type TaskStoreOperation,
  taskStoreError,
  type VerifyRequest,
} from '@taskvault/core/adapter';
import Database from 'better-sqlite3';
import { wrapDriverError } from './driver-errors.js';
import { feedEnd, readChanges } from './feed.js';
import { cleanupRows, clearRows, moveAside } from './maintenance.js';
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
import { acquireLease, releaseLease, sweepBatch } from './sweep-lease.js';
import { type LiveUntilOf, NamespaceTable } from './table.js';
import { verifyNamespace } from './verify-walk.js';
import { deleteTask, insertTask, patchTask, replaceTask, restoreTasks, type WriteOutcome } from './writes.js';

/** How long giving the sweep lease up at close may wait for the write lock, ms. */
const RELEASE_WAIT_MS = 250;
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
  /** The live-until instant of a task this store writes (its expiry or retention deadline). */
  readonly #liveUntil: LiveUntilOf = (task) =>
    this.liveUntil(task.status, task.updatedAt.getTime(), task.expiresAt?.getTime() ?? null);

  /** @throws TaskStoreConfigError CONFIG_INVALID */
  constructor(options: SqliteTaskStoreOptions) {
    // checked before the base class starts the sweeper's timer, which a throw here would strand
    const settings = resolveOptions(options);
    super({ ...options, sweep: settings.sweep });
    this.#settings = settings;
    this.#given = options.database;
    this.path = options.database === undefined ? (options.path as string) : null;
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
    this.#table ??= new NamespaceTable(db, this.namespace, this.changeFeedRetainMs);
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
    return this.#written(
      'create',
      task.taskId,
      insertTask(this.#ready(), task, this.#now(), this.#liveUntil),
    );
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
    const outcome = replaceTask(this.#ready(), request, this.#liveUntil);
    return this.#written('update', request.replacement.taskId, outcome, request.expectedVersion);
  }

  protected async patchTask(request: PatchRequest): Promise<AgentTask> {
    const outcome = patchTask(this.#ready(), request, this.maxTaskBytes, this.#liveUntil);
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
    const { cutoff, includeActive, now, onBatch } = request;
    return cleanupRows(this.#ready(), cutoff, includeActive, now.getTime(), onBatch);
  }

  protected async clearTasks(): Promise<number> {
    return clearRows(this.#ready(), this.#now());
  }

  protected async restoreTasks(request: RestoreRequest): Promise<RestoreBatchResult> {
    return restoreTasks(this.#ready(), request, this.#liveUntil, (taskId, detail) =>
      this.reportCorrupt('restore', taskId, detail, QUARANTINE),
    );
  }

  protected async verifyTasks(request: VerifyRequest): Promise<void> {
    verifyNamespace(this.#ready(), request, this.#liveUntil, (taskId, detail) =>
      this.reportCorrupt('verify', taskId, detail, QUARANTINE),
    );
  }

  /** The last change id handed out in the file (see feed.ts). */
  protected override async feedEnd(): Promise<string> {
    return feedEnd(this.#ready());
  }

  /**
   * The namespace's changes after `request.after`, waiting for some (polling the file for other
   * connections' commits, woken at once by this connection's) without ever taking the write lock.
   */
  protected override async readChanges(request: ReadChangesRequest): Promise<StoredChange[]> {
    return readChanges(this.#ready(), request);
  }

  /** Opens the file if need be, reads it, and checks the store's tables are there. */
  protected async ping(): Promise<void> {
    const db = this.#settings.autoMigrate ? this.#ready().db : this.#connection();
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    // a missing index costs speed; a missing table or column fails calls
    const missing = missingObjects(db, MIGRATIONS).filter((o) => o.kind !== 'index');
    if (missing.length > 0) {
      throw taskStoreError('healthCheck', 'BACKEND_ERROR', {
        backend: 'sqlite',
        detail: `${missing.map((o) => `${o.kind} ${o.name}`).join(', ')} missing; run store.migrate() to create them`,
      });
    }
  }

  /**
   * Runs a step of the background sweeper without waiting for the write lock: better-sqlite3
   * waits on the calling thread, and a background sweep must not block the application's event
   * loop behind another connection's writer, so it tries once (SQLITE_BUSY otherwise: the
   * sweeper notes it and tries again next tick), or waits `waitMs` at most. Null until the store
   * has been used: the sweeper never opens (or migrates) the file by itself.
   */
  #briefly<T>(step: (t: NamespaceTable) => T, waitMs = 0): T | null {
    const t = this.#table;
    if (t === null) return null;
    t.db.pragma(`busy_timeout = ${Math.min(waitMs, this.#settings.busyTimeoutMs)}`);
    try {
      return step(t);
    } finally {
      t.db.pragma(`busy_timeout = ${this.#settings.busyTimeoutMs}`);
    }
  }

  /**
   * Takes or renews the namespace's sweep lease (a row in the file; see sweep-lease.ts). Null
   * while another store holds it, or before this store has opened the file.
   * @throws SQLITE_BUSY (wrapped by the caller) when another connection holds the write lock
   */
  protected override async acquireSweepLease(request: SweepLeaseRequest): Promise<number | null> {
    return this.#briefly((t) => acquireLease(t, request.holder, request.leaseMs));
  }

  /**
   * One batch of the sweeper: up to `limit` rows past their live-until, in one transaction that
   * first checks the lease's token; null (nothing deleted) when the lease has moved on.
   * @throws SQLITE_BUSY (wrapped by the caller) when another connection holds the write lock
   */
  protected override async sweepDeadTasks(request: SweepBatchRequest): Promise<number | null> {
    // the sweeper runs its batches back to back: let the application's callbacks run between them
    await nextTurn();
    const { holder, token, now, limit } = request;
    return this.#briefly((t) => sweepBatch(t, holder, token, now.getTime(), limit));
  }

  /**
   * Gives the lease up at close, so another store takes over at its next tick. It waits a little
   * for the lock (a busy moment would otherwise leave the others waiting for the whole lease);
   * if even that fails, the lease simply runs out.
   */
  protected override async releaseSweepLease(request: { holder: string; token: number }): Promise<void> {
    this.#briefly((t) => releaseLease(t, request.holder, request.token), RELEASE_WAIT_MS);
  }

  protected async closeBackend(): Promise<void> {
    if (this.#given === undefined) this.#db?.close();
  }

  protected wrapError(operation: TaskStoreOperation, error: unknown, taskId?: string): TaskStoreError {
    const message = (error as Error | null)?.message ?? '';
    if (/no such table: (taskvault_|sqlite_sequence)|no (such )?column( named)?:? live_until/.test(message)) {
      // dropped behind the store, or never made or brought up to date (autoMigrate off; no
      // sqlite_sequence: no AUTOINCREMENT table yet, so 0003-changes has not run): let the
      // next call migrate
      this.#migrated = false;
      return taskStoreError(operation, 'BACKEND_ERROR', {
        backend: 'sqlite',
        taskId,
        detail:
          message.startsWith('no such table') && !/taskvault_changes|sqlite_sequence/.test(message)
            ? 'the taskvault tables are missing: run store.migrate(), enable autoMigrate, or apply store.migrationSql()'
            : 'the taskvault schema is older than this version of the store: run store.migrate() or enable autoMigrate',
        cause: error,
      });
    }
    return wrapDriverError(operation, error, taskId);
  }
}
