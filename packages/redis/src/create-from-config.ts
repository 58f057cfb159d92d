/** The factory's entry point: `createTaskStore({ backend: 'redis' })` ends up here. */
import type { ResolvedTaskStoreConfig } from '@taskvault/core/adapter';
import type { RedisTaskStoreOptions } from './options.js';
import { RedisTaskStore } from './redis-store.js';

/**
 * Builds a `RedisTaskStore` from resolved configuration: `config.redis.url`, `.cluster` (startup
 * nodes; the URL then supplies user, password and TLS), `.shards` and `.keyPrefix`, the namespace,
 * TTL and size limit; `config.options` is passed to the constructor as it is (and wins).
 * @throws TaskStoreConfigError CONFIG_INVALID
 */
export function createFromConfig(config: ResolvedTaskStoreConfig): RedisTaskStore {
  const options: RedisTaskStoreOptions = {
    namespace: config.namespace,
    ttlMs: config.ttlMs,
    retention: config.retention,
    shards: config.redis.shards,
  };
  if (config.maxTaskBytes !== undefined) options.maxTaskBytes = config.maxTaskBytes;
  if (config.redis.keyPrefix !== undefined) options.keyPrefix = config.redis.keyPrefix;
  const extra = config.options as RedisTaskStoreOptions;
  if (extra.client === undefined && !(extra.cluster !== undefined && extra.url === undefined)) {
    if (config.redis.cluster !== null) {
      options.cluster = config.redis.cluster;
      options.url = config.redis.url;
    } else {
      options.url = config.redis.url;
    }
  }
  return new RedisTaskStore({ ...options, ...extra });
}
