/**
 * The ordered list of schema migrations. A migration is a list of schema objects, each created
 * by one statement that the migrator runs only when the object is not there (tables and indexes
 * say `IF NOT EXISTS`; a column is looked up first), so the migrator can both run a migration
 * and re-create one of its objects that was dropped behind the store. A migration may retire
 * objects of earlier ones: it drops them, and they are no longer expected. Append new migrations
 * with the next number; never edit one that has shipped.
 */
import { INIT_OBJECTS } from './0001-init.js';
import { LIVE_UNTIL_OBJECTS, LIVE_UNTIL_RETIRED } from './0002-live-until.js';
import { CHANGES_OBJECTS } from './0003-changes.js';

/** A table, index or column a migration creates, or retires. */
export interface SchemaObject {
  kind: 'table' | 'index' | 'column';
  /** The table or index; a column as `<table>.<column>`. */
  name: string;
  /**
   * `CREATE ... IF NOT EXISTS ...` (running it again is harmless), `ALTER TABLE ... ADD COLUMN`
   * for a column (run only when the column is missing), or, for a retired object, its `DROP ...
   * IF EXISTS`.
   */
  sql: string;
  /**
   * Run right after the object was made: fills a new column in for the rows already there, or
   * sets up what a new table needs.
   */
  fill?: string;
}

/** One migration: a name that sorts after its predecessor's, and its objects in creation order. */
export interface MigrationDefinition {
  readonly name: string;
  readonly objects: readonly SchemaObject[];
  /** Objects of earlier migrations this one drops (after creating its own). */
  readonly retires?: readonly SchemaObject[];
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly MigrationDefinition[] = Object.freeze([
  { name: '0001-init', objects: INIT_OBJECTS },
  { name: '0002-live-until', objects: LIVE_UNTIL_OBJECTS, retires: LIVE_UNTIL_RETIRED },
  { name: '0003-changes', objects: CHANGES_OBJECTS },
]);

/** Names of every migration, oldest first. */
export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map((m) => m.name);

/** The bookkeeping table: one row per migration that ran. */
export const MIGRATIONS_TABLE = 'taskvault_migrations';
