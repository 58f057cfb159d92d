import { describeTaskStore } from '@taskvault/conformance';
import type { SweepEvent } from '@taskvault/core';
import { type RedisClusterHandle, startRedisCluster } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTaskStore } from '../src/index.js';
import { damageRedisTask } from './support/damage.js';

let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
});
afterAll(async () => {
  await cluster?.destroy();
});

const startupNodes = () => cluster.nodes.map((n) => `${n.host}:${n.port}`);

describeTaskStore({
  name: 'redis cluster (3 masters, shards: 8)',
  create: (options) => new RedisTaskStore({ cluster: startupNodes(), shards: 8, ...options }),
  damage: damageRedisTask,
});

describe('redis cluster layout', () => {
  it('spreads one namespace over the buckets of every master, each task with its index entries', async () => {
    const store = new RedisTaskStore({ cluster: startupNodes(), shards: 8, namespace: 'spread {check}' });
    try {
      for (let i = 0; i < 64; i++) {
        await store.create({
          taskId: `task-${i}`,
          items: [{ requestId: `r-${i}`, role: 'user', content: i, createdAt: new Date() }],
        });
      }
      const perNode: number[] = [];
      for (const node of cluster.nodes) {
        const direct = new Redis({ host: node.host, port: node.port, lazyConnect: true });
        try {
          await direct.connect();
          const keys = await direct.keys('{taskvault:*');
          perNode.push(keys.filter((k) => k.includes(':t:task-')).length);
          // every task on a node sits beside its own bookkeeping and index entries (same slot)
          for (const key of keys.filter((k) => k.includes(':t:task-'))) {
            const prefix = key.slice(0, key.indexOf(':t:task-') + 1);
            const id = key.slice(prefix.length + 2);
            expect(await direct.hexists(`${prefix}ix`, id)).toBe(1);
            expect(await direct.zcard(`${prefix}idx`)).toBeGreaterThan(0);
          }
        } finally {
          direct.disconnect();
        }
      }
      expect(perNode).toHaveLength(3);
      for (const n of perNode) expect(n).toBeGreaterThan(0);
      expect(perNode.reduce((a, b) => a + b, 0)).toBe(64);
      expect(await store.count()).toBe(64);
      expect((await store.list({ limit: 1000, order: 'asc' })).tasks.map((t) => t.taskId)).toHaveLength(64);
      expect((await store.loadByRequestId('r-17'))?.taskId).toBe('task-17');
      expect((await store.healthCheck()).ok).toBe(true);
    } finally {
      await store.clear();
      await store.close();
    }
  });

  it('healthCheck names a master whose maxmemory-policy is not noeviction', async () => {
    const store = new RedisTaskStore({ cluster: startupNodes(), shards: 8, namespace: 'policy {check}' });
    const node = cluster.nodes[1]!;
    const direct = new Redis({ host: node.host, port: node.port });
    try {
      expect((await store.healthCheck()).ok).toBe(true);
      await direct.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const fresh = new RedisTaskStore({ cluster: startupNodes(), shards: 8, namespace: 'policy {check}' });
      const health = await fresh.healthCheck();
      await fresh.close();
      expect(health.ok).toBe(false);
      expect(health.detail).toContain(`${node.host}:${node.port}`);
      expect(health.detail).toContain('maxmemory-policy allkeys-lru');
    } finally {
      await direct.config('SET', 'maxmemory-policy', 'noeviction');
      direct.disconnect();
      await store.close();
    }
  });

  it('countActive, count by status and loadByRequestId make one call per master holding buckets', async () => {
    const store = new RedisTaskStore({ cluster: startupNodes(), shards: 8, namespace: 'per node {count}' });
    const statuses = ['pending', 'running', 'paused', 'completed'] as const;
    const direct = cluster.nodes.map((n) => new Redis({ host: n.host, port: n.port }));
    const scriptCalls = async () => {
      let n = 0;
      for (const node of direct) {
        for (const m of (await node.info('commandstats')).matchAll(/cmdstat_evalsha:calls=(\d+)/g))
          n += Number(m[1]);
        await node.config('RESETSTAT');
      }
      return n;
    };
    try {
      for (let i = 0; i < 40; i++)
        await store.create({ taskId: `t-${i}`, status: statuses[i % 4]!, items: [] });
      await store.create({
        taskId: 'gone-soon',
        status: 'running',
        items: [],
        expiresAt: new Date(Date.now() + 50),
      });
      await new Promise((resolve) => setTimeout(resolve, 80));
      await scriptCalls();
      expect(await store.countActive()).toBe(30);
      expect(await scriptCalls()).toBe(3);
      expect(await store.count({ status: 'completed' })).toBe(10);
      expect(await store.count({ status: ['running', 'paused'] })).toBe(20);
      expect(await store.count()).toBe(40);
      // loadByRequestId: one call per master too, and the earliest holder wins across nodes
      for (let i = 0; i < 6; i++) {
        await store.patch(`t-${i}`, {
          appendItems: [{ requestId: 'shared', role: 'user', content: i, createdAt: new Date() }],
        });
      }
      await scriptCalls();
      expect((await store.loadByRequestId('shared'))?.taskId).toBe('t-0');
      expect(await store.loadByRequestId('nobody')).toBeNull();
      expect(await scriptCalls()).toBe(6);
    } finally {
      for (const node of direct) node.disconnect();
      await store.clear();
      await store.close();
    }
  });

  it('the sweeper walks every bucket of a namespace spread over the masters', async () => {
    const events: SweepEvent[] = [];
    const store = new RedisTaskStore({
      cluster: startupNodes(),
      shards: 8,
      namespace: 'sweep {every bucket}',
      // long enough that no create meets a dead task to purge on the way: the sweep removes them all
      retention: { completed: 2000 },
      // no tick of its own within the test: one sweep, run by sweepNow, in batches of 10
      sweep: { intervalMs: 600_000, batchSize: 10 },
      onSweep: (event) => events.push(event),
    });
    try {
      for (let i = 0; i < 64; i++) await store.create({ taskId: `done-${i}`, status: 'completed' });
      await store.create({ taskId: 'still-running', status: 'running' });
      const buckets = store.keyLayout.buckets;
      const expiring = async () =>
        Promise.all(buckets.map((b) => store.client.zcard(`${b.prefix}exp`) as Promise<number>));
      expect((await expiring()).filter((n) => n > 0).length).toBe(8);
      await new Promise((resolve) => setTimeout(resolve, 2050));
      await store.sweepNow();
      expect(store.sweepStatus).toMatchObject({ holdsLease: true, lastRemoved: 64, lastError: null });
      expect(events.map((e) => e.removed)).toEqual([10, 10, 10, 10, 10, 10, 4]);
      expect(await expiring()).toEqual(buckets.map(() => 0));
      expect(await store.count()).toBe(1);
    } finally {
      await store.clear();
      await store.close();
    }
  });
});
