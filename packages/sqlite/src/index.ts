export { createFromConfig } from './config.js';
export { isUnavailable, wrapDriverError } from './driver-errors.js';
export { MIGRATION_NAMES } from './migrations/index.js';
export type { MigrateOptions, MigrateResult, MigrationProgress } from './migrator.js';
export {
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_SQLITE_PATH,
  DEFAULT_SQLITE_SWEEP_INTERVAL_MS,
  type SqliteSynchronous,
  type SqliteTaskStoreOptions,
} from './options.js';
export { SqliteTaskStore } from './sqlite-store.js';
