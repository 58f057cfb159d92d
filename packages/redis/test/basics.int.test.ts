import { type RedisServerHandle, startRedis } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTaskStore, SCRIPTS } from '../src/index.js';

let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.destroy();
});

describe('redis store basics', () => {
  it('create, load, patch, list, count, delete', async () => {
    const store = new RedisTaskStore({ url: server.url, namespace: 'smoke' });
    const created = await store.create({
      taskId: 'a{b}:c',
      data: { n: 0.1 + 0.2, big: 1234567890123456, e: [], o: {}, __proto__x: 1 },
      items: [{ requestId: 'r1', role: 'user', content: { text: 'hi', list: [] }, createdAt: new Date(5) }],
      sessionId: 's1',
    });
    expect(created.version).toBe(1);
    const loaded = await store.load('a{b}:c');
    expect(loaded).toEqual(created);
    const patched = await store.patch('a{b}:c', {
      data: { n: null },
      appendItems: [{ requestId: 'r2', role: 'assistant', content: 'x', createdAt: new Date(6) }],
      status: 'running',
    });
    expect(patched.version).toBe(2);
    expect(patched.data.n).toBeNull();
    expect(patched.items).toHaveLength(2);
    expect(await store.loadByRequestId('r2')).toEqual(patched);
    expect(await store.count()).toBe(1);
    expect(await store.countActive()).toBe(1);
    expect(await store.count({ status: 'running' })).toBe(1);
    expect(await store.count({ sessionId: 's1' })).toBe(1);
    expect(await store.count({ createdAfter: new Date(0) })).toBe(1);
    const page = await store.list();
    expect(page.tasks).toEqual([patched]);
    await store.delete('a{b}:c');
    expect(await store.load('a{b}:c')).toBeNull();
    expect(await store.count()).toBe(0);
    await store.close();
  });

  it('tasks with thousands of data keys and items round-trip (scripts chunk their arguments)', async () => {
    const store = new RedisTaskStore({ url: server.url, namespace: 'large', maxTaskBytes: 64 * 1024 * 1024 });
    const data = Object.fromEntries(
      Array.from({ length: 5000 }, (_, i) => [`k${i}`, { i, f: i / 7, e: [] }]),
    );
    const items = Array.from({ length: 3000 }, (_, i) => ({
      requestId: `r${i % 700}`,
      role: 'tool' as const,
      content: { i, nested: { list: [i, null, 'x'] } },
      createdAt: new Date(1_700_000_000_000 + i),
    }));
    const created = await store.create({ taskId: 'big', data, items });
    expect(await store.load('big')).toEqual(created);
    const patchData = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`k${i * 2}`, i]));
    const patched = await store.patch('big', { data: patchData, appendItems: items.slice(0, 1500) });
    expect(patched.items).toHaveLength(4500);
    expect(patched.data.k2).toBe(1);
    expect(patched.data.k1).toEqual({ i: 1, f: 1 / 7, e: [] });
    const updated = await store.update({ ...patched, items: items.slice(0, 10), data: { only: true } });
    expect(await store.load('big')).toEqual(updated);
    expect(await store.loadByRequestId('r699')).toBeNull();
    expect((await store.loadByRequestId('r9'))?.taskId).toBe('big');
    await store.clear();
    await store.close();
  });

  it('patch past maxTaskBytes is INVALID_INPUT on path task and changes nothing', async () => {
    const store = new RedisTaskStore({ url: server.url, namespace: 'size', maxTaskBytes: 4096 });
    const created = await store.create({ taskId: 's', data: { a: 'x'.repeat(2000) } });
    await expect(store.patch('s', { data: { b: 'y'.repeat(2500) } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      path: 'task',
    });
    expect(await store.load('s')).toEqual(created);
    // replacing a value by a smaller one is fine, and so is a patch that does not grow the task
    const smaller = await store.patch('s', { data: { a: 'x' } });
    expect(smaller.data.a).toBe('x');
    await store.clear();
    await store.close();
  });

  it('a flushed script cache is refilled on the fly (NOSCRIPT -> EVAL), without running anything twice', async () => {
    const store = new RedisTaskStore({ url: server.url, namespace: 'noscript' });
    await store.create({ taskId: 'n', items: [] });
    await store.create({ taskId: 'gone', items: [] });
    const admin = new Redis(server.url);
    await admin.script('FLUSH');
    // delete is a script (the hot writes are functions: see functions.int.test.ts)
    await store.delete('gone');
    expect(await store.load('gone')).toBeNull();
    expect(await admin.script('EXISTS', SCRIPTS.delete.sha)).toEqual([1]);
    admin.disconnect();
    await store.clear();
    await store.close();
  });
});
