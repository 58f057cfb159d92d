/** Migrations: exactly once under concurrency, per schema and prefix, and as a script for other tools. */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATION_NAMES, type MigrationProgress, type PostgresTaskStore } from '../src/index.js';
import { MIGRATIONS } from '../src/migrations/index.js';
import { namingFor } from '../src/naming.js';
import { CONSISTENT, findInconsistencies } from './consistency.js';
import { sqlRows, storeOn, useServer } from './helpers.js';

const server = useServer();

describe('migrations', () => {
  const opened: PostgresTaskStore[] = [];
  const open = (url: string, options: Parameters<typeof storeOn>[1] = {}) => {
    const store = storeOn(url, options);
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  const query = sqlRows;

  it('10 stores starting at once on an empty database migrate exactly once, and all of them work', async () => {
    const url = await server().createDatabase();
    const stores = Array.from({ length: 10 }, () => open(url));
    const created = await Promise.all(stores.map((s, i) => s.create({ taskId: `first-${i}` })));
    expect(created.map((t) => t.version)).toEqual(Array(10).fill(1));
    expect(await query(url, 'select name from taskvault_migrations order by name')).toEqual(
      MIGRATION_NAMES.map((name) => ({ name })),
    );
    for (const s of stores) expect(await s.count()).toBe(10);
  });

  it('10 concurrent migrate() calls: one runs each migration, the others find it done', async () => {
    const url = await server().createDatabase();
    const stores = Array.from({ length: 10 }, () => open(url, { schema: 'deploy', tablePrefix: 'x_' }));
    const results = await Promise.all(stores.map((s) => s.migrate()));
    expect(results.flatMap((r) => r.applied)).toEqual([...MIGRATION_NAMES]);
    for (const r of results) expect([...r.applied, ...r.alreadyApplied].sort()).toEqual([...MIGRATION_NAMES]);
    expect(await query(url, 'select name from deploy.x_migrations order by name')).toEqual(
      MIGRATION_NAMES.map((name) => ({ name })),
    );
  });

  it('migrate() reports progress and what ran; a second call runs nothing', async () => {
    const url = await server().createDatabase();
    const store = open(url, { autoMigrate: false });
    const events: MigrationProgress[] = [];
    expect(await store.migrate({ onProgress: (e) => events.push(e) })).toEqual({
      applied: [...MIGRATION_NAMES],
      alreadyApplied: [],
    });
    expect(events).toEqual(
      MIGRATION_NAMES.flatMap((migration) => [
        { migration, phase: 'start' },
        { migration, phase: 'done' },
      ]),
    );
    expect(await store.migrate()).toEqual({ applied: [], alreadyApplied: [...MIGRATION_NAMES] });
  });

  it('without autoMigrate on an empty database, calls fail with BACKEND_ERROR saying how to create the tables', async () => {
    const url = await server().createDatabase();
    const store = open(url, { autoMigrate: false });
    const error = await store.load('x').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_ERROR' });
    expect((error as Error).message).toContain('migrate()');
  });

  it('migrationSql() applied by another tool (psql) gives a working schema that migrate() sees as done', async () => {
    const url = await server().createDatabase();
    const database = new URL(url).pathname.slice(1);
    const script = open(url, { schema: 'ops', tablePrefix: 'tv_' }).migrationSql();
    expect(script).toContain('CREATE SCHEMA IF NOT EXISTS "ops"');
    expect(script).toContain('"ops"."tv_tasks"');
    await server().psql(script, database);
    const store = open(url, { schema: 'ops', tablePrefix: 'tv_', autoMigrate: false });
    const task = await store.create({
      taskId: 't',
      items: [{ requestId: 'r', role: 'user', content: 'hi', createdAt: new Date() }],
    });
    expect(await store.loadByRequestId('r')).toEqual(task);
    expect(await store.migrate()).toEqual({ applied: [], alreadyApplied: [...MIGRATION_NAMES] });
  });

  it('stores with different prefixes in one schema, or different schemas, never see each other', async () => {
    const url = await server().createDatabase();
    const a = open(url, { tablePrefix: 'a_' });
    const b = open(url, { tablePrefix: 'b_' });
    const c = open(url, { schema: 'other', tablePrefix: 'a_' });
    await a.create({ taskId: 'same-id', data: { owner: 'a' } });
    await b.create({ taskId: 'same-id', data: { owner: 'b' } });
    await c.create({ taskId: 'same-id', data: { owner: 'c' } });
    expect((await a.load('same-id'))?.data).toEqual({ owner: 'a' });
    expect((await b.load('same-id'))?.data).toEqual({ owner: 'b' });
    expect((await c.load('same-id'))?.data).toEqual({ owner: 'c' });
    expect(await b.clear()).toBe(1);
    expect(await a.count()).toBe(1);
  });

  it('a database migrated by a newer version (an extra migration recorded) still works: rolling deploys', async () => {
    const url = await server().createDatabase();
    await open(url).migrate();
    await query(
      url,
      "insert into taskvault_migrations (name, timestamp) values ('9999-future', '2100-01-01T00:00:00.000Z')",
    );
    const store = open(url);
    await store.create({ taskId: 'still-works' });
    expect(await store.count()).toBe(1);
  });

  it('a database at 0003 (before retention) migrates; its tasks keep their expiry, the expired stay gone', async () => {
    const url = await server().createDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const now = Date.now();
    try {
      for (const m of MIGRATIONS.slice(0, 3))
        for (const statement of m.statements(namingFor('public', 'taskvault_'))) await admin.query(statement);
      await admin.query(`create table taskvault_migrations (name varchar(255) primary key, timestamp varchar(255) not null);
        insert into taskvault_migrations values ('0001-init', 'x'), ('0002-linear-index-upkeep', 'x'), ('0003-task-bytes', 'x')`);
      // rows as a store of that version left them (through the hand-written-SQL triggers)
      await admin.query(
        `insert into taskvault_tasks (namespace, task_id, status, created_at, updated_at, expires_at, version, request_ids, data, items)
         select 'default', t.id, t.status, $1::bigint, $1::bigint, t.expires, 1, array[t.id || '-r'], '{}',
                jsonb_build_array(jsonb_build_object('requestId', t.id || '-r', 'role', 'user', 'content', 1, 'createdAt', 1))
         from (values ('ttl', 'running', $2::bigint), ('expired', 'pending', $3::bigint),
                      ('kept', 'completed', null::bigint), ('old-done', 'completed', $2::bigint)) as t(id, status, expires)`,
        [now - 3_600_000, now + 3_600_000, now - 1000],
      );
    } finally {
      await admin.end();
    }
    // a store with a retention policy: rows written before it keep their own expiry, nothing more
    const store = open(url, { retention: { completed: '1m' } });
    expect((await store.migrate()).applied).toEqual([
      '0004-retention',
      '0005-changes',
      '0006-changes-one-index',
    ]);
    expect((await store.load('ttl'))?.expiresAt).toEqual(new Date(now + 3_600_000));
    expect((await store.load('old-done'))?.expiresAt).toEqual(new Date(now + 3_600_000));
    expect((await store.load('kept'))?.expiresAt).toBeNull();
    expect(await store.load('expired')).toBeNull();
    expect(await store.loadByRequestId('expired-r')).toBeNull();
    expect((await store.loadByRequestId('ttl-r'))?.taskId).toBe('ttl');
    expect(await store.count()).toBe(3);
    expect(await store.countActive()).toBe(1);
    expect((await store.list()).tasks.map((t) => t.taskId).sort()).toEqual(['kept', 'old-done', 'ttl']);
    // the next write of a completed task gives it its retention deadline
    await store.patch('kept', { data: { seen: true } });
    expect(
      await query(
        url,
        'select task_id, retain_until is not null as retained from taskvault_tasks order by 1',
      ),
    ).toEqual([
      { task_id: 'expired', retained: false },
      { task_id: 'kept', retained: true },
      { task_id: 'old-done', retained: false },
      { task_id: 'ttl', retained: false },
    ]);
    // cleanup: the expired row, and the completed task last written an hour ago
    expect(await store.cleanup({ olderThan: new Date(now - 60_000) })).toBe(2);
    expect((await store.list()).tasks.map((t) => t.taskId).sort()).toEqual(['kept', 'ttl']);
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
  });

  const withItem = (taskId: string, requestId: string, status: 'running' | 'completed' = 'running') => ({
    taskId,
    status,
    items: [{ requestId, role: 'user' as const, content: 'x', createdAt: new Date() }],
  });

  it('a database at 0005 with changes migrates to 0006: the primary key on the change id goes, the feed reads on from where it was', async () => {
    const url = await server().createDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const primaryKeys = async () =>
      (
        await admin.query(
          "select count(*)::int as n from pg_constraint where conrelid = 'taskvault_changes'::regclass and contype = 'p'",
        )
      ).rows[0].n;
    try {
      for (const m of MIGRATIONS.slice(0, 5))
        for (const statement of m.statements(namingFor('public', 'taskvault_'))) await admin.query(statement);
      await admin.query(`create table taskvault_migrations (name varchar(255) primary key, timestamp varchar(255) not null);
        insert into taskvault_migrations select name, 'x' from unnest(array['0001-init', '0002-linear-index-upkeep',
          '0003-task-bytes', '0004-retention', '0005-changes']) as name`);
      // changes as a store at 0005 left them: through the triggers
      await admin.query(
        `insert into taskvault_tasks (namespace, task_id, status, created_at, updated_at, version, request_ids, data, items)
         select 'default', 'old-' || i, 'pending', $1::bigint, $1::bigint, 1, '{}', '{}', '[]' from generate_series(1, 3) as i`,
        [Date.now()],
      );
      expect(await primaryKeys()).toBe(1);
      const store = open(url);
      const before = store.watch(undefined, { after: '1' });
      expect((await store.migrate()).applied).toEqual(['0006-changes-one-index']);
      expect(await primaryKeys()).toBe(0);
      await store.create({ taskId: 'new' });
      const seen: string[] = [];
      for await (const change of before) {
        seen.push(`${change.id} ${change.type} ${change.taskId}`);
        if (seen.length === 3) break;
      }
      expect(seen).toEqual(['2 created old-2', '3 created old-3', '4 created new']);
      // the changes table dropped behind the store is made again without it, too
      await admin.query('drop table taskvault_changes cascade');
      expect((await store.migrate()).restored).toContain('table:taskvault_changes');
      expect(await primaryKeys()).toBe(0);
      await store.patch('new', { data: { again: true } });
      expect(
        (await admin.query('select id::int, type, task_id, version::int from taskvault_changes')).rows,
      ).toEqual([{ id: 1, type: 'updated', task_id: 'new', version: 2 }]);
    } finally {
      await admin.end();
    }
  });

  it('the tasks table dropped behind the store: migrate() re-creates it with its indexes and triggers and empties the request-id rows and counters', async () => {
    const url = await server().createDatabase();
    const store = open(url);
    await store.create(withItem('gone', 'gone-r'));
    await query(url, 'drop table taskvault_tasks');
    expect(await store.healthCheck()).toMatchObject({
      ok: false,
      detail: expect.stringContaining('taskvault_tasks'),
    });
    const result = await store.migrate();
    expect(result.applied).toEqual([]);
    expect(result.restored).toEqual(
      expect.arrayContaining([
        'table:taskvault_tasks',
        'index:taskvault_tasks_created_idx',
        'trigger:taskvault_tasks.after_delete',
      ]),
    );
    expect(await store.healthCheck()).toMatchObject({ ok: true });
    expect(await store.count()).toBe(0);
    expect(await store.loadByRequestId('gone-r')).toBeNull();
    await store.create(withItem('back', 'back-r'));
    expect((await store.loadByRequestId('back-r'))?.taskId).toBe('back');
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
    expect((await store.migrate()).restored).toBeUndefined();
  });

  it('the request-id and counter tables dropped: migrate() rebuilds them from the tasks', async () => {
    const url = await server().createDatabase();
    const store = open(url);
    await store.create(withItem('a', 'a-r'));
    await store.create(withItem('b', 'b-r', 'completed'));
    await query(url, 'drop table taskvault_task_requests; drop table taskvault_task_counts');
    expect((await store.migrate()).restored).toEqual([
      'table:taskvault_task_requests',
      'table:taskvault_task_counts',
    ]);
    expect((await store.loadByRequestId('b-r'))?.taskId).toBe('b');
    expect(await store.countActive()).toBe(1);
    expect(await store.count({ status: 'completed' })).toBe(1);
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
  });

  it('a dropped function (and its trigger) and a dropped index are re-created', async () => {
    const url = await server().createDatabase();
    const store = open(url);
    await store.migrate();
    await query(
      url,
      'drop function taskvault_tasks_after_delete() cascade; drop index taskvault_tasks_expiry_idx',
    );
    expect((await store.migrate()).restored).toEqual([
      'index:taskvault_tasks_expiry_idx',
      'function:taskvault_tasks_after_delete',
      'trigger:taskvault_tasks.after_delete',
    ]);
    await store.create(withItem('t', 't-r'));
    await store.delete('t');
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
  });

  it('with autoMigrate, a store whose tables were dropped fails one call with advice, then recovers by itself', async () => {
    const url = await server().createDatabase();
    const store = open(url);
    await store.create({ taskId: 'before' });
    await query(url, 'drop table taskvault_tasks');
    const error = await store.load('before').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_ERROR' });
    expect((error as Error).message).toContain('migrate()');
    await store.create({ taskId: 'after' });
    expect(await store.count()).toBe(1);
  });
});
