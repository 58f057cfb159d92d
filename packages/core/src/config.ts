/**
 * Configuration from an object, falling back to the environment, with the source systems'
 * variable names honoured below ours. Every bad value names the variable (or field) it came from.
 */

import { bad, checkUrlCredentials, encodeSecret, parseBoolean, parseInteger } from './config-values.js';
import { MAX_TTL_MS, parseDuration } from './duration.js';
import { idProblem } from './ids.js';
import { checkRetention, parseRetention, type RetentionOption, type RetentionPolicy } from './retention.js';
import {
  sourceSystemNotices,
  TEAL_DEFAULT_TTL_MS,
  TEAL_DEFAULT_TTL_SOURCE,
  tealRedisVariable,
} from './source-systems.js';

/** The backends the factory knows by name. */
export type BuiltinBackend = 'memory' | 'redis' | 'postgres' | 'sqlite';
/** A backend name the factory accepts. */
export type BackendName = BuiltinBackend | 'custom';
export const BACKEND_NAMES: readonly BackendName[] = ['memory', 'redis', 'postgres', 'sqlite', 'custom'];

/** A Redis Cluster startup node. */
export interface RedisNode {
  host: string;
  port: number;
}

/** What `createTaskStore` takes. Every field is optional; the environment fills the rest. */
export interface TaskStoreConfig {
  backend?: BackendName;
  namespace?: string;
  /** Default TTL of new tasks: ms as a number, or text like `'15m'`; `0`/`null` for none. */
  ttl?: number | string | null;
  /**
   * How long terminal tasks are kept after their last write, e.g. `{ completed: '7d' }` (see
   * `TASKVAULT_RETENTION`); `null` for none.
   */
  retention?: RetentionOption | null;
  maxTaskBytes?: number;
  redis?: {
    url?: string;
    /** Cluster startup nodes; selects cluster mode. */
    cluster?: Array<string | RedisNode>;
    /** Slots one namespace spreads over in a cluster. Default 1. */
    shards?: number;
    keyPrefix?: string;
  };
  postgres?: {
    connectionString?: string;
    schema?: string;
    tablePrefix?: string;
  };
  sqlite?: {
    /** The database file (its directory must exist), or `':memory:'`. Default `./taskvault.db`. */
    path?: string;
    /** `'FULL'` (default: a resolved write survives a power cut) or `'NORMAL'` (faster; see the package README). */
    synchronous?: 'FULL' | 'NORMAL';
    /** How long a call waits for another connection's lock before BACKEND_UNAVAILABLE, ms. */
    busyTimeoutMs?: number;
  };
  custom?: {
    /** Module path (relative paths resolve against the current directory) or package name. */
    module: string;
    /** Export name: a class (`new X(config)`) or a factory function (`x(config)`). Default: the default export. */
    export?: string;
  };
  /** `'memory'`: if the configured backend cannot be built, warn loudly and use memory. */
  fallback?: 'memory' | null;
  /** Extra options handed to the backend's constructor as they are. */
  options?: Record<string, unknown>;
}

/** Configuration after defaults and the environment: what a backend is built from. */
export interface ResolvedTaskStoreConfig {
  backend: BackendName;
  namespace: string;
  ttlMs: number | null;
  /** Retention per terminal status, ms (`TASKVAULT_RETENTION`, `config.retention`), or null. */
  retention: RetentionPolicy | null;
  maxTaskBytes: number | undefined;
  redis: { url: string; cluster: RedisNode[] | null; shards: number; keyPrefix: string | undefined };
  postgres: {
    connectionString: string | undefined;
    schema: string | undefined;
    tablePrefix: string | undefined;
  };
  sqlite: { path: string; synchronous: 'FULL' | 'NORMAL' | undefined; busyTimeoutMs: number | undefined };
  custom: { module: string; exportName: string | undefined } | null;
  fallback: 'memory' | null;
  options: Record<string, unknown>;
  /** Where each value came from (`TASKVAULT_TTL`, `config.ttl`, `default`), for messages. */
  sources: Record<string, string>;
}

/** An environment: `process.env` or a plain object in tests. */
export type Env = Record<string, string | undefined>;

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** The SQLite file when neither `config.sqlite.path` nor `TASKVAULT_SQLITE_PATH` is set. */
const DEFAULT_SQLITE_PATH = './taskvault.db';

