/** close, `await using`, healthCheck and the backend name. */
import {
  TaskCreateError,
  TaskDeleteError,
  TaskLoadError,
  TaskQueryError,
  type TaskStore,
  TaskStoreError,
  TaskUpdateError,
} from '@taskvault/core';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { newTask, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

/** Every method but close, called with valid arguments, and the error class it must reject with. */
function everyCall(store: TaskStore, task: Awaited<ReturnType<TaskStore['create']>>) {
  return [
    ['create', () => store.create(newTask()), TaskCreateError],
    ['load', () => store.load(task.taskId), TaskLoadError],
    ['update', () => store.update(task), TaskUpdateError],
    ['patch', () => store.patch(task.taskId, { status: 'running' }), TaskUpdateError],
    ['delete', () => store.delete(task.taskId), TaskDeleteError],
    ['loadByRequestId', () => store.loadByRequestId(uniqueId('req')), TaskLoadError],
    ['list', () => store.list(), TaskQueryError],
    ['count', () => store.count(), TaskQueryError],
    ['countActive', () => store.countActive(), TaskQueryError],
    ['cleanup', () => store.cleanup({ olderThan: 0 }), TaskQueryError],
    ['clear', () => store.clear(), TaskDeleteError],
    ['healthCheck', () => store.healthCheck(), TaskStoreError],
  ] as const;
}

export function lifecycleCases(scenario: Scenario): void {
  scenario('backend is a non-empty string', async (h) => {
    const store = await h.store();
    expect(typeof store.backend).toBe('string');
    expect(store.backend.length).toBeGreaterThan(0);
  });

  scenario('healthCheck of a working store is ok, names the backend and times itself', async (h) => {
    const store = await h.store();
    const health = await store.healthCheck();
    expect(health.ok).toBe(true);
    expect(health.backend).toBe(store.backend);
    expect(typeof health.latencyMs).toBe('number');
    expect(Number.isFinite(health.latencyMs)).toBe(true);
    expect(health.latencyMs).toBeGreaterThanOrEqual(0);
  });

  scenario('after close, every method rejects with STORE_CLOSED and its error class', async (h) => {
    const store = await h.store();
    const task = await store.create(newTask());
    await store.close();
    for (const [name, call, type] of everyCall(store, task)) {
      const error = await expectTaskError(call(), { type, code: 'STORE_CLOSED' });
      expect(error.operation, name).toBe(name);
    }
  });

  scenario('close twice, or concurrently, resolves', async (h) => {
    const store = await h.store();
    await expect(Promise.all([store.close(), store.close()])).resolves.toEqual([undefined, undefined]);
    await expect(store.close()).resolves.toBeUndefined();
  });

  scenario('Symbol.asyncDispose closes the store', async (h) => {
    const store = await h.store();
    await store[Symbol.asyncDispose]();
    await expectTaskError(store.load(uniqueId('t')), { type: TaskLoadError, code: 'STORE_CLOSED' });
    await expect(store.close()).resolves.toBeUndefined();
  });

  scenario('await using closes the store at the end of the block', async (h) => {
    let escaped: TaskStore | undefined;
    {
      await using store = await h.store();
      escaped = store;
      await store.create(newTask());
      expect(await store.count()).toBe(1);
    }
    await expectTaskError(escaped.count(), { type: TaskQueryError, code: 'STORE_CLOSED' });
  });

  scenario(
    'a write in flight when close is called settles; nothing rejects with a non-TaskStoreError',
    async (h) => {
      const store = await h.store();
      const writes = Array.from({ length: 10 }, () => store.create(newTask()));
      const closing = store.close();
      const outcomes = await Promise.allSettled(writes);
      await closing;
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(TaskStoreError);
    },
  );
}
