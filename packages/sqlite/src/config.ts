/** What the factory (`createTaskStore` in core) calls to build this backend. */
import type { ResolvedTaskStoreConfig } from '@taskvault/core/adapter';
import type { SqliteTaskStoreOptions } from './options.js';
import { SqliteTaskStore } from './sqlite-store.js';

/**
 * Builds a SqliteTaskStore from resolved configuration: `config.sqlite` gives the file
 * (`path`, from `TASKVAULT_SQLITE_PATH`, default `./taskvault.db`), `synchronous` and `busyTimeoutMs`; `config.options` may carry a `database`
 * (then the path is not used) and any other SqliteTaskStore option.
 * @throws TaskStoreConfigError CONFIG_INVALID
 */
export function createFromConfig(config: ResolvedTaskStoreConfig): SqliteTaskStore {
  const extra = config.options as Partial<SqliteTaskStoreOptions>;
  const options: SqliteTaskStoreOptions = {
    ...extra,
    namespace: config.namespace,
    ttlMs: config.ttlMs,
    retention: config.retention,
  };
  if (config.maxTaskBytes !== undefined) options.maxTaskBytes = config.maxTaskBytes;
  if (extra.database === undefined) options.path = config.sqlite.path;
  else delete options.path;
  if (config.sqlite.synchronous !== undefined) options.synchronous = config.sqlite.synchronous;
  if (config.sqlite.busyTimeoutMs !== undefined) options.busyTimeoutMs = config.sqlite.busyTimeoutMs;
  return new SqliteTaskStore(options);
}
