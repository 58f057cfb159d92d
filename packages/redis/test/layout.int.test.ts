/**
 * The stored layout under the usual write paths: in-place patches, updates that keep or move index
 * entries, and cleanup of index entries whose updatedAt score is stale. After each step the stored
 * document is exactly what a fresh write of the same task would store, and tasks and index entries
 * agree.
 */
import type { AgentTask } from '@taskvault/core';
import { type RedisServerHandle, startRedis } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeDoc } from '../src/doc.js';
import { RedisTaskStore } from '../src/index.js';
import { indexProblems } from './support/inspect.js';

let server: RedisServerHandle;
let direct: Redis;
beforeAll(async () => {
  server = await startRedis();
  direct = new Redis(server.url);
});
afterAll(async () => {
  direct?.disconnect();
  await server?.destroy();
});

function item(requestId: string, content: unknown = requestId) {
  return {
    requestId,
    role: 'tool' as const,
    content: content as string,
    createdAt: new Date(1_700_000_000_000),
  };
}

/** Checks the stored document against the task and the indexes against the documents. */
async function expectStored(store: RedisTaskStore, task: AgentTask): Promise<void> {
  const stored = await direct.get(store.keyLayout.taskKey(task.taskId));
  expect(stored).toBe(
    encodeDoc({
      version: task.version,
      updatedAt: task.updatedAt.getTime(),
      status: task.status,
      expiresAt: task.expiresAt,
      createdAt: task.createdAt.getTime(),
      sessionId: task.sessionId,
      userId: task.userId,
      data: task.data,
      items: task.items,
    }),
  );
  expect(await store.load(task.taskId)).toEqual(task);
  expect(await indexProblems(direct, store.keyLayout.buckets[0]!)).toEqual([]);
}

describe('stored layout', () => {
  it('patches written in place and rebuilt leave the same document a fresh write would', async () => {
    const store = new RedisTaskStore({ url: server.url, namespace: 'in-place' });
    let task = await store.create({ taskId: 'p', sessionId: 's', data: { keep: { deep: [1, 2] } } });
    await expectStored(store, task);
    // in place: appends (to no items, then to some), status, expiry, request ids old and new
    task = await store.patch('p', { appendItems: [item('r1', { n: 0.1 + 0.2 })] });
    await expectStored(store, task);
    task = await store.patch('p', { appendItems: [item('r1'), item('r2', 'ü😀\t')], status: 'running' });
    await expectStored(store, task);
    task = await store.patch('p', { expiresAt: new Date(Date.now() + 3_600_000) });
    await expectStored(store, task);
    task = await store.patch('p', { expiresAt: new Date(Date.now() + 7_200_000), status: 'paused' });
    await expectStored(store, task);
    task = await store.patch('p', { expiresAt: null, appendItems: [item('r3')] });
    await expectStored(store, task);
    // rebuilt: data merges and session or user changes
    task = await store.patch('p', { data: { added: 'x', keep: null }, userId: 'u' });
    await expectStored(store, task);
    task = await store.patch('p', { sessionId: null, data: { added: { now: [] } } });
    await expectStored(store, task);
    expect(task.version).toBe(8);
    expect(task.items.map((i) => i.requestId)).toEqual(['r1', 'r1', 'r2', 'r3']);
    expect(await store.loadByRequestId('r2')).toEqual(task);
    await store.clear();
    await store.close();
  });

  it('an in-place patch of a document over 16 KiB (head and tail written in place) stores the same bytes', async () => {
    const store = new RedisTaskStore({ url: server.url, namespace: 'in-place-large' });
    let task = await store.create({ taskId: 'big', data: { blob: 'b'.repeat(20_000) } });
    task = await store.patch('big', { appendItems: [item('r1')], status: 'running' });
    await expectStored(store, task);
    task = await store.patch('big', { appendItems: [item('r2', { more: 'ü😀' })] });
    await expectStored(store, task);
    expect(task.version).toBe(3);
    await store.clear();
    await store.close();
  });

  it('updates that keep every index and updates that move them both keep indexes exact', async () => {
    const store = new RedisTaskStore({ url: server.url, namespace: 'updates' });
    let task = await store.create({ taskId: 'u', status: 'pending', items: [item('a'), item('b')] });
    task = await store.update({ ...task, data: { only: 'data changed' } });
    await expectStored(store, task);
    task = await store.update({ ...task, items: [item('b'), item('c')], status: 'failed', userId: 'x' });
    await expectStored(store, task);
    expect(await store.loadByRequestId('a')).toBeNull();
    expect((await store.loadByRequestId('c'))?.taskId).toBe('u');
    task = await store.update({ ...task, expiresAt: new Date(Date.now() + 60_000) });
    await expectStored(store, task);
    expect(await store.count({ status: 'failed' })).toBe(1);
    expect(await store.countActive()).toBe(0);
    await store.clear();
    await store.close();
  });

  it('bookkeeping that lists request ids before other indexes (older writes) is read whole and rewritten', async () => {
    const store = new RedisTaskStore({ url: server.url, namespace: 'old-bookkeeping' });
    let task = await store.create({
      taskId: 'o',
      sessionId: 's1',
      userId: 'u1',
      items: [item('a'), item('b')],
    });
    const ix = `${store.keyLayout.buckets[0]!.prefix}ix`;
    const [lex, ...suffixes] = (await direct.hget(ix, 'o'))!.split('\x1f');
    // what an older patch wrote: session and user after the request ids
    const reordered = [...suffixes.filter((f) => !/^(ss|us):/.test(f)), 'ss:s1', 'us:u1'];
    await direct.hset(ix, 'o', [lex, ...reordered].join('\x1f'));
    task = await store.patch('o', { sessionId: 's2', appendItems: [item('c')] });
    await expectStored(store, task);
    task = await store.update({ ...task, userId: 'u2', items: [item('c'), item('d')] });
    await expectStored(store, task);
    expect(await store.list({ sessionId: 's1' })).toEqual({ tasks: [], nextCursor: null });
    expect((await store.list({ userId: 'u2' })).tasks.map((t) => t.taskId)).toEqual(['o']);
    expect(await store.loadByRequestId('a')).toBeNull();
    await store.clear();
    await store.close();
  });

  it('cleanup keeps a task written after the cutoff although its index score is older, and moves that score', async () => {
    const store = new RedisTaskStore({ url: server.url, namespace: 'stale-scores' });
    const old = await store.create({ taskId: 'old', status: 'completed' });
    const touched = await store.create({ taskId: 'touched', status: 'completed' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cutoff = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // same status: the patch leaves the up:completed score at creation time
    const patched = await store.patch('touched', { data: { later: true } });
    const upKey = `${store.keyLayout.buckets[0]!.prefix}up:completed`;
    expect(Number(await direct.zscore(upKey, 'touched'))).toBe(touched.updatedAt.getTime());
    expect(await store.cleanup({ olderThan: cutoff })).toBe(1);
    expect(await store.load(old.taskId)).toBeNull();
    expect(await store.load('touched')).toEqual(patched);
    expect(Number(await direct.zscore(upKey, 'touched'))).toBe(patched.updatedAt.getTime());
    expect(await store.cleanup({ olderThan: cutoff })).toBe(0);
    expect(await indexProblems(direct, store.keyLayout.buckets[0]!)).toEqual([]);
    await store.clear();
    await store.close();
  });
});