/** A set variable: its name, its value trimmed, and its value exactly as written. */
interface EnvValue {
  name: string;
  value: string;
  raw: string;
}

/** The first set variable among `names`, with its name. Empty strings count as unset. */
function fromEnv(env: Env, ...names: string[]): EnvValue | undefined {
  for (const name of names) {
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== '') return { name, value: raw.trim(), raw };
  }
  return undefined;
}

function checkUrl(path: string, url: string, protocols: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return bad(path, `is not a URL (expected ${protocols.map((p) => `${p}//...`).join(' or ')})`);
  }
  if (!protocols.includes(parsed.protocol)) {
    bad(path, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got ${parsed.protocol}//`);
  }
  checkUrlCredentials(path, parsed);
  return url;
}

function parseTtl(path: string, value: number | string | null): number | null {
  if (value === null) return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value > MAX_TTL_MS)
      bad(path, `must be a number of milliseconds from 0 to ${MAX_TTL_MS} (365000 days)`);
    return value === 0 ? null : value;
  }
  const ms = parseDuration(value);
  if (ms === undefined)
    bad(
      path,
      `cannot read ${JSON.stringify(value)} as a duration: use seconds, or 90s, 15m, 2h, 7d; 0 for none`,
    );
  if (ms !== null && ms > MAX_TTL_MS) bad(path, 'must be at most 365000d (about 1000 years)');
  return ms;
}

