/**
 * Configurations the source systems' users already have, read the way those systems read them,
 * and the one-line notices that say what taskvault made of them.
 */
import type { Env } from './config.js';

/** Teal's Redis manager: its class name and the module file it ships in. */
const TEAL_REDIS_CLASS = 'RedisTaskPersistenceManager';
const TEAL_REDIS_MODULE_FILE = 'example_redis_persistence.py';

/** Teal's own default TTL for tasks in Redis: 3600 s. */
export const TEAL_DEFAULT_TTL_MS = 3_600_000;
/** What `sources.ttl` says when that default applied. */
export const TEAL_DEFAULT_TTL_SOURCE = "Teal's default";

/** Variables of each built-in backend that mean nothing to the memory store. */
const BACKEND_VARIABLES = {
  redis: [
    'TASKVAULT_REDIS_URL',
    'TASKVAULT_REDIS_CLUSTER',
    'TASKVAULT_REDIS_SHARDS',
    'TA_REDIS_HOST',
    'TA_REDIS_PORT',
    'TA_REDIS_DB',
    'TA_REDIS_PWD',
    'TA_REDIS_SSL',
  ],
  postgres: ['TASKVAULT_POSTGRES_URL', 'POSTGRES_CONNECTION_STRING'],
  sqlite: ['TASKVAULT_SQLITE_PATH'],
} as const;

function isSet(env: Env, name: string): boolean {
  return (env[name] ?? '').trim() !== '';
}

/**
 * The variable that names Teal's Redis manager — `TA_PERSISTENCE_CLASS=RedisTaskPersistenceManager`
 * or a `TA_PERSISTENCE_MODULE` ending in `example_redis_persistence.py` — or undefined. Our own
 * `TASKVAULT_MODULE`/`TASKVAULT_EXPORT` take precedence over both, so they turn it off.
 */
export function tealRedisVariable(env: Env): string | undefined {
  if (isSet(env, 'TASKVAULT_MODULE') || isSet(env, 'TASKVAULT_EXPORT')) return undefined;
  if (env.TA_PERSISTENCE_CLASS?.trim() === TEAL_REDIS_CLASS) return 'TA_PERSISTENCE_CLASS';
  if (env.TA_PERSISTENCE_MODULE?.trim().endsWith(TEAL_REDIS_MODULE_FILE)) return 'TA_PERSISTENCE_MODULE';
  return undefined;
}

/**
 * One line per thing a user should know about how their variables were read: that Teal's Redis
 * configuration selected the Redis backend, or that backend variables are ignored because no
 * backend was chosen. `sources` is the resolved config's record of where each value came from.
 */
export function sourceSystemNotices(env: Env, sources: Record<string, string>): string[] {
  const notices: string[] = [];
  const chosenBy = sources.backend;
  const teal = sources.tealRedis;
  if (teal !== undefined) {
    const ttl =
      sources.ttl === TEAL_DEFAULT_TTL_SOURCE
        ? "Teal's default TTL of 3600 s (set TA_REDIS_TTL to change it)"
        : `the TTL from ${sources.ttl}`;
    notices.push(
      `[taskvault] ${teal}=${env[teal]?.trim()} is Teal's Redis store: using the built-in redis backend ` +
        `with the TA_REDIS_* settings and ${ttl}.`,
    );
  }
  if (chosenBy === 'default') {
    for (const [backend, names] of Object.entries(BACKEND_VARIABLES)) {
      const set = names.filter((name) => isSet(env, name));
      if (set.length === 0) continue;
      notices.push(
        `[taskvault] WARNING: ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set but no backend is chosen, ` +
          `so ${set.length === 1 ? 'it is' : 'they are'} ignored and tasks are kept IN MEMORY ONLY; ` +
          `set TASKVAULT_BACKEND=${backend} to use ${backend}.`,
      );
    }
  }
  return notices;
}
