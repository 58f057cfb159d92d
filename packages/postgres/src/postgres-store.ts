/**
 * `PostgresTaskStore`: the TaskStore contract on PostgreSQL. Each hook is one SQL statement
 * (see queries/); validation, cursors, error shapes and the background sweeper come from core's
 * TaskStoreBase.
 */
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
  retentionOf,
  type StoredChange,
  type SweepBatchRequest,
  type SweepLeaseRequest,
  TaskStoreBase,
  type TaskStoreOperation,
  taskStoreError,
  type VerifyRequest,
} from '@taskvault/core/adapter';
import { Kysely, sql } from 'kysely';
import type pg from 'pg';
import { PgDialect } from './driver.js';
import { wrapDriverError } from './driver-errors.js';
import { feedEnd, type KnownHorizon, readChanges, trimChanges } from './feed.js';
import { type MigrateOptions, type MigrateResult, migrationScript, runMigrations } from './migrator.js';
import type { Naming } from './naming.js';
import {
  buildPool,
  type PostgresTaskStoreOptions,
  type ResolvedPostgresOptions,
  resolveOptions,
} from './options.js';
import { countActiveRows, countRows } from './queries/counts.js';
import { deleteTaskRow } from './queries/delete.js';
import { insertTaskRow } from './queries/insert.js';
import { cleanupRows, clearRows, quarantineRow } from './queries/maintenance.js';
import { patchTaskRow, type RetentionDurations } from './queries/patch.js';
import { listTaskRows, readRowByRequestId, readTaskRow } from './queries/reads.js';
import { replaceTaskRow } from './queries/replace.js';
import { acquireLease, releaseLease, sweepLeasedBatch } from './queries/sweep.js';
import { QueryLayer } from './queries/template.js';
import { type TaskRow, taskFromRow } from './rows.js';
import type { TaskvaultDatabase } from './schema.js';
import { TableNamesPlugin } from './table-names-plugin.js';
import { verifyNamespace } from './verify-walk.js';

/**
 * A TaskStore on PostgreSQL (`pg` + Kysely). Build it with a connection string (the store owns
 * and closes its pool) or with your `pg.Pool` (never ended by the store).
 *
 * Every method rejects with a `TaskStoreError`: `BACKEND_UNAVAILABLE` when the server cannot be
 * reached or does not answer within `statementTimeoutMs` / `connectionTimeoutMs` (a write that
 * failed so may or may not have been applied; it is never applied twice: the store does not
 * resend), `BACKEND_ERROR` for any other server error, `CORRUPT_DATA` for a row that does not hold
 * a task (the row is moved to the quarantine table).
 */
/** SQLSTATE undefined_table. */
const UNDEFINED_TABLE = '42P01';

export class PostgresTaskStore extends TaskStoreBase {
  readonly backend = 'postgres';
  /** Schema of the store's tables. */
  readonly schema: string;
  /** Prefix of the store's table names. */
  readonly tablePrefix: string;

