/**
 * `createTaskStore` builds a store from configuration; `getTaskStore` shares one per process.
 * Core never imports a backend statically: built-in backends are loaded by package name, and
 * a custom backend from a module path or package.
 */
import { type Env, type ResolvedTaskStoreConfig, resolveConfig, type TaskStoreConfig } from './config.js';
import { isTaskStoreError, scrubSecrets, taskStoreError } from './errors.js';
import { importModule, isPathSpecifier, ModuleNotFound } from './module-loader.js';
import { scrubbedError } from './scrubbed-error.js';
import { TASK_STORE_METHODS, type TaskStore } from './store.js';

/**
 * What a backend package exports for the factory: builds a store from resolved configuration.
 * `@taskvault/memory`, `@taskvault/redis`, `@taskvault/postgres` and `@taskvault/sqlite` each export one.
 */
export type CreateFromConfig = (config: ResolvedTaskStoreConfig) => TaskStore | Promise<TaskStore>;

/** Options of the factory that tests and embedders may need. */
export interface FactoryOptions {
  /** Environment to read; default `process.env`. */
  env?: Env;
  /** Directory relative module paths and the application's packages resolve from; default `process.cwd()`. */
  cwd?: string;
  /**
   * Where the factory's log lines go (the fallback warning, notices about how variables were
   * read), each one line and scrubbed of secrets; default `console.warn`.
   */
  warn?: (message: string) => void;
}

const PACKAGE_OF = {
  memory: '@taskvault/memory',
  redis: '@taskvault/redis',
  postgres: '@taskvault/postgres',
  sqlite: '@taskvault/sqlite',
} as const;

/** CONFIG_INVALID for `path`; a `cause` is kept only as a scrubbed copy. */
function configError(path: string, detail: string, cause?: unknown) {
  return taskStoreError('config', 'CONFIG_INVALID', {
    path,
    detail,
    cause: cause === undefined ? undefined : scrubbedError(cause),
  });
}

/** The message of whatever was thrown, for a detail (scrubbed when the error is built). */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function buildBuiltin(
  backend: keyof typeof PACKAGE_OF,
  config: ResolvedTaskStoreConfig,
  cwd: string,
  path: string = config.sources.backend ?? 'TASKVAULT_BACKEND',
): Promise<TaskStore> {
  const name = PACKAGE_OF[backend];
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(name, cwd);
  } catch (error) {
    if (error instanceof ModuleNotFound) {
      throw configError(
        path,
        `the ${backend} backend needs ${name}, which is not installed: run \`npm install ${name}\` (or pnpm add / yarn add)`,
      );
    }
    throw configError(
      config.sources.backend ?? 'TASKVAULT_BACKEND',
      `${name} failed to load: ${messageOf(error)}`,
      error,
    );
  }
  const create = mod.createFromConfig;
  if (typeof create !== 'function') {
    throw configError(
      config.sources.backend ?? 'TASKVAULT_BACKEND',
      `${name} does not export createFromConfig; is it a taskvault backend?`,
    );
  }
  try {
    return await (create as CreateFromConfig)(config);
  } catch (error) {
    if (isTaskStoreError(error)) throw error;
    throw configError(path, `${name} could not build a store: ${messageOf(error)}`, error);
  }
}