/** Parses `host:port` (or `[v6]:port`). */
export function parseRedisNode(path: string, text: string): RedisNode {
  const m = /^\s*(\[[^\]]+\]|[^:\s]+):(\d{1,5})\s*$/.exec(text);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port < 1 || port > 65535) return bad(path, `${JSON.stringify(text)} is not host:port`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** Builds a redis URL from the sk_agents TA_REDIS_* variables, if any is set. */
function redisUrlFromAliases(env: Env): { url: string; source: string } | undefined {
  const host = fromEnv(env, 'TA_REDIS_HOST');
  const port = fromEnv(env, 'TA_REDIS_PORT');
  const db = fromEnv(env, 'TA_REDIS_DB');
  const pwd = fromEnv(env, 'TA_REDIS_PWD');
  const ssl = fromEnv(env, 'TA_REDIS_SSL');
  if (!host && !port && !db && !pwd && !ssl) return undefined;
  const portNumber = port ? parseInteger(port.name, port.raw, 1, 65535, 'a port number') : 6379;
  const dbNumber = db ? parseInteger(db.name, db.raw, 0, 2 ** 31 - 1, 'a database number') : 0;
  const scheme = ssl && parseBoolean(ssl.name, ssl.value) ? 'rediss' : 'redis';
  const auth = pwd ? `:${encodeSecret(pwd.name, pwd.value)}@` : '';
  const url = `${scheme}://${auth}${host?.value ?? '127.0.0.1'}:${portNumber}/${dbNumber}`;
  return { url: checkUrl('TA_REDIS_HOST', url, ['redis:', 'rediss:']), source: 'TA_REDIS_*' };
}

/**
 * Resolves a configuration: fields of `config` first, then the environment (ours, then the
 * source systems' aliases), then defaults.
 * @param notify receives each notice worth one log line (Teal's Redis configuration recognised,
 *   backend variables set that the chosen backend ignores); the factory prints them.
 * @throws TaskStoreConfigError CONFIG_INVALID naming the bad variable or field.
 */
export function resolveConfig(
  config: TaskStoreConfig = {},
  env: Env = process.env,
  notify: (message: string) => void = () => undefined,
): ResolvedTaskStoreConfig {
  const sources: Record<string, string> = {};

  const customModuleEnv = fromEnv(env, 'TASKVAULT_MODULE', 'TA_PERSISTENCE_MODULE');
  const customExportEnv = fromEnv(env, 'TASKVAULT_EXPORT', 'TA_PERSISTENCE_CLASS');
  // Teal's own Redis manager, named the way Teal's users configure it, means our Redis backend.
  const tealRedis = config.custom === undefined ? tealRedisVariable(env) : undefined;

  let backend: BackendName;
  const backendEnv = fromEnv(env, 'TASKVAULT_BACKEND', 'TASK_STORAGE_BACKEND');
  if (config.backend !== undefined) {
    if (!BACKEND_NAMES.includes(config.backend))
      bad('config.backend', `must be one of ${BACKEND_NAMES.join(', ')}`);
    backend = config.backend;
    sources.backend = 'config.backend';
  } else if (backendEnv) {
    const name = backendEnv.value.toLowerCase();
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
      bad(
        backendEnv.name,
        `unknown backend ${JSON.stringify(backendEnv.value)}; use one of ${BACKEND_NAMES.join(', ')}`,
      );
    }
    backend = name as BackendName;
    sources.backend = backendEnv.name;
  } else if (tealRedis) {
    backend = 'redis';
    sources.backend = tealRedis;
    sources.tealRedis = tealRedis;
  } else if (config.custom || customModuleEnv) {
    // The source system selected a custom class just by naming its module.
    backend = 'custom';
    sources.backend = config.custom ? 'config.custom' : customModuleEnv!.name;
  } else {
    backend = 'memory';
    sources.backend = 'default';
  }

  let namespace = 'default';
  const nsEnv = fromEnv(env, 'TASKVAULT_NAMESPACE');
  if (config.namespace !== undefined) {
    namespace = config.namespace;
    sources.namespace = 'config.namespace';
  } else if (nsEnv) {
    namespace = nsEnv.value;
    sources.namespace = nsEnv.name;
  }
  const nsProblem = idProblem(namespace);
  if (nsProblem !== null) bad(sources.namespace ?? 'namespace', `namespace ${nsProblem}`);

  let ttlMs: number | null = null;
  const ttlEnv = fromEnv(env, 'TASKVAULT_TTL', 'TA_REDIS_TTL');
  if (config.ttl !== undefined) {
    ttlMs = parseTtl('config.ttl', config.ttl);
    sources.ttl = 'config.ttl';
  } else if (ttlEnv) {
    ttlMs = parseTtl(ttlEnv.name, ttlEnv.value);
    sources.ttl = ttlEnv.name;
  } else if (sources.tealRedis !== undefined) {
    ttlMs = TEAL_DEFAULT_TTL_MS;
    sources.ttl = TEAL_DEFAULT_TTL_SOURCE;
  }

  let retention: RetentionPolicy | null = null;
  const retentionEnv = fromEnv(env, 'TASKVAULT_RETENTION');
  if (config.retention !== undefined) {
    retention = checkRetention(config.retention, 'config.retention');
    sources.retention = 'config.retention';
  } else if (retentionEnv) {
    retention = parseRetention(retentionEnv.value, retentionEnv.name);
    sources.retention = retentionEnv.name;
  }

  if (
    config.maxTaskBytes !== undefined &&
    (!Number.isSafeInteger(config.maxTaskBytes) || config.maxTaskBytes < 1024)
  ) {
    bad('config.maxTaskBytes', 'must be an integer >= 1024');
  }

  // Redis
  let redisUrl = DEFAULT_REDIS_URL;
  const urlEnv = fromEnv(env, 'TASKVAULT_REDIS_URL');
  const aliasUrl = urlEnv ? undefined : redisUrlFromAliases(env);
  if (config.redis?.url !== undefined) {
    redisUrl = checkUrl('config.redis.url', config.redis.url, ['redis:', 'rediss:']);
  } else if (urlEnv) {
    redisUrl = checkUrl(urlEnv.name, urlEnv.value, ['redis:', 'rediss:']);
  } else if (aliasUrl) {
    redisUrl = aliasUrl.url;
  }
  let cluster: RedisNode[] | null = null;
  const clusterEnv = fromEnv(env, 'TASKVAULT_REDIS_CLUSTER');
  if (config.redis?.cluster !== undefined) {
    cluster = config.redis.cluster.map((n, i) =>
      typeof n === 'string'
        ? parseRedisNode(`config.redis.cluster[${i}]`, n)
        : checkNode(`config.redis.cluster[${i}]`, n),
    );
    if (cluster.length === 0) bad('config.redis.cluster', 'must list at least one node');
  } else if (clusterEnv) {
    cluster = clusterEnv.value.split(',').map((n) => parseRedisNode(clusterEnv.name, n));
  }
  let shards = 1;
  const shardsEnv = fromEnv(env, 'TASKVAULT_REDIS_SHARDS');
  if (config.redis?.shards !== undefined) {
    shards = config.redis.shards;
    if (!Number.isSafeInteger(shards) || shards < 1 || shards > 1024)
      bad('config.redis.shards', 'must be an integer from 1 to 1024');
  } else if (shardsEnv) {
    shards = parseInteger(shardsEnv.name, shardsEnv.raw, 1, 1024);
  }

  // Postgres
  let connectionString: string | undefined;
  const pgEnv = fromEnv(env, 'TASKVAULT_POSTGRES_URL', 'POSTGRES_CONNECTION_STRING');
  if (config.postgres?.connectionString !== undefined) {
    connectionString = checkUrl('config.postgres.connectionString', config.postgres.connectionString, [
      'postgres:',
      'postgresql:',
    ]);
  } else if (pgEnv) {
    connectionString = checkUrl(pgEnv.name, pgEnv.value, ['postgres:', 'postgresql:']);
  }
  if (backend === 'postgres' && connectionString === undefined && config.options?.pool === undefined) {
    bad(
      'TASKVAULT_POSTGRES_URL',
      'the postgres backend needs a connection string: set TASKVAULT_POSTGRES_URL=postgres://user@host:5432/db',
    );
  }

  // SQLite
  let sqlitePath = DEFAULT_SQLITE_PATH;
  const sqliteEnv = fromEnv(env, 'TASKVAULT_SQLITE_PATH');
  if (config.sqlite?.path !== undefined) {
    sqlitePath = checkPath('config.sqlite.path', config.sqlite.path);
  } else if (sqliteEnv) {
    // as written: a file name may begin or end with spaces
    sqlitePath = checkPath(sqliteEnv.name, sqliteEnv.raw);
  }

  // Custom
  let custom: ResolvedTaskStoreConfig['custom'] = null;
  if (config.custom) {
    if (typeof config.custom.module !== 'string' || config.custom.module === '')
      bad('config.custom.module', 'must name a module');
    custom = { module: config.custom.module, exportName: config.custom.export };
  } else if (customModuleEnv) {
    custom = { module: customModuleEnv.value, exportName: customExportEnv?.value };
    sources.custom = customModuleEnv.name;
  }
  if (backend === 'custom' && custom === null) {
    bad(
      'TASKVAULT_MODULE',
      'the custom backend needs a module: set TASKVAULT_MODULE to a file path or package name',
    );
  }

  let fallback: 'memory' | null = null;
  const fallbackEnv = fromEnv(env, 'TASKVAULT_FALLBACK');
  if (config.fallback !== undefined) {
    if (config.fallback !== null && config.fallback !== 'memory')
      bad('config.fallback', "must be 'memory' or null");
    fallback = config.fallback;
  } else if (fallbackEnv) {
    if (fallbackEnv.value !== 'memory')
      bad(fallbackEnv.name, `must be "memory" or unset, got ${JSON.stringify(fallbackEnv.value)}`);
    fallback = 'memory';
  }

  for (const notice of sourceSystemNotices(env, sources)) notify(notice);

  return {
    backend,
    namespace,
    ttlMs,
    retention,
    maxTaskBytes: config.maxTaskBytes,
    redis: { url: redisUrl, cluster, shards, keyPrefix: config.redis?.keyPrefix },
    postgres: {
      connectionString,
      schema: config.postgres?.schema,
      tablePrefix: config.postgres?.tablePrefix,
    },
    sqlite: {
      path: sqlitePath,
      synchronous: config.sqlite?.synchronous,
      busyTimeoutMs: config.sqlite?.busyTimeoutMs,
    },
    custom,
    fallback,
    options: config.options ?? {},
    sources,
  };
}

function checkPath(path: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.includes('\0'))
    bad(path, 'must be a file path (or ":memory:")');
  return value;
}

function checkNode(path: string, node: RedisNode): RedisNode {
  if (
    typeof node !== 'object' ||
    node === null ||
    typeof node.host !== 'string' ||
    !Number.isInteger(node.port)
  ) {
    bad(path, 'must be "host:port" or { host, port }');
  }
  return { host: node.host, port: node.port };
}
