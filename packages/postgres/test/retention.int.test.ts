/**
 * Retention and the sweep lease on PostgreSQL, below the conformance suite: the lease hooks called
 * directly (takeover after expiry, fencing by token, release), the lease timed by the server's
 * clock, writes of active tasks staying HOT with a policy, and SQL written by hand that moves a
 * task back to an active status.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SweepBatchRequest, SweepLeaseRequest } from '@taskvault/core/adapter';
import { beforeAll, describe, expect, it } from 'vitest';
import { PostgresTaskStore, type PostgresTaskStoreOptions } from '../src/index.js';
import { CONSISTENT, findInconsistencies } from './consistency.js';
import { sqlRows, useServer } from './helpers.js';

const server = useServer();

/** A store whose lease hooks the test calls itself (no background sweeper). */
class LeaseProbe extends PostgresTaskStore {
  skewMs = 0;
  constructor(options: PostgresTaskStoreOptions) {
    super({ ...options, sweep: false });
  }
  protected override now(): Date {
    return new Date(Date.now() + this.skewMs);
  }
  acquire(request: SweepLeaseRequest) {
    return this.acquireSweepLease(request);
  }
  sweep(request: Omit<SweepBatchRequest, 'now'>) {
    return this.sweepDeadTasks({ ...request, now: this.now() });
  }
  release(request: { holder: string; token: number }) {
    return this.releaseSweepLease(request);
  }
}

describe('retention and the sweep lease', () => {
  let url: string;
  beforeAll(async () => {
    url = await server().createDatabase();
  });
  const probe = (namespace: string) =>
    new LeaseProbe({ connectionString: url, namespace, retention: { completed: 10 } });

  it('A holds the lease; once it ran out B takes it with a larger token; A is fenced off; B releases it', async () => {
    const a = probe('lease');
    const b = probe('lease');
    const c = probe('lease');
    try {
      // used, so migrated: the hooks work from now on
      await Promise.all([a.count(), b.count(), c.count()]);
      const t1 = await a.acquire({ holder: 'A', leaseMs: 400 });
      expect(t1).toEqual(expect.any(Number));
      expect(await b.acquire({ holder: 'B', leaseMs: 400 })).toBeNull();
      // A renews: same token
      expect(await a.acquire({ holder: 'A', leaseMs: 400 })).toBe(t1);
      await sleep(500);
      const t2 = await b.acquire({ holder: 'B', leaseMs: 60_000 });
      expect(t2).toBeGreaterThan(t1!);
      expect(await a.acquire({ holder: 'A', leaseMs: 400 })).toBeNull();

      for (let i = 0; i < 3; i++) await a.create({ taskId: `done-${i}`, status: 'completed' });
      await sleep(50);
      // A's stale token deletes nothing
      expect(await a.sweep({ holder: 'A', token: t1!, limit: 10 })).toBeNull();
      expect(
        await sqlRows(url, "select task_id from taskvault_tasks where namespace = 'lease'"),
      ).toHaveLength(3);
      // B's deletes, in bounded batches
      expect(await b.sweep({ holder: 'B', token: t2!, limit: 2 })).toBe(2);
      expect(await b.sweep({ holder: 'B', token: t2!, limit: 2 })).toBe(1);
      expect(await b.sweep({ holder: 'B', token: t2!, limit: 2 })).toBe(0);
      expect(await findInconsistencies(url)).toEqual(CONSISTENT);

      // released: the next holder takes it at once, with the next token
      await b.release({ holder: 'B', token: t2! });
      expect(await b.sweep({ holder: 'B', token: t2! + 1, limit: 2 })).toBeNull();
      const t3 = await c.acquire({ holder: 'C', leaseMs: 60_000 });
      expect(t3).toBe(t2! + 1);
      // a release with a stale token changes nothing
      await b.release({ holder: 'B', token: t2! });
      expect(await a.acquire({ holder: 'A', leaseMs: 400 })).toBeNull();
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it("the lease runs out by the server's clock, whatever a process's own clock says", async () => {
    const honest = probe('skew');
    const ahead = probe('skew');
    ahead.skewMs = 3_600_000;
    try {
      await honest.count();
      await ahead.count();
      expect(await honest.acquire({ holder: 'honest', leaseMs: 60_000 })).toEqual(expect.any(Number));
      expect(await ahead.acquire({ holder: 'ahead', leaseMs: 60_000 })).toBeNull();
    } finally {
      await Promise.all([honest.close(), ahead.close()]);
    }
  });

  it('a store that was never used takes no lease (it would have to create the tables from a timer)', async () => {
    const fresh = probe('unused');
    try {
      expect(await fresh.acquire({ holder: 'x', leaseMs: 1000 })).toBeNull();
    } finally {
      await fresh.close();
    }
  });

  it('with a retention policy, writes of an active task stay HOT; a terminal task moves its deadline', async () => {
    const db = await server().createDatabase();
    const store = new PostgresTaskStore({
      connectionString: db,
      retention: { completed: '1h' },
      sweep: false,
    });
    const stats = async () => {
      const [row] = await sqlRows(
        db,
        "select n_tup_upd::int as upd, n_tup_hot_upd::int as hot from pg_stat_user_tables where relname = 'taskvault_tasks'",
      );
      return { upd: Number(row?.upd), hot: Number(row?.hot) };
    };
    /** Waits until the server's statistics show `updates` updates (they are flushed with a delay). */
    const settled = async (updates: number) => {
      await expect.poll(async () => (await stats()).upd, { timeout: 20_000, interval: 250 }).toBe(updates);
      return stats();
    };
    try {
      const task = await store.create({ taskId: 'active', ttlMs: 3_600_000 });
      await store.create({ taskId: 'done', status: 'completed' });
      for (let i = 0; i < 5; i++) await store.patch('active', { data: { i } });
      await store.update({ ...task, version: 6, data: { replaced: true } });
      // a patch renews a completed task's retention deadline: the retention index moves
      await store.patch('done', { data: { seen: true } });
      await store.close();
      const after = await settled(7);
      expect(after.hot).toBe(6);
    } finally {
      await store.close();
    }
  });

  it('SQL written by hand that moves a task back to an active status drops its retention deadline', async () => {
    const store = new PostgresTaskStore({
      connectionString: url,
      namespace: 'by-hand',
      retention: { completed: 400 },
      sweep: false,
    });
    try {
      await store.create({ taskId: 'reopened', status: 'completed' });
      await store.create({ taskId: 'closed', status: 'completed' });
      await sqlRows(
        url,
        "update taskvault_tasks set status = 'running' where namespace = 'by-hand' and task_id = 'reopened'",
      );
      const rows = await sqlRows(
        url,
        "select task_id, retain_until from taskvault_tasks where namespace = 'by-hand' order by task_id",
      );
      expect(rows.map((r) => [r.task_id, r.retain_until === null])).toEqual([
        ['closed', false],
        ['reopened', true],
      ]);
      await sleep(500);
      expect((await store.load('reopened'))?.status).toBe('running');
      expect(await store.load('closed')).toBeNull();
      expect(await store.count()).toBe(1);
      expect(await findInconsistencies(url)).toEqual(CONSISTENT);
    } finally {
      await store.close();
    }
  });
});
