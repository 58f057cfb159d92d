export { createFromConfig } from './create-from-config.js';
export { MemoryTaskStore, type MemoryTaskStoreOptions } from './memory-store.js';
export { MemoryRegistry } from './registry.js';