  readonly #naming: Naming;
  readonly #settings: ResolvedPostgresOptions;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #db: Kysely<TaskvaultDatabase>;
  readonly #queries: QueryLayer;
  readonly #migrationDb: Kysely<unknown>;
  /** The policy's durations, as every patch passes them. */
  readonly #retentionDurations: RetentionDurations;
  /** The change feed's horizon this store has fixed (see feed.ts). */
  readonly #knownHorizon: KnownHorizon = { value: 0n };
  /** When the change feed is next worth trimming (epoch ms of the store's clock; 0: now). */
  #trimDueAt = 0;
  #migrated = false;
  #migrating: Promise<void> | null = null;
  #lastPoolError: Error | null = null;
  readonly #onPoolError = (error: Error) => {
    this.#lastPoolError = error;
  };

  /** @throws TaskStoreConfigError CONFIG_INVALID (or INVALID_INPUT for namespace, ttlMs, maxTaskBytes) */
  constructor(options: PostgresTaskStoreOptions) {
    // checked before the base class starts the sweeper: a store that fails here leaves no timer
    const settings = resolveOptions(options);
    super({ ...options, sweep: settings.sweep });
    this.#settings = settings;
    this.#retentionDurations = {
      completed: retentionOf(this.retention, 'completed'),
      failed: retentionOf(this.retention, 'failed'),
      cancelled: retentionOf(this.retention, 'cancelled'),
    };
    this.#naming = settings.naming;
    this.schema = settings.naming.schema;
    this.tablePrefix = settings.naming.prefix;
    this.#ownsPool = options.pool === undefined;
    this.#pool = options.pool ?? buildPool(options.connectionString as string, settings, options.poolOptions);
    // an idle client's error (server restarted, network cut) must never crash the process
    this.#pool.on('error', this.#onPoolError);
    const dialect = (queryTimeoutMs: number, prepare: boolean) =>
      new PgDialect({
        pool: this.#pool,
        acquireTimeoutMs: settings.connectionTimeoutMs,
        queryTimeoutMs,
        prepare,
        migrationLockKey: settings.naming.lockKey,
      });
    this.#db = new Kysely<TaskvaultDatabase>({
      dialect: dialect(settings.queryTimeoutMs, settings.preparedStatements),
      plugins: [new TableNamesPlugin(settings.naming)],
    });
    this.#queries = new QueryLayer(this.#db, settings.naming);
    this.#migrationDb = new Kysely<unknown>({ dialect: dialect(settings.migrationTimeoutMs + 1000, false) });
  }

  /**
   * The task's retention deadline, stored with it (`retain_until`): `updatedAtMs` + the retention
   * of `status`, or null. Its live-until instant is the earlier of this and its expiry.
   */
  #retainUntil(status: AgentTask['status'], updatedAtMs: number): number | null {
    const keep = retentionOf(this.retention, status);
    return keep === null ? null : updatedAtMs + keep;
  }

  /**
   * The last error an idle pooled connection raised (server restart, network cut), for
   * diagnostics. The pool has already dropped that connection; the next call makes a new one.
   */
  get lastPoolError(): Error | null {
    return this.#lastPoolError;
  }

  /** Same as `new PostgresTaskStore({ ...options, connectionString: url })`. */
  static fromUrl(
    url: string,
    options: Omit<PostgresTaskStoreOptions, 'connectionString' | 'pool'> = {},
  ): PostgresTaskStore {
    return new PostgresTaskStore({ ...options, connectionString: url });
  }

  /**
   * Runs pending migrations now (for deploy steps; with `autoMigrate` the first call does it).
   * Safe to run from many processes at once: an advisory lock lets one migrate, the others wait
   * and find nothing left. Reports each migration through `onProgress`.
   * @throws TaskStoreError STORE_CLOSED, BACKEND_UNAVAILABLE, BACKEND_ERROR (operation `migrate`)
   */
  async migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
    return this.run('migrate', undefined, async () => {
      const result = await runMigrations(
        this.#migrationDb,
        this.#naming,
        this.#settings.migrationTimeoutMs,
        options,
      );
      this.#migrated = true;
      return result;
    });
  }

  /** The DDL of every migration for this schema and prefix, as one script (for your own migration tool). */
  migrationSql(): string {
    return migrationScript(this.#naming);
  }

  /** Migrates once per store on first use; concurrent first calls share one run; a failed run is retried next call. */
  async #ensureMigrated(): Promise<void> {
    if (this.#migrated || !this.#settings.autoMigrate) return;
    this.#migrating ??= runMigrations(
      this.#migrationDb,
      this.#naming,
      this.#settings.migrationTimeoutMs,
    ).then(
      () => {
        this.#migrated = true;
      },
      (error: unknown) => {
        this.#migrating = null;
        throw error;
      },
    );
    await this.#migrating;
  }

  /** The query layer, once the schema is migrated. */
  async #ready(): Promise<QueryLayer> {
    if (!this.#migrated && this.#settings.autoMigrate) await this.#ensureMigrated();
    if (this.now().getTime() >= this.#trimDueAt) await this.#trimFeed();
    return this.#queries;
  }

  /**
   * Trims the namespace's change feed to `changeFeedRetainMs`, one bounded statement, and notes
   * when it is next due: when the oldest change kept passes the retention by an eighth of it
   * more (so one pass deletes a stretch of changes, not one per call), or at once after a full
   * batch. A schema without the feed's tables (migrate() not run yet) is left alone.
   */
  async #trimFeed(): Promise<void> {
    const now = this.now().getTime();
    const slack = Math.ceil(this.changeFeedRetainMs / 8);
    try {
      const { oldestKept, more } = await trimChanges(
        this.#queries,
        this.namespace,
        now - this.changeFeedRetainMs,
      );
      this.#trimDueAt = more ? 0 : (oldestKept ?? now) + this.changeFeedRetainMs + slack;
    } catch (error) {
      if ((error as { code?: unknown }).code !== UNDEFINED_TABLE) throw error;
      this.#trimDueAt = now + slack;
    }
  }

  protected override async feedEnd(): Promise<string> {
    const db = await this.#ready();
    return feedEnd(db, this.namespace, this.#knownHorizon);
  }

  protected override async readChanges(request: ReadChangesRequest): Promise<StoredChange[]> {
    const db = await this.#ready();
    return readChanges(db, this.namespace, this.#knownHorizon, request);
  }

  /** Where quarantined rows go, as `schema.table` (for reports). */
  get #quarantineTable(): string {
    return `${this.#naming.schema}.${this.#naming.quarantine}`;
  }

  /** Moves a row to the quarantine and tells the onCorrupt hook. */
  async #moveAside(operation: TaskStoreOperation, taskId: string, detail: string): Promise<void> {
    await quarantineRow(this.#queries, this.namespace, taskId, detail);
    this.reportCorrupt(operation, taskId, detail, this.#quarantineTable);
  }

  /** Builds the task of a row, or null after moving a row that is not a task aside (and reporting it). */
  async #taskOrAside(operation: TaskStoreOperation, row: TaskRow): Promise<AgentTask | null> {
    try {
      return taskFromRow(row);
    } catch (error) {
      if (!(error instanceof CorruptRecord)) throw error;
      await this.#moveAside(operation, row.task_id, error.detail);
      return null;
    }
  }

  /** Builds the task of a row; a row that is not a task is moved aside, reported, and CORRUPT_DATA. */
  async #toTask(operation: TaskStoreOperation, row: TaskRow): Promise<AgentTask> {
    try {
      return taskFromRow(row);
    } catch (error) {
      if (!(error instanceof CorruptRecord)) throw error;
      await this.#moveAside(operation, row.task_id, error.detail);
      throw taskStoreError(operation, 'CORRUPT_DATA', { taskId: row.task_id, detail: error.detail });
    }
  }

  /**
   * The error for a write that found a stored row which is not a task: the row is moved to the
   * quarantine (with the codec's reason when it has one) and CORRUPT_DATA is returned.
   */
  async #quarantineStored(operation: TaskStoreOperation, taskId: string): Promise<TaskStoreError> {
    const row = await readTaskRow(this.#queries, this.namespace, taskId, Number.MIN_SAFE_INTEGER);
    let detail = 'the stored row failed the server-side shape check';
    try {
      if (row !== undefined) taskFromRow(row);
    } catch (error) {
      if (!(error instanceof CorruptRecord)) throw error;
      detail = error.detail;
    }
    await this.#moveAside(operation, taskId, detail);
    return taskStoreError(operation, 'CORRUPT_DATA', { taskId, detail });
  }

  /**
   * Runs a read until it meets no unreadable row: each one met is moved aside and reported, then
   * the read runs again (the next holder, a full page). Each round moves at least one row.
   */
  async #readingPast<T>(
    operation: TaskStoreOperation,
    read: () => Promise<TaskRow[]>,
    build: (tasks: AgentTask[]) => T,
  ): Promise<T> {
    for (;;) {
      const rows = await read();
      const tasks: AgentTask[] = [];
      let movedAside = false;
      for (const row of rows) {
        const task = await this.#taskOrAside(operation, row);
        if (task === null) movedAside = true;
        else tasks.push(task);
      }
      if (!movedAside) return build(tasks);
    }
  }

  protected async insertTask(task: AgentTask): Promise<AgentTask> {
    const db = await this.#ready();
    const retainUntil = this.#retainUntil(task.status, task.updatedAt.getTime());
    const written = await insertTaskRow(db, this.namespace, task, retainUntil, this.now().getTime());
    if (!written) throw taskStoreError('create', 'TASK_EXISTS', { taskId: task.taskId });
    return task;
  }

  protected async readTask(taskId: string): Promise<AgentTask | null> {
    const db = await this.#ready();
    const row = await readTaskRow(db, this.namespace, taskId, this.now().getTime());
    return row === undefined ? null : this.#toTask('load', row);
  }

  protected async replaceTask(request: ReplaceRequest): Promise<AgentTask> {
    const db = await this.#ready();
    const { replacement, expectedVersion, now } = request;
    const outcome = await replaceTaskRow(
      db,
      this.namespace,
      replacement,
      expectedVersion,
      this.#retainUntil(replacement.status, now.getTime()),
      now.getTime(),
    );
    const taskId = replacement.taskId;
    if (outcome.kind === 'missing') throw taskStoreError('update', 'TASK_NOT_FOUND', { taskId });
    if (outcome.kind === 'corrupt') throw await this.#quarantineStored('update', taskId);
    if (outcome.kind !== 'written') {
      throw taskStoreError('update', 'VERSION_CONFLICT', {
        taskId,
        expectedVersion: expectedVersion ?? undefined,
        actualVersion: outcome.kind === 'conflict' ? outcome.actualVersion : undefined,
      });
    }
    return {
      taskId,
      status: replacement.status,
      sessionId: replacement.sessionId,
      userId: replacement.userId,
      items: replacement.items,
      data: replacement.data,
      createdAt: new Date(outcome.row.created_at),
      updatedAt: new Date(now.getTime()),
      expiresAt: replacement.expiresAt,
      version: outcome.row.version,
    };
  }

  protected async patchTask(request: PatchRequest): Promise<AgentTask> {
    const db = await this.#ready();
    const { taskId, patch, expectedVersion, now, size } = request;
    const outcome = await patchTaskRow(
      db,
      this.namespace,
      taskId,
      patch,
      expectedVersion,
      now.getTime(),
      this.maxTaskBytes,
      size,
      this.#retentionDurations,
    );
    switch (outcome.kind) {
      case 'missing':
        throw taskStoreError('patch', 'TASK_NOT_FOUND', { taskId });
      case 'conflict':
        throw taskStoreError('patch', 'VERSION_CONFLICT', {
          taskId,
          expectedVersion: expectedVersion ?? undefined,
          actualVersion: outcome.actualVersion,
        });
      case 'too-large':
        throw taskStoreError('patch', 'INVALID_INPUT', {
          taskId,
          path: 'task',
          detail: `serialized size ${outcome.bytes} bytes after this patch would exceed maxTaskBytes ${this.maxTaskBytes}; move large blobs out of the task`,
        });
      case 'corrupt':
        throw await this.#quarantineStored('patch', taskId);
      default:
        return this.#toTask('patch', outcome.row);
    }
  }

  protected async deleteTask(taskId: string): Promise<void> {
    const db = await this.#ready();
    const outcome = await deleteTaskRow(db, this.namespace, taskId, this.now().getTime());
    if (outcome === 'corrupt') throw await this.#quarantineStored('delete', taskId);
    if (outcome === 'missing') throw taskStoreError('delete', 'TASK_NOT_FOUND', { taskId });
  }

  protected async readByRequestId(requestId: string): Promise<AgentTask | null> {
    const db = await this.#ready();
    return this.#readingPast(
      'loadByRequestId',
      async () => {
        const row = await readRowByRequestId(db, this.namespace, requestId, this.now().getTime());
        return row === undefined ? [] : [row];
      },
      (tasks) => tasks[0] ?? null,
    );
  }

  protected async listTasks(query: NormalizedListQuery): Promise<AgentTask[]> {
    const db = await this.#ready();
    return this.#readingPast(
      'list',
      () => listTaskRows(db, this.namespace, query, this.now().getTime()),
      (tasks) => tasks,
    );
  }

  protected async countTasks(filter: NormalizedFilter): Promise<number> {
    const db = await this.#ready();
    return countRows(db, this.namespace, filter, this.now().getTime());
  }

  protected async countActiveTasks(): Promise<number> {
    const db = await this.#ready();
    return countActiveRows(db, this.namespace, this.now().getTime());
  }

  protected async cleanupTasks(request: CleanupRequest): Promise<number> {
    const db = await this.#ready();
    return cleanupRows(
      db,
      this.namespace,
      request.cutoff,
      request.includeActive,
      request.now.getTime(),
      request.onBatch,
    );
  }

  protected async clearTasks(): Promise<number> {
    const db = await this.#ready();
    return clearRows(db, this.namespace, this.now().getTime());
  }

  /**
   * Reachable is not enough: a server that cannot take writes (a read-only database or session
   * default, a hot standby) or a schema whose tables are gone fails the health check, with a
   * detail saying which.
   */
  protected async verifyTasks(request: VerifyRequest): Promise<void> {
    const queries = await this.#ready();
    await verifyNamespace(
      {
        queries,
        namespace: this.namespace,
        moveAside: (taskId, detail) => this.#moveAside('verify', taskId, detail),
      },
      request,
    );
  }

  /**
   * Writes a batch of exact tasks: each through `create`'s statement (a live task with the id is
   * a conflict; an expired one is replaced). With `replace`, a live task is deleted first, in its
   * own statement, and the create tried again.
   */
  protected async restoreTasks(request: RestoreRequest): Promise<RestoreBatchResult> {
    const db = await this.#ready();
    const result: RestoreBatchResult = { restored: 0, replaced: 0, skipped: 0, conflict: null };
    for (const { task } of request.tasks) {
      const now = request.now.getTime();
      const retainUntil = this.#retainUntil(task.status, task.updatedAt.getTime());
      if (await insertTaskRow(db, this.namespace, task, retainUntil, now)) {
        result.restored++;
        continue;
      }
      if (request.onConflict === 'skip') {
        result.skipped++;
        continue;
      }
      if (request.onConflict === 'fail') {
        result.conflict = task.taskId;
        return result;
      }
      for (let attempt = 0; ; attempt++) {
        const outcome = await this.#replaceRow(task, retainUntil, now);
        if (outcome === 'corrupt') await this.#quarantineStored('restore', task.taskId);
        if (outcome === 'replaced') break;
        if (attempt >= 3) throw taskStoreError('restore', 'TASK_EXISTS', { taskId: task.taskId });
      }
      result.replaced++;
    }
    return result;
  }

  /**
   * Restore's replacement of a task: deletes the row and inserts `task` in one transaction marked
   * `taskvault.replacing`, so the change feed records one `updated` change (see migration 0005).
   * @returns 'corrupt' (nothing changed: the stored row must be moved aside first), 'again' (a
   *   live task took the id in between), or 'replaced'
   */
  async #replaceRow(
    task: AgentTask,
    retainUntil: number | null,
    now: number,
  ): Promise<'corrupt' | 'again' | 'replaced'> {
    return this.#db.transaction().execute(async (trx) => {
      await sql`select set_config('taskvault.replacing', 'on', true)`.execute(trx);
      const q = new QueryLayer(trx, this.#naming);
      const gone = await deleteTaskRow(q, this.namespace, task.taskId, now);
      if (gone === 'corrupt') return 'corrupt';
      // nothing was there to replace (removed in between): the insert is a plain `created`
      if (gone === 'missing') await sql`select set_config('taskvault.replacing', 'off', true)`.execute(trx);
      return (await insertTaskRow(q, this.namespace, task, retainUntil, now)) ? 'replaced' : 'again';
    });
  }

  protected async ping(): Promise<void> {
    const n = this.#naming;
    const tables = [n.tasks, n.requests, n.counts, n.quarantine, n.leases];
    const { rows } = await sql<{ read_only: string; recovery: boolean; missing: string | null }>`
      select current_setting('transaction_read_only') as read_only, pg_is_in_recovery() as recovery,
        (select string_agg(t, ', ') from unnest(${tables}::text[]) as t
         where to_regclass(quote_ident(${n.schema}::text) || '.' || quote_ident(t)) is null) as missing`.execute(
      this.#db,
    );
    const state = rows[0];
    if (state === undefined) return;
    const problems: string[] = [];
    if (state.recovery)
      problems.push('the server is a hot standby (pg_is_in_recovery()): it cannot take writes');
    else if (state.read_only === 'on') {
      problems.push('transactions are read-only (default_transaction_read_only is on): writes would fail');
    }
    // before the first call of an autoMigrate store, missing tables are expected: it creates them
    if (state.missing !== null && (this.#migrated || !this.#settings.autoMigrate)) {
      problems.push(
        `tables missing in schema "${n.schema}": ${state.missing}; run store.migrate() to re-create them`,
      );
    }
    if (problems.length > 0) {
      throw taskStoreError('healthCheck', 'BACKEND_ERROR', {
        backend: 'postgres',
        detail: problems.join('; '),
      });
    }
  }

  /**
   * Takes or renews the namespace's sweep lease (one upsert, timed by the server's clock). Until
   * the store has been used, and so migrated, it does not ask: a store nobody calls does not
   * create tables from a timer.
   */
  protected override async acquireSweepLease(request: SweepLeaseRequest): Promise<number | null> {
    if (this.#settings.autoMigrate && !this.#migrated) return null;
    return acquireLease(this.#queries, this.namespace, request.holder, request.leaseMs);
  }

  /** Deletes one batch of dead rows in one statement that first checks the lease's token. */
  protected override async sweepDeadTasks(request: SweepBatchRequest): Promise<number | null> {
    const { holder, token, limit, now } = request;
    return sweepLeasedBatch(this.#queries, this.namespace, holder, token, limit, now.getTime());
  }

  protected override async releaseSweepLease(request: { holder: string; token: number }): Promise<void> {
    await releaseLease(this.#queries, this.namespace, request.holder, request.token);
  }

  protected async closeBackend(): Promise<void> {
    if (!this.#ownsPool) {
      this.#pool.off('error', this.#onPoolError);
      return;
    }
    // pool.end() waits for checked-out connections; against a frozen server that is at most one
    // query timeout, but close() must return either way
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#settings.queryTimeoutMs);
      timer.unref();
    });
    await Promise.race([this.#pool.end(), deadline]).finally(() => clearTimeout(timer));
  }

  protected wrapError(operation: TaskStoreOperation, error: unknown, taskId?: string): TaskStoreError {
    if ((error as { code?: unknown } | null)?.code === '42P01') {
      // migrated once, dropped since: let the next call migrate again, which re-creates them
      this.#migrated = false;
      this.#migrating = null;
      // the tables are missing: say how to create them instead of only "relation does not exist"
      return taskStoreError(operation, 'BACKEND_ERROR', {
        backend: 'postgres',
        taskId,
        detail: `the taskvault tables are missing in schema "${this.schema}" (prefix "${this.tablePrefix}"): run store.migrate(), enable autoMigrate, or apply store.migrationSql()`,
        cause: error,
      });
    }
    return wrapDriverError(operation, error, taskId);
  }
}
