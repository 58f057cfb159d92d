export { createFromConfig } from './config.js';
export { AcquireTimeoutError, isUnavailable, wrapDriverError } from './driver-errors.js';
export { MIGRATION_NAMES } from './migrations/index.js';
export type { MigrateOptions, MigrateResult, MigrationProgress } from './migrator.js';
export { checkSchemaName, checkTablePrefix, DEFAULT_SCHEMA, DEFAULT_TABLE_PREFIX } from './naming.js';
export {
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_MIGRATION_TIMEOUT_MS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  type PostgresTaskStoreOptions,
} from './options.js';
export { PostgresTaskStore } from './postgres-store.js';
