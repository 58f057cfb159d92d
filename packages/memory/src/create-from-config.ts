import { type ResolvedTaskStoreConfig, taskStoreError } from '@taskvault/core/adapter';
import { MemoryTaskStore, type MemoryTaskStoreOptions } from './memory-store.js';
import { MemoryRegistry } from './registry.js';

/**
 * Builds a {@link MemoryTaskStore} for `createTaskStore` from the resolved configuration:
 * namespace, ttlMs, retention and maxTaskBytes, plus `options.registry` (a {@link MemoryRegistry}) to
 * share tasks with other memory stores (without one each built store has its own tasks); the other
 * `config.options` are passed to the constructor as they are.
 * @throws TaskStoreConfigError CONFIG_INVALID when `options.registry` is not a MemoryRegistry.
 */
export function createFromConfig(config: ResolvedTaskStoreConfig): MemoryTaskStore {
  const options: MemoryTaskStoreOptions = {
    namespace: config.namespace,
    ttlMs: config.ttlMs,
    retention: config.retention,
  };
  if (config.maxTaskBytes !== undefined) options.maxTaskBytes = config.maxTaskBytes;
  const { registry, ...extra } = config.options as MemoryTaskStoreOptions;
  if (registry !== undefined) {
    if (!(registry instanceof MemoryRegistry)) {
      throw taskStoreError('config', 'CONFIG_INVALID', {
        path: 'config.options.registry',
        detail: 'must be a MemoryRegistry from @taskvault/memory',
      });
    }
    options.registry = registry;
  }
  // the other extra options (onSweep, sweep, onCorrupt, telemetry...) go to the constructor as they are
  return new MemoryTaskStore({ ...options, ...extra });
}
