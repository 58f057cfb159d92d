import { describe, expect, it } from 'vitest';
import { resolveConfig, type TaskStoreConfigError } from '../src/index.js';

function configError(fn: () => unknown): TaskStoreConfigError {
  try {
    fn();
  } catch (error) {
    return error as TaskStoreConfigError;
  }
  throw new Error('expected a TaskStoreConfigError');
}

describe('resolveConfig', () => {
  it('defaults to the memory backend in namespace "default" with no TTL', () => {
    const c = resolveConfig({}, {});
    expect(c.backend).toBe('memory');
    expect(c.namespace).toBe('default');
    expect(c.ttlMs).toBeNull();
    expect(c.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      cluster: null,
      shards: 1,
      keyPrefix: undefined,
    });
    expect(c.fallback).toBeNull();
  });

  it('reads every TASKVAULT_ variable', () => {
    const c = resolveConfig(
      {},
      {
        TASKVAULT_BACKEND: 'redis',
        TASKVAULT_REDIS_URL: 'rediss://:pw@cache:6380/2',
        TASKVAULT_REDIS_CLUSTER: 'a:7000, b:7001,[::1]:7002',
        TASKVAULT_REDIS_SHARDS: '8',
        TASKVAULT_NAMESPACE: 'tenant-1',
        TASKVAULT_TTL: '15m',
        TASKVAULT_FALLBACK: 'memory',
      },
    );
    expect(c.backend).toBe('redis');
    expect(c.redis.url).toBe('rediss://:pw@cache:6380/2');
    expect(c.redis.cluster).toEqual([
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(c.redis.shards).toBe(8);
    expect(c.namespace).toBe('tenant-1');
    expect(c.ttlMs).toBe(15 * 60_000);
    expect(c.fallback).toBe('memory');
  });

  it('lets the config object win over the environment', () => {
    const c = resolveConfig(
      { backend: 'memory', namespace: 'x', ttl: 1000 },
      { TASKVAULT_BACKEND: 'redis', TASKVAULT_NAMESPACE: 'y', TASKVAULT_TTL: '7d' },
    );
    expect([c.backend, c.namespace, c.ttlMs]).toEqual(['memory', 'x', 1000]);
  });

  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['3600', 3_600_000],
    ['0', null],
  ])('reads TASKVAULT_TTL=%s', (ttl, ms) => {
    expect(resolveConfig({}, { TASKVAULT_TTL: ttl }).ttlMs).toBe(ms);
  });

  it('honours the sk_agents TA_REDIS_* aliases below TASKVAULT_REDIS_URL', () => {
    const env = {
      TA_REDIS_HOST: 'r.example',
      TA_REDIS_PORT: '6390',
      TA_REDIS_DB: '3',
      TA_REDIS_PWD: 'p@ss',
      TA_REDIS_SSL: 'true',
      TA_REDIS_TTL: '60',
    };
    const c = resolveConfig({}, env);
    expect(c.redis.url).toBe('rediss://:p%40ss@r.example:6390/3');
    expect(c.ttlMs).toBe(60_000);
    expect(
      resolveConfig({}, { ...env, TASKVAULT_REDIS_URL: 'redis://x:1', TASKVAULT_TTL: '2h' }),
    ).toMatchObject({
      redis: { url: 'redis://x:1' },
      ttlMs: 7_200_000,
    });
  });

  it('honours TASK_STORAGE_BACKEND and POSTGRES_CONNECTION_STRING (Lybic)', () => {
    const c = resolveConfig(
      {},
      { TASK_STORAGE_BACKEND: 'postgres', POSTGRES_CONNECTION_STRING: 'postgresql://u@h/db' },
    );
    expect(c.backend).toBe('postgres');
    expect(c.postgres.connectionString).toBe('postgresql://u@h/db');
  });

  it('selects the custom backend when only a module is named (TA_PERSISTENCE_MODULE)', () => {
    const c = resolveConfig({}, { TA_PERSISTENCE_MODULE: './store.js', TA_PERSISTENCE_CLASS: 'MyStore' });
    expect(c.backend).toBe('custom');
    expect(c.custom).toEqual({ module: './store.js', exportName: 'MyStore' });
  });

  it.each([
    [{ TASKVAULT_BACKEND: 'mongo' }, 'TASKVAULT_BACKEND', /unknown backend "mongo"/],
    [{ TASK_STORAGE_BACKEND: 'sqlite' }, 'TASK_STORAGE_BACKEND', /unknown backend/],
    [{ TASKVAULT_TTL: 'soon' }, 'TASKVAULT_TTL', /cannot read "soon" as a duration/],
    [{ TASKVAULT_TTL: '-5' }, 'TASKVAULT_TTL', /duration/],
    [{ TA_REDIS_TTL: '1w' }, 'TA_REDIS_TTL', /duration/],
    [{ TASKVAULT_REDIS_URL: 'not a url' }, 'TASKVAULT_REDIS_URL', /is not a URL/],
    [{ TASKVAULT_REDIS_URL: 'http://x:1' }, 'TASKVAULT_REDIS_URL', /must start with redis:\/\//],
    [{ TASKVAULT_REDIS_CLUSTER: 'a:1,b' }, 'TASKVAULT_REDIS_CLUSTER', /"b" is not host:port/],
    [{ TASKVAULT_REDIS_SHARDS: 'many' }, 'TASKVAULT_REDIS_SHARDS', /integer/],
    [{ TASKVAULT_REDIS_SHARDS: '0' }, 'TASKVAULT_REDIS_SHARDS', /integer/],
    [{ TA_REDIS_PORT: 'abc' }, 'TA_REDIS_PORT', /port/],
    [
      { TASKVAULT_BACKEND: 'postgres', TASKVAULT_POSTGRES_URL: 'mysql://x' },
      'TASKVAULT_POSTGRES_URL',
      /postgres:/,
    ],
    [{ TASKVAULT_BACKEND: 'postgres' }, 'TASKVAULT_POSTGRES_URL', /needs a connection string/],
    [{ TASKVAULT_BACKEND: 'custom' }, 'TASKVAULT_MODULE', /needs a module/],
    [{ TASKVAULT_FALLBACK: 'redis' }, 'TASKVAULT_FALLBACK', /must be "memory"/],
    [{ TASKVAULT_NAMESPACE: 'a\u0007b' }, 'TASKVAULT_NAMESPACE', /control characters/],
  ])('rejects %o naming %s', (env, variable, message) => {
    const error = configError(() => resolveConfig({}, env));
    expect(error.name).toBe('TaskStoreConfigError');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.path).toBe(variable);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`${variable}:`)).toBe(true);
  });

  it('never puts a password into a configuration error', () => {
    const error = configError(() =>
      resolveConfig({}, { TASKVAULT_REDIS_URL: 'http://user:hunter2@host:1/x' }),
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('rejects bad fields of the config object naming them', () => {
    expect(configError(() => resolveConfig({ ttl: 'later' }, {})).path).toBe('config.ttl');
    expect(configError(() => resolveConfig({ backend: 'nope' as 'memory' }, {})).path).toBe('config.backend');
    expect(configError(() => resolveConfig({ redis: { shards: 2.5 } }, {})).path).toBe('config.redis.shards');
    expect(configError(() => resolveConfig({ redis: { cluster: ['x'] } }, {})).path).toBe(
      'config.redis.cluster[0]',
    );
    expect(configError(() => resolveConfig({ maxTaskBytes: 10 }, {})).path).toBe('config.maxTaskBytes');
  });
});
