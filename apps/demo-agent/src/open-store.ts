/** Builds the demo's TaskStore through the core factory, never importing a backend directly. */
import { fileURLToPath } from 'node:url';
import { createTaskStore, type Env, type TaskStore, type TaskStoreConfig } from '@taskvault/core';

/**
 * This package's directory (from `src/` and from `dist/` alike). The factory resolves backend
 * packages from here too, since the demo depends on all four.
 */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * `createTaskStore(config)`: the backend comes from `config.backend` or `TASKVAULT_BACKEND`
 * (memory by default), its address from `TASKVAULT_REDIS_URL` / `TASKVAULT_POSTGRES_URL` / `TASKVAULT_SQLITE_PATH`.
 * @throws TaskStoreConfigError naming the bad variable, or the package to install.
 */
export function openStore(config: TaskStoreConfig = {}, env?: Env): Promise<TaskStore> {
  return createTaskStore(config, { cwd: PACKAGE_DIR, ...(env === undefined ? {} : { env }) });
}