/** True when `fn` should be called with `new`: a class, or a function with prototype methods. */
function isConstructor(fn: Function): boolean {
  if (/^class[\s{]/.test(Function.prototype.toString.call(fn))) return true;
  const proto = (fn as { prototype?: object }).prototype;
  return proto !== undefined && Object.getOwnPropertyNames(proto).length > 1;
}

async function buildCustom(config: ResolvedTaskStoreConfig, cwd: string): Promise<TaskStore> {
  const { module: specifier, exportName } = config.custom!;
  const moduleVar = config.sources.custom ?? 'config.custom.module';
  const exportVar =
    moduleVar === 'TA_PERSISTENCE_MODULE'
      ? 'TA_PERSISTENCE_CLASS'
      : moduleVar.startsWith('config')
        ? 'config.custom.export'
        : 'TASKVAULT_EXPORT';
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(specifier, cwd);
  } catch (error) {
    if (error instanceof ModuleNotFound) {
      throw configError(
        moduleVar,
        isPathSpecifier(specifier)
          ? `custom backend module ${JSON.stringify(specifier)} not found (relative paths resolve against ${cwd})`
          : `custom backend module ${JSON.stringify(specifier)} is neither a file under ${cwd} nor an installed package`,
      );
    }
    throw configError(
      moduleVar,
      `custom backend module ${JSON.stringify(specifier)} failed to load: ${messageOf(error)}`,
      error,
    );
  }
  const name = exportName ?? 'default';
  const exported =
    mod[name] ??
    (name === 'default' ? undefined : (mod.default as Record<string, unknown> | undefined)?.[name]);
  if (typeof exported !== 'function') {
    const available = Object.keys(mod).filter((k) => k !== '__esModule');
    throw configError(
      exportName === undefined ? moduleVar : exportVar,
      exported === undefined
        ? `module ${JSON.stringify(specifier)} has no export ${JSON.stringify(name)}; it exports: ${available.join(', ') || '(nothing)'}`
        : `export ${JSON.stringify(name)} of ${JSON.stringify(specifier)} is not a class or function`,
    );
  }
  const fn = exported as Function;
  let built: unknown;
  try {
    built = isConstructor(fn)
      ? new (fn as new (c: ResolvedTaskStoreConfig) => unknown)(config)
      : await (fn as (c: ResolvedTaskStoreConfig) => unknown)(config);
  } catch (error) {
    throw configError(
      moduleVar,
      `the custom backend ${JSON.stringify(name)} of ${JSON.stringify(specifier)} threw while building the store: ${messageOf(error)}`,
      error,
    );
  }
  const missing = TASK_STORE_METHODS.filter(
    (m) => typeof (built as Record<string, unknown> | null | undefined)?.[m] !== 'function',
  );
  if (missing.length > 0) {
    throw configError(
      exportName === undefined ? moduleVar : exportVar,
      `the custom backend built from ${JSON.stringify(specifier)} is not a TaskStore: missing ${missing.join(', ')}`,
    );
  }
  const store = built as TaskStore & { backend?: unknown };
  if (typeof store.backend !== 'string') {
    Object.defineProperty(store, 'backend', { value: 'custom', enumerable: true });
  }
  if (typeof store[Symbol.asyncDispose] !== 'function') {
    Object.defineProperty(store, Symbol.asyncDispose, { value: () => store.close() });
  }
  return store;
}

async function build(config: ResolvedTaskStoreConfig, cwd: string): Promise<TaskStore> {
  return config.backend === 'custom' ? buildCustom(config, cwd) : buildBuiltin(config.backend, config, cwd);
}

/**
 * Builds a store from `config`, filling what it leaves out from the environment
 * (`TASKVAULT_BACKEND`, `TASKVAULT_REDIS_URL`, ...). With `fallback: 'memory'`
 * (or `TASKVAULT_FALLBACK=memory`) a backend that cannot be built or does not answer its health
 * check is replaced by the in-memory store, with a loud warning.
 * @throws TaskStoreConfigError CONFIG_INVALID naming the variable or field at fault, or saying
 *   which package to install.
 */
export async function createTaskStore(
  config: TaskStoreConfig = {},
  options: FactoryOptions = {},
): Promise<TaskStore> {
  const print = options.warn ?? ((m: string) => console.warn(m));
  const warn = (message: string) => print(scrubSecrets(message));
  const resolved = resolveConfig(config, options.env ?? process.env, warn);
  const cwd = options.cwd ?? process.cwd();
  if (resolved.fallback !== 'memory' || resolved.backend === 'memory') return build(resolved, cwd);

  let problem: string;
  try {
    const store = await build(resolved, cwd);
    const health = await store.healthCheck();
    if (health.ok) return store;
    problem = health.detail ?? 'health check failed';
    await store.close().catch(() => undefined);
  } catch (error) {
    problem = isTaskStoreError(error) ? `${error.code}: ${error.message}` : String(error);
  }
  warn(
    `[taskvault] WARNING: the ${resolved.backend} backend could not be used (${problem}). ` +
      'TASKVAULT_FALLBACK=memory is set, so tasks are now kept IN MEMORY ONLY and will be lost when this process exits.',
  );
  return buildBuiltin('memory', { ...resolved, backend: 'memory' }, cwd, 'TASKVAULT_FALLBACK');
}

let shared: Promise<TaskStore> | null = null;

/**
 * One store per process, built by `createTaskStore()` from the environment on first call.
 * Concurrent first calls get the same instance. A failed build is not cached, and a closed
 * shared store is replaced on the next call.
 */
export function getTaskStore(): Promise<TaskStore> {
  if (shared === null) {
    const pending = createTaskStore();
    shared = pending;
    pending.then(
      (store) => {
        const close = store.close.bind(store);
        // Forget the shared store once closed, so the next call builds a fresh one.
        store.close = async () => {
          if (shared === pending) shared = null;
          return close();
        };
      },
      () => {
        if (shared === pending) shared = null;
      },
    );
  }
  return shared;
}

/** Closes and forgets the shared store (for tests and hot reloads). */
export async function resetTaskStore(): Promise<void> {
  const current = shared;
  shared = null;
  if (current) await (await current.catch(() => null))?.close();
}
