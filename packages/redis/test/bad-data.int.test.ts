/**
 * Damaged data: an unreadable task is CORRUPT_DATA, moved to quarantine keys (not destroyed) with
 * its index entries gone, and the rest of the store keeps working; a foreign value where an index
 * is expected is a clear BACKEND_ERROR that changes nothing.
 */
import { TaskCreateError, type TaskItem, TaskLoadError } from '@taskvault/core';
import { type RedisServerHandle, startRedis } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisTaskStore } from '../src/index.js';
import { indexProblems } from './support/inspect.js';
import { rejection } from './support/rejection.js';

let server: RedisServerHandle;
let direct: Redis;
const stores: RedisTaskStore[] = [];

beforeAll(async () => {
  server = await startRedis();
  direct = new Redis(server.url);
});
afterEach(async () => {
  for (const store of stores.splice(0)) {
    await store.clear();
    await store.close();
  }
});
afterAll(async () => {
  direct?.disconnect();
  await server?.destroy();
});

function storeOn(namespace: string): RedisTaskStore {
  const store = new RedisTaskStore({ url: server.url, namespace });
  stores.push(store);
  return store;
}

function item(requestId: string): TaskItem {
  return { requestId, role: 'user', content: requestId, createdAt: new Date() };
}

describe('corrupt records', () => {
  it('a garbage value under a task key is CORRUPT_DATA, quarantined with its index entries gone; the rest works', async () => {
    const store = storeOn('garbage');
    await store.create({ taskId: 'victim', status: 'running', sessionId: 's', items: [item('r-victim')] });
    const other = await store.create({
      taskId: 'other',
      status: 'running',
      sessionId: 's',
      items: [item('r-other')],
    });
    const bucket = store.keyLayout.buckets[0]!;
    await direct.set(`${bucket.prefix}t:victim`, 'not a task at all');

    const error = await rejection(store.load('victim'));
    expect(error).toBeInstanceOf(TaskLoadError);
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.taskId).toBe('victim');

    // the task key, moved within the slot, not deleted
    const quarantined = await direct.keys(`${bucket.prefix}quarantine:*`);
    const encoded = Buffer.from('victim').toString('base64url');
    expect(quarantined).toEqual([expect.stringMatching(new RegExp(`quarantine:${encoded}:\\d+$`))]);
    expect(await direct.get(quarantined[0]!)).toBe('not a task at all');

    expect(await store.load('victim')).toBeNull();
    expect(await store.loadByRequestId('r-victim')).toBeNull();
    expect(await store.count()).toBe(1);
    expect(await store.countActive()).toBe(1);
    expect(await store.count({ sessionId: 's' })).toBe(1);
    expect((await store.list()).tasks).toEqual([other]);
    expect(await store.load('other')).toEqual(other);
    expect(await indexProblems(direct, bucket)).toEqual([]);
    // the id is free again
    expect((await store.create({ taskId: 'victim' })).version).toBe(1);
  });

  it('unparseable JSON inside a task is CORRUPT_DATA for load, and list skips it after moving it aside', async () => {
    const store = storeOn('bad-json');
    await store.create({ taskId: 'a', data: { x: 1 } });
    const b = await store.create({ taskId: 'b', data: { x: 2 } });
    const bucket = store.keyLayout.buckets[0]!;
    const key = `${bucket.prefix}t:a`;
    const stored = (await direct.get(key))!;
    expect(stored).toContain('\n"x"\t:1');
    await direct.set(key, stored.replace('\n"x"\t:1', '\n"x"\t:{not json'));

    const page = await store.list();
    expect(page.tasks).toEqual([b]);
    expect(await direct.keys(`${bucket.prefix}quarantine:*`)).toHaveLength(1);
    expect(await store.load('a')).toBeNull();
    expect(await indexProblems(direct, bucket)).toEqual([]);
  });

  it('restore over an unreadable record moves it aside, reports it, and restores the task under its id', async () => {
    const reports: string[] = [];
    const store = new RedisTaskStore({
      url: server.url,
      namespace: 'restore-over-corrupt',
      onCorrupt: (r) => reports.push(`${r.operation}:${r.taskId}:${r.movedTo === null ? '' : 'moved'}`),
    });
    stores.push(store);
    const task = await store.create({ taskId: 'a', items: [item('r-a')] });
    await direct.set(store.keyLayout.taskKey('a'), 'garbage');
    const report = await store.restore([task], { onConflict: 'skip' });
    expect(report).toMatchObject({ restored: 1, skipped: 0 });
    expect(reports).toEqual(['restore:a:moved']);
    expect(await store.load('a')).toEqual(task);
    expect(await indexProblems(direct, store.keyLayout.buckets[0]!)).toEqual([]);
  });

  it('a task record missing its version is CORRUPT_DATA for a write, which changes nothing else', async () => {
    const store = storeOn('no-fields');
    await store.create({ taskId: 'a', items: [item('r-a')] });
    const bucket = store.keyLayout.buckets[0]!;
    const key = `${bucket.prefix}t:a`;
    await direct.set(key, (await direct.get(key))!.replace('{"v":', '{"w":'));
    const error = await rejection(store.patch('a', { status: 'running' }));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.name).toBe('TaskUpdateError');
    expect(await store.load('a')).toBeNull();
    expect(await store.loadByRequestId('r-a')).toBeNull();
    expect(await indexProblems(direct, bucket)).toEqual([]);
  });
});

