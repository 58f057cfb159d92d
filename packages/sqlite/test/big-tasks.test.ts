/**
 * Cost per write stays linear in the task: a task with 20,000 items and as many request ids is
 * created, patched with 20,000 more, updated, deleted, cleaned up and cleared, each in time a
 * user would accept (the figures are in `pnpm bench`; here only that nothing is quadratic enough
 * to hit a generous bound), and every index entry follows.
 */
import { join } from 'node:path';
import type { TaskItem } from '@taskvault/core';
import { expect, it } from 'vitest';
import { SqliteTaskStore } from '../src/index.js';
import { tempDir } from './helpers.js';

const path = join(tempDir(), 'big.db');
const items = (from: number, n: number): TaskItem[] =>
  Array.from({ length: n }, (_, i) => ({
    requestId: `req-${from + i}`,
    role: 'tool',
    content: { n: from + i },
    createdAt: new Date(),
  }));

it('a task of 20,000 items and request ids: create, patch +20,000, update, delete, cleanup, clear', async () => {
  const store = new SqliteTaskStore({ path, namespace: 'big' });
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await fn();
    expect(performance.now() - started, what).toBeLessThan(5000);
    return result;
  };
  const created = await timed('create', () => store.create({ taskId: 'big', items: items(0, 20_000) }));
  await timed('patch', () => store.patch('big', { appendItems: items(20_000, 20_000) }));
  expect(await store.loadByRequestId('req-39999')).toMatchObject({ taskId: 'big', version: 2 });
  const loaded = (await store.load('big'))!;
  expect(loaded.items).toHaveLength(40_000);
  await timed('update', () => store.update({ ...loaded, items: loaded.items.slice(0, 10), version: 2 }));
  expect(await store.loadByRequestId('req-39999')).toBeNull();
  expect(await store.loadByRequestId('req-9')).toMatchObject({ taskId: 'big', version: 3 });
  await timed('delete', () => store.delete('big'));
  expect(await store.loadByRequestId('req-9')).toBeNull();
  expect(created.version).toBe(1);

  await store.create({
    taskId: 'old',
    status: 'completed',
    items: items(0, 20_000),
    createdAt: new Date(1000),
  });
  await store.create({ taskId: 'other', items: items(50_000, 20_000) });
  expect(await timed('cleanup', () => store.cleanup({ olderThan: 0 }))).toBe(1);
  expect(await timed('clear', () => store.clear())).toBe(1);
  expect((await store.verify()).ok).toBe(true);
  await store.close();
}, 60_000);
