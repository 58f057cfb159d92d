/**
 * The ordered list of schema migrations. A migration is a list of SQL statements built for one
 * schema and table prefix; Kysely's Migrator runs them (in one transaction, under an advisory
 * lock), and `migrationSql()` prints the same text for teams that run their own migration tool.
 * Append new migrations with the next number; never edit one that has shipped.
 */
import type { Naming } from '../naming.js';
import { initStatements } from './0001-init.js';
import { linearIndexUpkeepStatements } from './0002-linear-index-upkeep.js';
import { taskBytesStatements } from './0003-task-bytes.js';
import { retentionStatements } from './0004-retention.js';
import { changesStatements } from './0005-changes.js';
import { changesOneIndexStatements } from './0006-changes-one-index.js';

/** One migration: a name that sorts after its predecessor's, and its statements. */
export interface MigrationDefinition {
  readonly name: string;
  statements(naming: Naming): string[];
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly MigrationDefinition[] = Object.freeze([
  { name: '0001-init', statements: initStatements },
  { name: '0002-linear-index-upkeep', statements: linearIndexUpkeepStatements },
  { name: '0003-task-bytes', statements: taskBytesStatements },
  { name: '0004-retention', statements: retentionStatements },
  { name: '0005-changes', statements: changesStatements },
  { name: '0006-changes-one-index', statements: changesOneIndexStatements },
]);

/** Names of every migration, oldest first. */
export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map((m) => m.name);