describe('foreign values where indexes are expected', () => {
  it('a string under a status index: writes entering that status are BACKEND_ERROR naming the key and change nothing', async () => {
    const store = storeOn('wrong-type');
    const bucket = store.keyLayout.buckets[0]!;
    const kept = await store.create({ taskId: 'kept', status: 'pending', items: [item('r-kept')] });
    await direct.set(`${bucket.prefix}up:running`, 'someone else wrote this');

    const error = await rejection(store.create({ taskId: 'new', status: 'running', items: [item('r-new')] }));
    expect(error).toBeInstanceOf(TaskCreateError);
    expect(error.code).toBe('BACKEND_ERROR');
    expect(error.message).toContain('up:running');
    expect(error.message).toMatch(/another type/);
    expect(await direct.exists(`${bucket.prefix}t:new`)).toBe(0);
    expect(await store.loadByRequestId('r-new')).toBeNull();

    const patchError = await rejection(
      store.patch('kept', { status: 'running', appendItems: [item('r-more')] }),
    );
    expect(patchError.code).toBe('BACKEND_ERROR');
    expect(await store.load('kept')).toEqual(kept);
    expect(await store.loadByRequestId('r-more')).toBeNull();

    // everything that does not touch that key keeps working
    expect(await store.count()).toBe(1);
    expect((await store.list()).tasks).toEqual([kept]);
    expect((await store.list({ status: 'running' })).tasks).toEqual([]);
    expect(await store.count({ status: 'pending' })).toBe(1);
    await store.delete('kept');
    await direct.del(`${bucket.prefix}up:running`);
    expect((await store.create({ taskId: 'new', status: 'running' })).status).toBe('running');
    expect(await indexProblems(direct, bucket)).toEqual([]);
  });

  it('a string under the lex index fails every write and query of the bucket, changing nothing', async () => {
    const store = storeOn('wrong-type-idx');
    const bucket = store.keyLayout.buckets[0]!;
    const kept = await store.create({ taskId: 'kept', items: [item('r-kept')] });
    const saved = await direct.dumpBuffer(bucket.idx);
    await direct.set(bucket.idx, 'x');
    const error = await rejection(store.create({ taskId: 't', items: [item('r-bad')] }));
    expect(error.code).toBe('BACKEND_ERROR');
    expect(error.message).toContain(bucket.idx);
    expect(await direct.exists(`${bucket.prefix}t:t`)).toBe(0);
    expect((await rejection(store.patch('kept', { sessionId: 's' }))).code).toBe('BACKEND_ERROR');
    expect((await rejection(store.list())).code).toBe('BACKEND_ERROR');
    expect((await rejection(store.loadByRequestId('r-kept'))).code).toBe('BACKEND_ERROR');
    // a task's own record is still readable
    expect(await store.load('kept')).toEqual(kept);
    await direct.del(bucket.idx);
    await direct.restore(bucket.idx, 0, saved!);
    expect(await store.loadByRequestId('r-kept')).toEqual(kept);
    expect(await indexProblems(direct, bucket)).toEqual([]);
  });

  it('a string under the expiry index fails only writes of expiring tasks', async () => {
    const store = storeOn('wrong-type-exp');
    const bucket = store.keyLayout.buckets[0]!;
    await direct.set(`${bucket.prefix}exp`, 'x');
    const error = await rejection(store.create({ taskId: 't', ttlMs: 60_000, items: [item('r-t')] }));
    expect(error.code).toBe('BACKEND_ERROR');
    expect(error.message).toContain('exp');
    expect(await store.load('t')).toBeNull();
    const forever = await store.create({ taskId: 'u', items: [item('r-u')] });
    expect(await store.loadByRequestId('r-u')).toEqual(forever);
    expect((await rejection(store.patch('u', { expiresAt: new Date(Date.now() + 60_000) }))).code).toBe(
      'BACKEND_ERROR',
    );
    expect(await store.load('u')).toEqual(forever);
    await direct.del(`${bucket.prefix}exp`);
    expect(await indexProblems(direct, bucket)).toEqual([]);
  });
});
