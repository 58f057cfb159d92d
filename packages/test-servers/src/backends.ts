/**
 * Runs a block of tests once per backend: memory, and Redis and PostgreSQL on throwaway servers
 * (the integrations' tests: they run the same framework calls on every backend). Stores are built with the factory from a plain config object,
 * the same object a child process receives to open the same namespace.
 */
import { randomUUID } from 'node:crypto';
import { createTaskStore, type TaskStore, type TaskStoreConfig } from '@taskvault/core';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { postgresForTests } from './postgres.js';
import { redisForTests } from './redis.js';

export type BackendName = 'memory' | 'redis' | 'postgres';
export const BACKENDS: readonly BackendName[] = ['memory', 'redis', 'postgres'];

export interface Backend {
  readonly name: BackendName;
  /** The factory config of `namespace` on this backend's server. */
  config(namespace: string): TaskStoreConfig;
  /**
   * A store on `namespace` (default: a fresh one). On Redis and PostgreSQL every call is a new
   * client with its own connections, like another process; memory has one store per namespace.
   */
  open(namespace?: string): Promise<TaskStore>;
}

/** Declares `body` once per backend, inside `describe('<title> on <backend>')`. */
export function describeOnBackends(title: string, body: (backend: Backend) => void): void {
  for (const name of BACKENDS) {
    describe(`${title} on ${name}`, () => body(useBackend(name)));
  }
}

function useBackend(name: BackendName): Backend {
  let serverConfig: TaskStoreConfig = {};
  let destroy: () => Promise<void> = async () => {};
  const open: TaskStore[] = [];
  const memoryStores = new Map<string, Promise<TaskStore>>();

  beforeAll(async () => {
    if (name === 'redis') {
      const server = await redisForTests();
      serverConfig = { redis: { url: server.url } };
      destroy = () => server.destroy();
    } else if (name === 'postgres') {
      const server = await postgresForTests();
      serverConfig = { postgres: { connectionString: await server.createDatabase() } };
      destroy = () => server.destroy();
    }
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
    memoryStores.clear();
  });
  afterAll(async () => destroy());

  const backend: Backend = {
    name,
    config: (namespace) => ({ backend: name, namespace, ...serverConfig }),
    open(namespace = `ns-${randomUUID()}`) {
      const cached = memoryStores.get(namespace);
      if (cached !== undefined) return cached;
      const opened = createTaskStore(backend.config(namespace)).then((store) => {
        open.push(store);
        return store;
      });
      if (name === 'memory') memoryStores.set(namespace, opened);
      return opened;
    },
  };
  return backend;
}
