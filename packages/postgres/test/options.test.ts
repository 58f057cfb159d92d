/** Option checks and the migration script, without a server. */
import { describe, expect, it } from 'vitest';
import { PostgresTaskStore, type PostgresTaskStoreOptions } from '../src/index.js';
import { migrationScript } from '../src/migrator.js';
import { namingFor } from '../src/naming.js';

const URL_OK = 'postgres://u@127.0.0.1:1/db';

describe('options', () => {
  it.each<[string, Partial<PostgresTaskStoreOptions>, string]>([
    ['neither connectionString nor pool', {}, 'connectionString'],
    ['a connection string that is not a URL', { connectionString: 'not a url' }, 'connectionString'],
    ['another protocol', { connectionString: 'mysql://u:pw@h/db' }, 'connectionString'],
    ['a non-integer timeout', { connectionString: URL_OK, statementTimeoutMs: 1.5 }, 'statementTimeoutMs'],
    [
      'a zero connection timeout',
      { connectionString: URL_OK, connectionTimeoutMs: 0 },
      'connectionTimeoutMs',
    ],
    ['a negative sweep interval', { connectionString: URL_OK, sweepIntervalMs: -1 }, 'sweepIntervalMs'],
    [
      'autoMigrate not a boolean',
      { connectionString: URL_OK, autoMigrate: 'yes' as unknown as boolean },
      'autoMigrate',
    ],
    [
      'an unknown option',
      { connectionString: URL_OK, shema: 'x' } as Partial<PostgresTaskStoreOptions>,
      'shema',
    ],
  ])('%s is CONFIG_INVALID naming the option', (_, options, path) => {
    expect(() => new PostgresTaskStore(options as PostgresTaskStoreOptions)).toThrow(
      expect.objectContaining({ name: 'TaskStoreConfigError', code: 'CONFIG_INVALID', path }),
    );
  });

  it('a rejected connection string never appears in the message', () => {
    try {
      new PostgresTaskStore({ connectionString: 'mysql://user:topsecret@h/db' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('topsecret');
    }
  });

  it('a valid store exposes its schema and prefix, and builds no connection until used', async () => {
    const store = new PostgresTaskStore({
      connectionString: URL_OK,
      schema: 'agents',
      tablePrefix: 'tv_',
      sweepIntervalMs: 0,
    });
    expect([store.backend, store.schema, store.tablePrefix, store.namespace]).toEqual([
      'postgres',
      'agents',
      'tv_',
      'default',
    ]);
    await store.close();
    await expect(store.load('x')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await expect(store.migrate()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it.each<[string, Partial<PostgresTaskStoreOptions>, boolean]>([
    ['by default (even without retention or a TTL)', {}, true],
    ['with sweepIntervalMs', { sweepIntervalMs: 5000 }, true],
    ['not with sweepIntervalMs: 0', { sweepIntervalMs: 0 }, false],
    ['not with sweep: false', { sweep: false }, false],
    [
      'with sweep settings, which win over sweepIntervalMs: 0',
      { sweepIntervalMs: 0, sweep: { intervalMs: 500 } },
      true,
    ],
    [
      'not with sweep: false, which wins over sweepIntervalMs',
      { sweepIntervalMs: 5000, sweep: false },
      false,
    ],
  ])('the background sweeper runs %s', async (_, options, runs) => {
    const store = new PostgresTaskStore({ connectionString: URL_OK, ...options });
    expect(store.sweepStatus !== null).toBe(runs);
    await store.close();
  });

  it('sweep settings are checked by core: a lease no longer than the interval is CONFIG_INVALID', () => {
    expect(
      () => new PostgresTaskStore({ connectionString: URL_OK, sweep: { intervalMs: 1000, leaseMs: 1000 } }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', path: 'sweep.leaseMs' }));
  });
});

describe('migration script', () => {
  it('names every object with the schema and prefix, and records the migrations it holds', () => {
    const script = migrationScript(namingFor('agents', 'tv_'));
    expect(script).toMatch(/^CREATE SCHEMA IF NOT EXISTS "agents";$/m);
    for (const name of [
      'tv_tasks',
      'tv_task_requests',
      'tv_task_counts',
      'tv_task_quarantine',
      'tv_sweep_leases',
      'tv_migrations',
    ]) {
      expect(script).toContain(`"agents"."${name}"`);
    }
    expect(script).toContain('"tv_tasks_created_idx"');
    expect(script).toContain('"tv_tasks_retention_idx"');
    expect(script).toContain("('0001-init', ");
    expect(script).not.toContain('taskvault_');
    expect(script).not.toContain('undefined');
  });

  it('in the public schema it creates no schema', () => {
    expect(migrationScript(namingFor('public', 'taskvault_'))).not.toContain('CREATE SCHEMA');
  });

  it('different schemas or prefixes take different migration locks', () => {
    const keys = new Set(
      [namingFor('public', 'a_'), namingFor('public', 'b_'), namingFor('x', 'a_')].map((n) => n.lockKey),
    );
    expect(keys.size).toBe(3);
  });
});
