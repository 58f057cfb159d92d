import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/adapter.js';
import { MAX_TTL_MS, parseDuration, type TaskStoreConfigError } from '../src/index.js';

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
    [{ TASK_STORAGE_BACKEND: 'dynamodb' }, 'TASK_STORAGE_BACKEND', /unknown backend/],
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

describe('resolveConfig, hardened against what users write', () => {
  /** Resolves `env` and returns the config with every notice it produced. */
  function resolveWithNotices(env: Record<string, string>) {
    const notices: string[] = [];
    const config = resolveConfig({}, env, (m) => notices.push(m));
    return { config, notices };
  }

  it.each([
    ['true', 'rediss'],
    ['TRUE', 'rediss'],
    ['1', 'rediss'],
    ['Yes', 'rediss'],
    ['false', 'redis'],
    ['False', 'redis'],
    ['0', 'redis'],
    ['NO', 'redis'],
  ])('reads TA_REDIS_SSL=%s as a boolean (%s://)', (ssl, scheme) => {
    expect(resolveConfig({}, { TA_REDIS_SSL: ssl }).redis.url).toBe(`${scheme}://127.0.0.1:6379/0`);
  });

  it.each(['banana', 'ture', '2', 'y e s'])(
    'rejects TA_REDIS_SSL=%s instead of reading it as false',
    (ssl) => {
      const error = configError(() => resolveConfig({}, { TA_REDIS_SSL: ssl }));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.path).toBe('TA_REDIS_SSL');
      expect(error.message).toMatch(/^TA_REDIS_SSL: must be true or false/);
    },
  );

  it.each([
    ['TASKVAULT_REDIS_SHARDS', '0x10'],
    ['TASKVAULT_REDIS_SHARDS', '1e1'],
    ['TASKVAULT_REDIS_SHARDS', ' 8'],
    ['TASKVAULT_REDIS_SHARDS', '8.0'],
    ['TASKVAULT_REDIS_SHARDS', '+8'],
    ['TASKVAULT_REDIS_SHARDS', '1025'],
    ['TA_REDIS_PORT', '0x18EB'],
    ['TA_REDIS_PORT', '6379 '],
    ['TA_REDIS_PORT', '65536'],
    ['TA_REDIS_PORT', '0'],
    ['TA_REDIS_DB', '1e1'],
    ['TA_REDIS_DB', '-1'],
  ])('accepts only plain decimal digits: rejects %s=%o', (variable, value) => {
    const error = configError(() => resolveConfig({}, { [variable]: value }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.path).toBe(variable);
    expect(error.message).toMatch(/plain decimal digits/);
  });

  it('reads plain digits in every integer variable', () => {
    const c = resolveConfig({}, { TASKVAULT_REDIS_SHARDS: '16', TA_REDIS_PORT: '6390', TA_REDIS_DB: '12' });
    expect(c.redis.shards).toBe(16);
    expect(c.redis.url).toBe('redis://127.0.0.1:6390/12');
  });

  it('keeps the longest TTL within year 9999 when counted from now', () => {
    expect(MAX_TTL_MS).toBe(365_000 * 86_400_000);
    expect(new Date(Date.now() + MAX_TTL_MS).getUTCFullYear()).toBeLessThan(9999);
    expect(resolveConfig({}, { TASKVAULT_TTL: '365000d' }).ttlMs).toBe(MAX_TTL_MS);
    expect(resolveConfig({ ttl: MAX_TTL_MS }, {}).ttlMs).toBe(MAX_TTL_MS);
  });

  it.each([
    [{ TASKVAULT_TTL: '999999999999d' }, 'TASKVAULT_TTL'],
    [{ TASKVAULT_TTL: '365001d' }, 'TASKVAULT_TTL'],
    [{ TASKVAULT_TTL: '1000000000000000' }, 'TASKVAULT_TTL'],
    [{ TASKVAULT_TTL: '9'.repeat(400) }, 'TASKVAULT_TTL'],
    [{ TA_REDIS_TTL: '8700000000000' }, 'TA_REDIS_TTL'],
  ])('rejects a TTL past 365000 days: %o', (env, variable) => {
    const error = configError(() => resolveConfig({}, env));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.path).toBe(variable);
  });

  it.each([1e15, 8.7e15, MAX_TTL_MS + 1, Number.POSITIVE_INFINITY])('rejects config.ttl = %s', (ttl) => {
    const error = configError(() => resolveConfig({ ttl }, {}));
    expect(error.path).toBe('config.ttl');
    expect(error.message).toMatch(/365000 days/);
  });

  it('parseDuration refuses amounts no clock arithmetic survives', () => {
    expect(parseDuration('999999999999d')).toBeUndefined();
    expect(parseDuration('9'.repeat(400))).toBeUndefined();
    expect(parseDuration(`${Number.MAX_SAFE_INTEGER}ms`)).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseDuration(`${Number.MAX_SAFE_INTEGER + 2}ms`)).toBeUndefined();
  });

  it('rejects a %zz in a Redis URL password naming the variable, without the password', () => {
    const error = configError(() =>
      resolveConfig({}, { TASKVAULT_REDIS_URL: 'redis://user:hunter2%zz@cache:6379/0' }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.path).toBe('TASKVAULT_REDIS_URL');
    expect(error.message).toMatch(/password in the URL is not valid percent-encoding/);
    expect(error.message).not.toContain('hunter2');
    expect(configError(() => resolveConfig({ redis: { url: 'redis://%zz:pw@h:1' } }, {})).path).toBe(
      'config.redis.url',
    );
  });

  it('encodes TA_REDIS_PWD as it is, and rejects one that has no UTF-8 form naming it', () => {
    expect(resolveConfig({}, { TA_REDIS_PWD: 'hun%zz' }).redis.url).toBe(
      'redis://:hun%25zz@127.0.0.1:6379/0',
    );
    const error = configError(() => resolveConfig({}, { TA_REDIS_PWD: 'hunter2\uD800' }));
    expect(error.path).toBe('TA_REDIS_PWD');
    expect(error.message).not.toContain('hunter2');
  });

  it.each([
    ['TA_PERSISTENCE_CLASS', { TA_PERSISTENCE_CLASS: 'RedisTaskPersistenceManager' }],
    ['TA_PERSISTENCE_MODULE', { TA_PERSISTENCE_MODULE: 'teal/persistence/example_redis_persistence.py' }],
  ])("selects Redis for Teal's own Redis configuration (%s), with Teal's TTL of 3600 s", (variable, teal) => {
    const { config, notices } = resolveWithNotices({
      ...teal,
      TA_REDIS_HOST: 'cache.internal',
      TA_REDIS_PORT: '6380',
      TA_REDIS_PWD: 'hunter2',
    });
    expect(config.backend).toBe('redis');
    expect(config.sources.backend).toBe(variable);
    expect(config.redis.url).toBe('redis://:hunter2@cache.internal:6380/0');
    expect(config.ttlMs).toBe(3_600_000);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`${variable}=`);
    expect(notices[0]).toContain("Teal's Redis store: using the built-in redis backend");
    expect(notices[0]).toContain('3600 s');
  });

  it("lets a TTL variable override Teal's default, and an explicit backend or TASKVAULT_MODULE override Teal", () => {
    const teal = { TA_PERSISTENCE_CLASS: 'RedisTaskPersistenceManager' };
    const withTtl = resolveWithNotices({ ...teal, TA_REDIS_TTL: '60' });
    expect(withTtl.config.ttlMs).toBe(60_000);
    expect(withTtl.notices[0]).toContain('the TTL from TA_REDIS_TTL');
    expect(resolveConfig({}, { ...teal, TASKVAULT_BACKEND: 'memory' })).toMatchObject({
      backend: 'memory',
      ttlMs: null,
    });
    expect(resolveConfig({}, { ...teal, TASKVAULT_MODULE: './mine.mjs' })).toMatchObject({
      backend: 'custom',
      custom: { module: './mine.mjs', exportName: 'RedisTaskPersistenceManager' },
    });
    expect(resolveConfig({}, { TA_PERSISTENCE_MODULE: 'custom/my_store.mjs' }).backend).toBe('custom');
  });

  it('warns once when Redis variables are set but no backend is chosen', () => {
    const { config, notices } = resolveWithNotices({
      TA_REDIS_HOST: 'cache.internal',
      TA_REDIS_PWD: 'hunter2',
      TA_REDIS_SSL: 'yes',
    });
    expect(config.backend).toBe('memory');
    expect(notices).toEqual([
      '[taskvault] WARNING: TA_REDIS_HOST, TA_REDIS_PWD, TA_REDIS_SSL are set but no backend is chosen, ' +
        'so they are ignored and tasks are kept IN MEMORY ONLY; set TASKVAULT_BACKEND=redis to use redis.',
    ]);
    expect(resolveWithNotices({ TA_REDIS_HOST: 'h', TASKVAULT_BACKEND: 'memory' }).notices).toEqual([]);
    expect(resolveWithNotices({ TA_REDIS_HOST: 'h', TASKVAULT_BACKEND: 'redis' }).notices).toEqual([]);
    // TA_REDIS_TTL is not ignored: it is the default TTL of whatever backend is built.
    expect(resolveWithNotices({ TA_REDIS_TTL: '60' }).notices).toEqual([]);
  });
});
