/**
 * Runs the migrations of one database file exactly once, however many processes open it at the
 * same moment: a cheap check first (the usual case: nothing to do), then, only when something is
 * pending or missing, one `BEGIN IMMEDIATE` transaction (SQLite's write lock, waited for up to the
 * busy timeout) that re-reads what ran, runs the rest in order, records each, and re-creates any
 * object of a recorded migration that is no longer there. DDL is transactional in SQLite: a run
 * that fails leaves nothing half-made.
 */
import type Database from 'better-sqlite3';
import {
  MIGRATIONS,
  MIGRATIONS_TABLE,
  type MigrationDefinition,
  type SchemaObject,
} from './migrations/index.js';

/** Reported by `migrate({ onProgress })` before and after each migration runs. */
export interface MigrationProgress {
  migration: string;
  phase: 'start' | 'done';
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
   * this call re-created, as `table:<name>`, `index:<name>` or `column:<table>.<column>`. Absent
   * when nothing was missing.
   */
  restored?: string[];
}

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  name       TEXT NOT NULL PRIMARY KEY,
  applied_at TEXT NOT NULL
)`;

function tableExists(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Names of the migrations recorded as run. */
export function appliedMigrations(db: Database.Database): string[] {
  if (!tableExists(db, MIGRATIONS_TABLE)) return [];
  return (db.prepare(`SELECT name FROM ${MIGRATIONS_TABLE}`).all() as { name: string }[]).map((r) => r.name);
}

function columnExists(db: Database.Database, name: string): boolean {
  const [table, column] = name.split('.') as [string, string];
  return db.prepare('SELECT 1 FROM pragma_table_info(?) WHERE name = ?').get(table, column) !== undefined;
}

/**
 * Objects of the given migrations that are not in the file, in creation order; an object a later
 * one of them retires is not expected.
 */
export function missingObjects(
  db: Database.Database,
  migrations: readonly MigrationDefinition[],
): SchemaObject[] {
  const present = new Set(
    (
      db.prepare("SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'index')").all() as {
        type: string;
        name: string;
      }[]
    ).map((r) => `${r.type}:${r.name}`),
  );
  const retired = new Set(migrations.flatMap((m) => (m.retires ?? []).map((o) => `${o.kind}:${o.name}`)));
  return migrations.flatMap((m) =>
    m.objects.filter((o) => {
      const key = `${o.kind}:${o.name}`;
      if (retired.has(key)) return false;
      return o.kind === 'column' ? !columnExists(db, o.name) : !present.has(key);
    }),
  );
}

/** Creates `o` (a column only when it is missing, then fills it in). */
function create(db: Database.Database, o: SchemaObject): void {
  if (o.kind === 'column' && columnExists(db, o.name)) return;
  db.prepare(o.sql).run();
  if (o.fill !== undefined) db.prepare(o.fill).run();
}

/**
 * Brings the schema up to date.
 * @throws the driver's error (wrapped by the caller): SQLITE_BUSY after the busy timeout, ...
 */
export function runMigrations(
  db: Database.Database,
  options: MigrateOptions = {},
  migrations: readonly MigrationDefinition[] = MIGRATIONS,
): MigrateResult {
  const names = migrations.map((m) => m.name);
  const before = appliedMigrations(db);
  if (names.every((n) => before.includes(n)) && missingObjects(db, migrations).length === 0) {
    return { applied: [], alreadyApplied: names };
  }
  const migrate = db.transaction((): MigrateResult => {
    db.prepare(CREATE_MIGRATIONS_TABLE).run();
    const done = new Set(appliedMigrations(db));
    const record = db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)`);
    // recorded is not the same as present: re-create what was dropped behind the store
    const missing = missingObjects(
      db,
      migrations.filter((m) => done.has(m.name)),
    );
    for (const o of missing) create(db, o);
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      options.onProgress?.({ migration: m.name, phase: 'start' });
      for (const o of m.objects) create(db, o);
      for (const o of m.retires ?? []) db.prepare(o.sql).run();
      record.run(m.name, new Date().toISOString());
      applied.push(m.name);
      options.onProgress?.({ migration: m.name, phase: 'done' });
    }
    const result: MigrateResult = { applied, alreadyApplied: names.filter((n) => !applied.includes(n)) };
    if (missing.length > 0) result.restored = missing.map((o) => `${o.kind}:${o.name}`);
    return result;
  });
  return migrate.immediate();
}

/**
 * The DDL of every migration as one script, for teams that run their own migration tool
 * (`sqlite3 tasks.db < schema.sql`). It ends by recording the migrations in the bookkeeping table
 * `migrate()` reads, so a store with `autoMigrate` later finds nothing to do. It is for a new file:
 * a migration that adds a column (`ALTER TABLE ... ADD COLUMN`, which SQLite has no `IF NOT
 * EXISTS` for) fails on a file that has it, so run it once; `migrate()` brings a file that ran
 * some of the migrations up to date.
 */
export function migrationScript(migrations: readonly MigrationDefinition[] = MIGRATIONS): string {
  const parts: string[] = ['-- taskvault sqlite schema', 'BEGIN IMMEDIATE;'];
  for (const m of migrations) {
    parts.push(`-- migration ${m.name}`);
    for (const o of m.objects) {
      parts.push(`${o.sql};`);
      if (o.fill !== undefined) parts.push(`${o.fill};`);
    }
    for (const o of m.retires ?? []) parts.push(`${o.sql};`);
  }
  parts.push(
    '-- bookkeeping read by migrate() and autoMigrate',
    `${CREATE_MIGRATIONS_TABLE};`,
    `INSERT OR IGNORE INTO ${MIGRATIONS_TABLE} (name, applied_at) VALUES ${migrations
      .map((m) => `('${m.name}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`)
      .join(', ')};`,
    'COMMIT;',
  );
  return `${parts.join('\n\n')}\n`;
}
