/**
 * Which store a command works on: the factory's configuration, from flags first and the
 * `TASKVAULT_*` variables (and the source systems' aliases) after, exactly as `createTaskStore`
 * reads them. A URL (`--url`, `--from`, `--to`) names backend and address at once.
 */
import { fileURLToPath } from 'node:url';
import { createTaskStore, isTaskStoreError, type TaskStore, type TaskStoreConfig } from '@taskvault/core';
import { resolveConfig, taskStoreError } from '@taskvault/core/adapter';
import { usageError } from './errors.js';
import type { CliIo } from './io.js';

/** The backend flags every store-using command takes. */
export interface StoreFlags {
  backend?: string;
  namespace?: string;
  redisUrl?: string;
  postgresUrl?: string;
  sqlitePath?: string;
}

/** Backends a URL or `--backend` can name. */
export const BACKEND_CHOICES = ['memory', 'redis', 'postgres', 'sqlite', 'custom'] as const;

/** The flag each configuration field comes from, so a bad value names what the user typed. */
const FLAG_OF: Record<string, string> = {
  'config.backend': '--backend',
  'config.namespace': '--namespace',
  'config.redis.url': '--redis-url',
  'config.postgres.connectionString': '--postgres-url',
  'config.sqlite.path': '--sqlite-path',
};

/**
 * The configuration a URL stands for: `redis://`, `rediss://`, `postgres://`, `postgresql://`,
 * `sqlite:<path>` or `file:<path>`, `memory:`.
 * @throws CliError USAGE for any other scheme.
 */
export function configFromUrl(url: string, flag: string): TaskStoreConfig {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'redis':
    case 'rediss':
      return { backend: 'redis', redis: { url } };
    case 'postgres':
    case 'postgresql':
      return { backend: 'postgres', postgres: { connectionString: url } };
    case 'sqlite':
      return sqliteConfig(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''), flag);
    case 'file':
      return sqliteConfig(url.startsWith('file://') ? fileURLToPath(url) : url.slice('file:'.length), flag);
    case 'memory':
      return { backend: 'memory' };
    default:
      throw usageError(
        `${flag}: cannot tell the backend from this URL; use redis://, rediss://, postgres://, postgresql://, sqlite:<path>, file:<path> or memory:`,
      );
  }
}

function sqliteConfig(path: string, flag: string): TaskStoreConfig {
  if (path === '')
    throw usageError(`${flag}: sqlite: needs a file path (sqlite:./tasks.db, sqlite::memory:)`);
  return { backend: 'sqlite', sqlite: { path } };
}

/**
 * The configuration of one store from the backend flags and, when given, a URL. Fields left out
 * fall back to the environment inside `createTaskStore`.
 * @throws CliError USAGE when the URL and the flags disagree.
 */
export function configFromFlags(flags: StoreFlags, url?: { value: string; flag: string }): TaskStoreConfig {
  const config: Record<string, unknown> = {};
  if (url !== undefined) {
    Object.assign(config, configFromUrl(url.value, url.flag));
    if (flags.backend !== undefined && flags.backend !== config.backend) {
      throw usageError(
        `${url.flag} names the ${String(config.backend)} backend but --backend says ${flags.backend}`,
      );
    }
  } else {
    const addresses = [
      flags.redisUrl !== undefined && 'redis',
      flags.postgresUrl !== undefined && 'postgres',
      flags.sqlitePath !== undefined && 'sqlite',
    ].filter((b): b is string => b !== false);
    // An address flag alone picks its backend: `--redis-url` should never quietly use memory.
    if (flags.backend !== undefined) config.backend = flags.backend;
    else if (addresses.length === 1) config.backend = addresses[0];
    if (flags.redisUrl !== undefined) config.redis = { url: flags.redisUrl };
    if (flags.postgresUrl !== undefined) config.postgres = { connectionString: flags.postgresUrl };
    if (flags.sqlitePath !== undefined) config.sqlite = { path: flags.sqlitePath };
  }
  if (flags.namespace !== undefined) config.namespace = flags.namespace;
  return config as TaskStoreConfig;
}

/** Extra options a command hands the backend (e.g. no background sweeper for a one-shot run). */
export type BackendOptions = Record<string, unknown>;

/** A bad value given as a flag is a usage error naming the flag; anything else is rethrown. */
function asFlagError(error: unknown): unknown {
  const flag = isTaskStoreError(error, 'CONFIG_INVALID') && error.path ? FLAG_OF[error.path] : undefined;
  if (flag === undefined) return error;
  return usageError(`${flag}: ${(error as Error).message.replace(/^config\.[\w.]+: /, '')}`);
}

/**
 * The backend a configuration resolves to, with the environment filled in, before anything is
 * built (so a command can refuse memory, or pass PostgreSQL its one-shot options).
 * @throws CliError USAGE for a bad flag; TaskStoreConfigError CONFIG_INVALID for a bad variable.
 */
export function backendOf(config: TaskStoreConfig, io: CliIo): string {
  try {
    return resolveConfig(config, io.env).backend;
  } catch (error) {
    throw asFlagError(error);
  }
}

/**
 * Builds the store like the factory does (a backend package the user did not install gets core's
 * install hint). A one-shot command runs without the background sweeper; `extra` adds backend
 * options (`any`: every backend; `postgres`, `sqlite`: only that one).
 * @throws CliError USAGE, TaskStoreConfigError CONFIG_INVALID
 */
export async function openStore(
  config: TaskStoreConfig,
  io: CliIo,
  extra: { postgres?: BackendOptions; sqlite?: BackendOptions; any?: BackendOptions } = {},
): Promise<TaskStore> {
  const backend = backendOf(config, io);
  // a one-shot command never starts the background sweeper (it would take the namespace's lease
  // from a long-running process, or hold the command open)
  const options = {
    sweep: false,
    ...extra.any,
    ...(backend === 'postgres' ? extra.postgres : backend === 'sqlite' ? extra.sqlite : undefined),
  };
  try {
    // Never TASKVAULT_FALLBACK: an export or copy that quietly ran on an empty in-process store
    // instead of the one named would "succeed" with nothing.
    const built = { ...config, fallback: null, options };
    return await createTaskStore(built, {
      env: io.env,
      cwd: io.cwd,
      warn: (message) => io.stderr.write(`${message}\n`),
    });
  } catch (error) {
    // The values were checked above; what fails now is the environment (a backend package not
    // installed, a custom module that throws): a failure, named after the flag it came from.
    const flag = isTaskStoreError(error, 'CONFIG_INVALID') && error.path ? FLAG_OF[error.path] : undefined;
    if (flag === undefined) throw error;
    throw taskStoreError('config', 'CONFIG_INVALID', {
      path: flag,
      detail: (error as Error).message.replace(/^config\.[\w.]+: /, ''),
    });
  }
}
