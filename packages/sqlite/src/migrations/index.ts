/**
 * The ordered list of schema migrations. A migration is a list of schema objects, each created
 * by one idempotent statement (`IF NOT EXISTS`), so the migrator can both run a migration and
 * re-create one of its objects that was dropped behind the store. Append new migrations with the
 * next number; never edit one that has shipped.
 */
import { INIT_OBJECTS } from './0001-init.js';

/** A table or index a migration creates. */
export interface SchemaObject {
  kind: 'table' | 'index';
  name: string;
  /** `CREATE ... IF NOT EXISTS ...`: running it again is harmless. */
  sql: string;
}

/** One migration: a name that sorts after its predecessor's, and its objects in creation order. */
export interface MigrationDefinition {
  readonly name: string;
  readonly objects: readonly SchemaObject[];
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly MigrationDefinition[] = Object.freeze([
  { name: '0001-init', objects: INIT_OBJECTS },
]);

/** Names of every migration, oldest first. */
export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map((m) => m.name);

/** The bookkeeping table: one row per migration that ran. */
export const MIGRATIONS_TABLE = 'taskvault_migrations';
