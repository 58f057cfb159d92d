/**
 * A namespace records the shard count it was first written with; a store opening it with another
 * count is CONFIG_INVALID naming `shards` and the recorded count, for every call, instead of
 * silently missing tasks (and letting creates duplicate ids). Single node and Cluster.
 */
import type { TaskStoreError } from '@taskvault/core';
import {
  type RedisClusterHandle,
  type RedisServerHandle,
  startRedis,
  startRedisCluster,
} from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTaskStore, type RedisTaskStoreOptions } from '../src/index.js';
import { rejection } from './support/rejection.js';

let server: RedisServerHandle;
let cluster: RedisClusterHandle;
beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedis(), startRedisCluster({ masters: 3 })]);
});
afterAll(async () => {
  await Promise.all([server?.destroy(), cluster?.destroy()]);
});

function expectShardMismatch(error: TaskStoreError, recorded: number): void {
  expect(error.code).toBe('CONFIG_INVALID');
  expect(error.path).toBe('shards');
  expect(error.message).toContain(`shards: ${recorded}`);
}

type Connect = () => Pick<RedisTaskStoreOptions, 'url' | 'cluster'>;

function shardCases(label: string, connect: Connect) {
  const open = (namespace: string, shards: number) => new RedisTaskStore({ ...connect(), namespace, shards });

  it(`${label}: another shard count is CONFIG_INVALID for every call, naming the recorded one`, async () => {
    const right = open('recorded', 4);
    for (let i = 0; i < 20; i++) await right.create({ taskId: `t${i}`, sessionId: 's' });
    const wrong = open('recorded', 2);
    expectShardMismatch(await rejection(wrong.create({ taskId: 't3' })), 4);
    expectShardMismatch(await rejection(wrong.load('t3')), 4);
    expectShardMismatch(await rejection(wrong.list()), 4);
    expectShardMismatch(await rejection(wrong.count()), 4);
    expectShardMismatch(await rejection(wrong.delete('t3')), 4);
    expect((await rejection(wrong.create({ taskId: 't3' }))).name).toBe('TaskCreateError');
    const health = await wrong.healthCheck();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('shards: 4');
    // the right count sees every task, no duplicate was made
    const again = open('recorded', 4);
    expect(await again.count()).toBe(20);
    expect((await again.list({ limit: 100 })).tasks).toHaveLength(20);
    await right.clear();
    await Promise.all([right.close(), wrong.close(), again.close()]);
  });

  it(`${label}: of two stores opening a new namespace with different counts at once, one wins`, async () => {
    const a = open('race', 2);
    const b = open('race', 3);
    const results = await Promise.allSettled([a.count(), b.count()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((lost.reason as TaskStoreError).code).toBe('CONFIG_INVALID');
    await Promise.all([a.close(), b.close()]);
  });
}

describe('shard count recorded', () => {
  shardCases('single node', () => ({ url: server.url }));
  shardCases('cluster', () => ({ cluster: cluster.nodes.map((n) => `${n.host}:${n.port}`) }));

  it('a namespace written with more shards before counts were recorded is refused by a store with fewer', async () => {
    const wide = new RedisTaskStore({ url: server.url, namespace: 'unrecorded', shards: 4 });
    for (let i = 0; i < 20; i++) await wide.create({ taskId: `t${i}` });
    const direct = new Redis(server.url);
    await direct.del(wide.keyLayout.shardRecordKey);
    const narrow = new RedisTaskStore({ url: server.url, namespace: 'unrecorded', shards: 1 });
    const error = await rejection(narrow.count());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.path).toBe('shards');
    expect(error.message).toMatch(/more shards/);
    expect(await direct.exists(wide.keyLayout.shardRecordKey)).toBe(0);
    // the store with the count it was written with records it
    const again = new RedisTaskStore({ url: server.url, namespace: 'unrecorded', shards: 4 });
    expect(await again.count()).toBe(20);
    expect(await direct.get(wide.keyLayout.shardRecordKey)).toBe('4');
    await again.clear();
    await Promise.all([wide.close(), narrow.close(), again.close()]);
    direct.disconnect();
  });
});
