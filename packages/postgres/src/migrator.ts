/**
 * Runs the migrations of one schema and prefix exactly once, however many processes start at
 * the same moment: a cheap unlocked check first (the usual case: nothing to do), then, only when
 * something is pending, a session advisory lock keyed by schema and prefix around Kysely's
 * Migrator, which re-reads what ran once it holds the lock.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { backfillTaskBytes } from './backfill.js';
import { MIGRATION_NAMES, MIGRATIONS } from './migrations/index.js';
import { type Naming, quoteIdent } from './naming.js';
import { missingObjects, restoreObjects } from './schema-objects.js';

/** Reported by `migrate({ onProgress })` before and after each migration runs. */
export interface MigrationProgress {
  migration: string;
  /** `backfill`: after the migrations committed, a batch of existing rows was brought up to date. */
  phase: 'start' | 'done' | 'backfill';
  /** With `backfill`: rows done so far. */
  rows?: number;
}

/** Options of `migrate()`. */
export interface MigrateOptions {
  /** Called before and after each migration that runs (they commit together, at the end). */
  onProgress?: (event: MigrationProgress) => void;
}

/** What `migrate()` did. */
export interface MigrateResult {
  /** Migrations this call ran, oldest first. */
  applied: string[];
  /** Migrations that had run before. */
  alreadyApplied: string[];
  /**
   * Objects of migrations that had run but were no longer there (dropped behind the store), which
   * this call re-created, as `table:<name>`, `index:<name>`, `function:<name>`,
   * `trigger:<table>.<name>`. Absent when nothing was missing.
   */
  restored?: string[];
}

/** The migration whose new columns existing rows are backfilled for. */
const TASK_BYTES_MIGRATION = '0003-task-bytes';

/** SQLSTATEs of "the migration table is not there yet". */
const MISSING_RELATION = new Set(['42P01', '3F000']);

/** Names of the migrations recorded as run in this schema and prefix. */
export async function appliedMigrations(db: Kysely<unknown>, naming: Naming): Promise<string[]> {
  try {
    const result = await sql<{ name: string }>`select name from ${sql.raw(
      naming.qualified(naming.migrations),
    )}`.execute(db);
    return result.rows.map((r) => r.name);
  } catch (error) {
    if (MISSING_RELATION.has((error as { code?: string }).code ?? '')) return [];
    throw error;
  }
}

function providerFor(naming: Naming, options: MigrateOptions): MigrationProvider {
  const migrations: Record<string, Migration> = {};
  for (const m of MIGRATIONS) {
    migrations[m.name] = {
      async up(db: Kysely<unknown>) {
        options.onProgress?.({ migration: m.name, phase: 'start' });
        for (const statement of m.statements(naming)) await sql.raw(statement).execute(db);
        options.onProgress?.({ migration: m.name, phase: 'done' });
      },
    };
  }
  return { getMigrations: async () => migrations };
}

/**
 * Brings the schema up to date. `db` should allow long statements (DDL on a big table, and the
 * wait for another process's migration, take longer than a task read).
 * @throws the driver's error, or Kysely's migration error (wrapped by the caller)
 */
export async function runMigrations(
  db: Kysely<unknown>,
  naming: Naming,
  timeoutMs: number,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const before = await appliedMigrations(db, naming);
  if (
    MIGRATION_NAMES.every((name) => before.includes(name)) &&
    (await missingObjects(db, naming, MIGRATION_NAMES)).length === 0
  ) {
    return { applied: [], alreadyApplied: [...MIGRATION_NAMES] };
  }
  return db.connection().execute(async (conn) => {
    // the session's statement_timeout (a few seconds for task reads) would cut the lock wait and
    // the DDL short; raise it for this session and put it back before the connection is reused
    const prior = await sql<{ value: string }>`select current_setting('statement_timeout') as value`.execute(
      conn,
    );
    await sql`select set_config('statement_timeout', ${String(timeoutMs)}, false)`.execute(conn);
    try {
      await sql`select pg_advisory_lock(${naming.lockKey}::bigint)`.execute(conn);
      const migrator = new Migrator({
        db: conn,
        provider: providerFor(naming, options),
        migrationTableSchema: naming.schema,
        migrationTableName: naming.migrations,
        migrationLockTableName: naming.migrationsLock,
      });
      const { error, results = [] } = await migrator.migrateToLatest();
      if (error !== undefined) throw error;
      const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
      const result: MigrateResult = {
        applied,
        alreadyApplied: MIGRATION_NAMES.filter((name) => !applied.includes(name)),
      };
      // recorded is not the same as present: re-create what was dropped behind the store
      const missing = await missingObjects(conn, naming, MIGRATION_NAMES);
      if (missing.length > 0) {
        await conn.transaction().execute((trx) => restoreObjects(trx, naming, MIGRATION_NAMES, missing));
        result.restored = missing.map((o) => `${o.kind}:${o.name}`);
      }
      // rows written before the kept sizes: in batches, each committed on its own
      if (applied.includes(TASK_BYTES_MIGRATION)) {
        await backfillTaskBytes(conn, naming, (rows) =>
          options.onProgress?.({ migration: TASK_BYTES_MIGRATION, phase: 'backfill', rows }),
        );
      }
      return result;
    } finally {
      // if these fail the session is gone (and its lock with it), or it is destroyed as broken
      await sql`select pg_advisory_unlock(${naming.lockKey}::bigint)`.execute(conn).catch(() => {});
      await sql`select set_config('statement_timeout', ${prior.rows[0]?.value ?? '0'}, false)`
        .execute(conn)
        .catch(() => {});
    }
  });
}

/**
 * The DDL of every migration as one script, for teams that run their own migration tool. It
 * ends by recording the migrations in the bookkeeping table `migrate()` reads, so a store with
 * `autoMigrate` later finds nothing to do. Run it as a whole (psql -f): function bodies contain
 * semicolons.
 */
export function migrationScript(naming: Naming): string {
  const parts: string[] = [
    `-- taskvault postgres schema: schema ${quoteIdent(naming.schema)}, table prefix '${naming.prefix}'`,
  ];
  if (naming.schema !== 'public') parts.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(naming.schema)};`);
  for (const m of MIGRATIONS) {
    parts.push(`-- migration ${m.name}`);
    for (const statement of m.statements(naming)) parts.push(`${statement};`);
  }
  const table = naming.qualified(naming.migrations);
  parts.push(
    '-- bookkeeping read by migrate() and autoMigrate (the same table Kysely Migrator keeps)',
    `CREATE TABLE IF NOT EXISTS ${table} (name varchar(255) NOT NULL PRIMARY KEY, timestamp varchar(255) NOT NULL);`,
    `INSERT INTO ${table} (name, timestamp) VALUES ${MIGRATIONS.map(
      (m) => `('${m.name}', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`,
    ).join(', ')} ON CONFLICT (name) DO NOTHING;`,
  );
  return `${parts.join('\n\n')}\n`;
}
