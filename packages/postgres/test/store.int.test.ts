/** Behaviour specific to the PostgreSQL store: concurrency of the index triggers, the sweeper, secrets, config. */
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveConfig } from '@taskvault/core/adapter';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFromConfig, PostgresTaskStore } from '../src/index.js';
import { CONSISTENT, findInconsistencies } from './consistency.js';
import { sqlRows, storeOn, useServer } from './helpers.js';

const server = useServer();

describe('PostgreSQL-specific behaviour', () => {
  let url: string;
  beforeAll(async () => {
    url = await server().createDatabase();
  });

  it('concurrent forced updates and appends on one task leave exactly the last items in the request-id index', async () => {
    const stores = Array.from({ length: 4 }, () => storeOn(url, { namespace: 'race' }));
    try {
      const base = await stores[0]!.create({ taskId: 'hot' });
      const item = (requestId: string) => ({
        requestId,
        role: 'user' as const,
        content: requestId,
        createdAt: new Date(),
      });
      for (let round = 0; round < 10; round++) {
        await Promise.all(
          stores.flatMap((s, i) => [
            s.update({ ...base, items: [item(`u-${round}-${i}`), item(`shared-${round}`)] }, { force: true }),
            s.patch('hot', { appendItems: [item(`p-${round}-${i}`)] }),
          ]),
        );
        expect(await findInconsistencies(url)).toEqual(CONSISTENT);
      }
      const final = (await stores[0]!.load('hot'))!;
      for (const { requestId } of final.items)
        expect((await stores[0]!.loadByRequestId(requestId))?.taskId).toBe('hot');
      expect(await stores[0]!.loadByRequestId('u-0-0')).toBeNull();
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('re-creating an expired id takes over its row: old request ids and count go, new ones come', async () => {
    const store = storeOn(url, { namespace: 'recreate' });
    try {
      const item = (requestId: string) => ({
        requestId,
        role: 'user' as const,
        content: 1,
        createdAt: new Date(),
      });
      const first = await store.create({
        taskId: 'again',
        status: 'running',
        ttlMs: 50,
        items: [item('a1'), item('both')],
      });
      await sleep(80);
      // same createdAt as the expired task: the index entry shared by both must survive
      const second = await store.create({
        taskId: 'again',
        status: 'completed',
        createdAt: first.createdAt,
        items: [item('both'), item('b2')],
      });
      expect(await store.loadByRequestId('a1')).toBeNull();
      expect(await store.loadByRequestId('both')).toEqual(second);
      expect(await store.loadByRequestId('b2')).toEqual(second);
      expect([await store.countActive(), await store.count({ status: 'completed' })]).toEqual([0, 1]);
      await store.update({ ...second, items: [item('b2')] });
      expect(await store.loadByRequestId('both')).toBeNull();
      expect(await findInconsistencies(url)).toEqual(CONSISTENT);
    } finally {
      await store.close();
    }
  });

  it('a stray request-id row (left by hand) does not block the create of its task', async () => {
    const store = storeOn(url, { namespace: 'stray' });
    try {
      const createdAt = new Date(1_700_000_000_000);
      await sqlRows(
        url,
        `insert into taskvault_task_requests values ('stray', 'r1', ${createdAt.getTime()}, 't1')`,
      );
      const item = { requestId: 'r1', role: 'user' as const, content: 1, createdAt };
      const task = await store.create({ taskId: 't1', createdAt, items: [item] });
      expect(await store.loadByRequestId('r1')).toEqual(task);
      await expect(store.create({ taskId: 't1' })).rejects.toMatchObject({ code: 'TASK_EXISTS' });
      expect(await findInconsistencies(url)).toEqual(CONSISTENT);
    } finally {
      await store.close();
    }
  });

  it('the background sweeper deletes expired rows (and their index rows); close() stops it', async () => {
    const store = storeOn(url, { namespace: 'sweep', sweepIntervalMs: 50 });
    try {
      await store.create({
        taskId: 'brief',
        // Long enough that the row is surely still there at the first look, on a loaded machine.
        ttlMs: 1500,
        items: [{ requestId: 'brief-r', role: 'user', content: 1, createdAt: new Date() }],
      });
      await store.create({ taskId: 'stays' });
      const rows = async () =>
        (await sqlRows(url, "select task_id from taskvault_tasks where namespace = 'sweep' order by 1")).map(
          (r) => r.task_id,
        );
      expect(await rows()).toEqual(['brief', 'stays']);
      for (let i = 0; i < 200 && (await rows()).length > 1; i++) await sleep(50);
      expect(await rows()).toEqual(['stays']);
      expect(await findInconsistencies(url)).toEqual(CONSISTENT);
    } finally {
      await store.close();
    }
  });

  it('a password in the URL appears in no message, detail or health report', async () => {
    const secret = 's3cret-Pa55';
    const store = new PostgresTaskStore({
      connectionString: `postgres://postgres:${secret}@127.0.0.1:1/db?sslmode=disable`,
      connectionTimeoutMs: 500,
      sweepIntervalMs: 0,
    });
    try {
      const error = (await store.load('x').catch((e: unknown) => e)) as Error;
      expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
      const health = await store.healthCheck();
      expect(health.ok).toBe(false);
      for (const text of [error.message, String(error.stack), health.detail ?? ''])
        expect(text).not.toContain(secret);
    } finally {
      await store.close();
    }
  });

  it("an idle pooled connection's error (server restarted) is caught by the store, never crashing the process", async () => {
    const own = await server().createDatabase();
    const store = storeOn(own);
    try {
      await store.create({ taskId: 'a' });
      expect(store.lastPoolError).toBeNull();
      // terminate the store's idle connection from the server side
      await sqlRows(
        own,
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'taskvault'",
      );
      for (let i = 0; i < 40 && store.lastPoolError === null; i++) await sleep(25);
      expect(store.lastPoolError).not.toBeNull();
      expect(await store.load('a')).not.toBeNull();
    } finally {
      await store.close();
    }
  });

  it('createFromConfig: URL, schema and prefix from config.postgres; namespace, ttl and options passed on', async () => {
    const config = resolveConfig(
      {
        backend: 'postgres',
        namespace: 'from-config',
        ttl: '1h',
        postgres: { connectionString: url, schema: 'cfg', tablePrefix: 'c_' },
        options: { sweepIntervalMs: 0, statementTimeoutMs: 2000 },
      },
      {},
    );
    const store = createFromConfig(config);
    try {
      expect(store).toBeInstanceOf(PostgresTaskStore);
      expect([store.namespace, store.schema, store.tablePrefix, store.ttlMs]).toEqual([
        'from-config',
        'cfg',
        'c_',
        3_600_000,
      ]);
      expect((await store.create({ taskId: 't' })).expiresAt).not.toBeNull();
    } finally {
      await store.close();
    }
    const pool = new pg.Pool({ connectionString: url });
    const pooled = createFromConfig(
      resolveConfig({ backend: 'postgres', options: { pool, sweepIntervalMs: 0 } }, {}),
    );
    await pooled.create({ taskId: 'p' });
    await pooled.close();
    expect((await pool.query('select 1 as x')).rows).toEqual([{ x: 1 }]);
    await pool.end();
  });
});
