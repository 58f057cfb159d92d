/**
 * A squeezed server is reported truthfully: a Redis out of memory (maxmemory, noeviction) refuses
 * writes with a message that says so, mapped by the reply's own code, and nothing is half-written;
 * a Redis that may evict keys (any policy but noeviction) is reported by healthCheck.
 */
import type { TaskItem, TaskStoreError } from '@taskvault/core';
import { type RedisServerHandle, startRedis } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisTaskStore } from '../src/index.js';
import { indexProblems } from './support/inspect.js';
import { rejection } from './support/rejection.js';

const servers: RedisServerHandle[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.destroy()));
});

async function server(args: string[]): Promise<RedisServerHandle> {
  const s = await startRedis({ args });
  servers.push(s);
  return s;
}

function item(requestId: string): TaskItem {
  return { requestId, role: 'user', content: requestId, createdAt: new Date() };
}

/**
 * Writes filler keys until Redis refuses one for memory, then lowers maxmemory a little below what
 * is used (freed buffers would otherwise let the next write slip under the limit); returns the
 * filler keys.
 */
async function fill(direct: Redis): Promise<string[]> {
  const keys: string[] = [];
  const blob = 'x'.repeat(64 * 1024);
  for (let i = 0; i < 10_000; i++) {
    try {
      await direct.set(`filler:${i}`, blob);
      keys.push(`filler:${i}`);
    } catch (error) {
      if (!String((error as Error).message).startsWith('OOM')) throw error;
      const used = Number(/used_memory:(\d+)/.exec(await direct.info('memory'))?.[1]);
      await direct.config('SET', 'maxmemory', String(used - 256 * 1024));
      return keys;
    }
  }
  throw new Error('Redis never ran out of memory');
}

function expectOutOfMemory(error: TaskStoreError): void {
  expect(error.code).toBe('BACKEND_ERROR');
  expect(error.message).toMatch(/out of memory/);
  expect(error.message).toMatch(/maxmemory/);
  expect(error.message).not.toMatch(/delete that key|another type|may or may not/);
}

