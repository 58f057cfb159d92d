/** What the factory (`createTaskStore` in core) calls to build this backend. */
import type { ResolvedTaskStoreConfig } from '@taskvault/core/adapter';
import type { PostgresTaskStoreOptions } from './options.js';
import { PostgresTaskStore } from './postgres-store.js';

/**
 * Builds a PostgresTaskStore from resolved configuration: `config.postgres` gives the URL,
 * schema and table prefix; `config.options` may carry a `pool` (then the URL is not used) and any
 * other PostgresTaskStore option.
 * @throws TaskStoreConfigError CONFIG_INVALID
 */
export function createFromConfig(config: ResolvedTaskStoreConfig): PostgresTaskStore {
  const extra = config.options as Partial<PostgresTaskStoreOptions>;
  const options: PostgresTaskStoreOptions = {
    ...extra,
    namespace: config.namespace,
    ttlMs: config.ttlMs,
    retention: config.retention,
  };
  if (config.maxTaskBytes !== undefined) options.maxTaskBytes = config.maxTaskBytes;
  if (config.postgres.schema !== undefined) options.schema = config.postgres.schema;
  if (config.postgres.tablePrefix !== undefined) options.tablePrefix = config.postgres.tablePrefix;
  if (extra.pool === undefined) {
    if (config.postgres.connectionString !== undefined)
      options.connectionString = config.postgres.connectionString;
  } else {
    delete options.connectionString;
  }
  return new PostgresTaskStore(options);
}
