/**
 * `taskvault migrate`: brings a PostgreSQL (or SQLite) schema up to date, or prints its SQL for
 * teams that run their own migration tool. Backends without a schema have nothing to migrate.
 */
import type { TaskStore } from '@taskvault/core';
import { usageError } from '../errors.js';

/** What a store with a schema offers (PostgreSQL and SQLite stores have both). */
interface Migratable {
  migrate(): Promise<{ applied: string[]; alreadyApplied: string[] }>;
  migrationSql(): string;
}

function migratable(store: TaskStore): TaskStore & Migratable {
  const s = store as TaskStore & Partial<Migratable>;
  if (typeof s.migrate !== 'function' || typeof s.migrationSql !== 'function') {
    throw usageError(
      `the ${store.backend} backend has no schema to migrate (migrate is for postgres and sqlite)`,
    );
  }
  return s as TaskStore & Migratable;
}

/** Runs pending migrations. @throws CliError USAGE for a backend without a schema; TaskStoreError */
export function runMigrations(store: TaskStore): Promise<{ applied: string[]; alreadyApplied: string[] }> {
  return migratable(store).migrate();
}

/** The schema's SQL, without connecting. @throws CliError USAGE for a backend without a schema */
export function migrationSql(store: TaskStore): string {
  return migratable(store).migrationSql();
}