describe('Redis out of memory (maxmemory, noeviction)', () => {
  it('create, patch and update fail as BACKEND_ERROR saying Redis is out of memory; nothing is half-written', async () => {
    const s = await server(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction']);
    const direct = new Redis(s.url);
    const store = new RedisTaskStore({ url: s.url, namespace: 'oom' });
    const bucket = store.keyLayout.buckets[0]!;
    const kept = await store.create({ taskId: 'kept', sessionId: 's', items: [item('r0')] });
    const filler = await fill(direct);

    expectOutOfMemory(await rejection(store.create({ taskId: 'new', items: [item('r-new')] })));
    // a new request id (index entries move), a status change, a data-only change (in place)
    expectOutOfMemory(await rejection(store.patch('kept', { appendItems: [item('r1')] })));
    expectOutOfMemory(await rejection(store.patch('kept', { status: 'running' })));
    expectOutOfMemory(await rejection(store.patch('kept', { data: { big: 'y'.repeat(1000) } })));
    expectOutOfMemory(
      await rejection(store.update({ ...kept, userId: 'u', items: [item('r0'), item('r2')] })),
    );
    expectOutOfMemory(await rejection(store.update({ ...kept, data: { only: 'data' } })));

    // nothing changed, reads still work, and tasks and indexes agree
    expect(await store.load('kept')).toEqual(kept);
    expect(await store.load('new')).toBeNull();
    expect(await store.loadByRequestId('r1')).toBeNull();
    expect((await store.loadByRequestId('r0'))?.taskId).toBe('kept');
    expect(await store.count({ status: 'pending' })).toBe(1);
    expect(await indexProblems(direct, bucket)).toEqual([]);

    // once memory is freed, writes work again
    await direct.del(...filler);
    await direct.config('SET', 'maxmemory', '64mb');
    const patched = await store.patch('kept', { status: 'running', appendItems: [item('r1')] });
    expect(patched.version).toBe(2);
    expect(await indexProblems(direct, bucket)).toEqual([]);
    await store.clear();
    await store.close();
    direct.disconnect();
  });

  it('delete and clear still work out of memory (they only free memory)', async () => {
    const s = await server(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction']);
    const direct = new Redis(s.url);
    const store = new RedisTaskStore({ url: s.url, namespace: 'oom-free' });
    await store.create({ taskId: 'a', items: [item('ra')] });
    await store.create({ taskId: 'b', items: [item('rb')] });
    await fill(direct);
    await store.delete('a');
    expect(await store.load('a')).toBeNull();
    expect(await store.clear()).toBe(1);
    expect(await direct.keys(`${store.keyLayout.buckets[0]!.prefix}t:*`)).toEqual([]);
    await store.close();
    direct.disconnect();
  });
});

describe('the sweeper out of memory', () => {
  it('the lease holder still renews its lease and removes dead tasks (sweeping frees memory)', async () => {
    const s = await server(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction']);
    const direct = new Redis(s.url);
    const store = new RedisTaskStore({
      url: s.url,
      namespace: 'oom-sweep',
      retention: { completed: 200 },
      sweep: { intervalMs: 600_000 }, // sweeps only when the test says
    });
    for (let i = 0; i < 5; i++) await store.create({ taskId: `done-${i}`, status: 'completed' });
    await store.sweepNow(); // takes the lease; nothing is dead yet
    expect(store.sweepStatus).toMatchObject({ holdsLease: true, lastRemoved: 0, lastError: null });
    // as in a bucket no batch of this holder reached yet: the batch raises the fence, a write
    await direct.del(`${store.keyLayout.buckets[0]!.prefix}sweep:fence`);
    await fill(direct);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await store.sweepNow();
    expect(store.sweepStatus).toMatchObject({ holdsLease: true, lastRemoved: 5, lastError: null });
    expect(await direct.keys(`${store.keyLayout.buckets[0]!.prefix}t:*`)).toEqual([]);
    await store.close();
    direct.disconnect();
  });
});

describe('eviction policy', () => {
  it('healthCheck is ok under noeviction and ok: false naming any other policy', async () => {
    const s = await server(['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction']);
    const direct = new Redis(s.url);
    const store = new RedisTaskStore({ url: s.url, namespace: 'policy' });
    expect(await store.healthCheck()).toMatchObject({ ok: true, backend: 'redis' });
    for (const policy of [
      'allkeys-lru',
      'allkeys-lfu',
      'allkeys-random',
      'volatile-lru',
      'volatile-lfu',
      'volatile-random',
      'volatile-ttl',
    ]) {
      await direct.config('SET', 'maxmemory-policy', policy);
      // a fresh store reads the policy at once; a running one within 10 s
      const fresh = new RedisTaskStore({ url: s.url, namespace: 'policy' });
      const health = await fresh.healthCheck();
      expect(health.ok, policy).toBe(false);
      expect(health.detail).toContain(`maxmemory-policy ${policy}`);
      expect(health.detail).toContain('noeviction');
      await fresh.close();
    }
    await store.close();
    direct.disconnect();
  });

  it('with CONFIG disabled, the policy is read from INFO memory', async () => {
    const s = await server(['--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', '']);
    const store = new RedisTaskStore({ url: s.url, namespace: 'policy-info' });
    const health = await store.healthCheck();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('maxmemory-policy allkeys-lru');
    await store.close();
  });

  it('the policy is read at most every 10 s: a health check is one PING otherwise', async () => {
    const s = await server(['--maxmemory-policy', 'noeviction']);
    const direct = new Redis(s.url);
    const store = new RedisTaskStore({ url: s.url, namespace: 'policy-cache' });
    expect((await store.healthCheck()).ok).toBe(true);
    await direct.call('CONFIG', 'RESETSTAT');
    for (let i = 0; i < 5; i++) expect((await store.healthCheck()).ok).toBe(true);
    const stats = String(await direct.info('commandstats'));
    expect(stats).toMatch(/cmdstat_ping:calls=5,/);
    expect(stats).not.toMatch(/cmdstat_config\|get/);
    await store.close();
    direct.disconnect();
  });
});
