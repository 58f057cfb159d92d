/** Namespaces: nothing in one is visible, counted, listed, changed, cleaned or cleared from another. */
import { TaskCreateError, TaskDeleteError, TaskUpdateError } from '@taskvault/core';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { item, newTask, sleep, uniqueId } from '../fixtures.js';
import type { Harness, Scenario } from '../harness.js';

/** Two stores on two fresh namespaces, each holding a task with the same id and requestId. */
async function twoNamespaces(h: Harness) {
  const one = await h.store();
  const two = await h.store();
  const taskId = uniqueId('shared-id');
  const requestId = uniqueId('shared-req');
  const sessionId = uniqueId('s');
  const inOne = await one.create(
    newTask({ taskId, sessionId, status: 'completed', items: [item(requestId)], data: { ns: 1 } }),
  );
  const inTwo = await two.create(
    newTask({ taskId, sessionId, status: 'completed', items: [item(requestId)], data: { ns: 2 } }),
  );
  return { one, two, taskId, requestId, sessionId, inOne, inTwo };
}

export function namespaceCases(scenario: Scenario): void {
  scenario('the same taskId can be created in two namespaces, each keeping its own task', async (h) => {
    const { one, two, taskId, inOne, inTwo } = await twoNamespaces(h);
    expect(await one.load(taskId)).toEqual(inOne);
    expect(await two.load(taskId)).toEqual(inTwo);
    expect(inOne.data).toEqual({ ns: 1 });
    expect(inTwo.data).toEqual({ ns: 2 });
  });

  scenario(
    'a task in one namespace is invisible to load, loadByRequestId, list and count of another',
    async (h) => {
      const one = await h.store();
      const two = await h.store();
      const requestId = uniqueId('req');
      const created = await one.create(newTask({ status: 'running', items: [item(requestId)] }));
      expect(await two.load(created.taskId)).toBeNull();
      expect(await two.loadByRequestId(requestId)).toBeNull();
      expect(await two.list()).toEqual({ tasks: [], nextCursor: null });
      expect(await two.count()).toBe(0);
      expect(await two.count({ status: 'running' })).toBe(0);
      expect(await two.countActive()).toBe(0);
      await expectTaskError(two.delete(created.taskId), { type: TaskDeleteError, code: 'TASK_NOT_FOUND' });
      await expectTaskError(two.update(created), { type: TaskUpdateError, code: 'TASK_NOT_FOUND' });
      await expectTaskError(two.patch(created.taskId, {}), { type: TaskUpdateError, code: 'TASK_NOT_FOUND' });
      expect(await one.load(created.taskId)).toEqual(created);
    },
  );

  scenario('loadByRequestId finds the task of its own namespace only', async (h) => {
    const { one, two, requestId, inOne, inTwo } = await twoNamespaces(h);
    expect(await one.loadByRequestId(requestId)).toEqual(inOne);
    expect(await two.loadByRequestId(requestId)).toEqual(inTwo);
  });

  scenario('list, count and countActive see their own namespace only', async (h) => {
    const { one, two, sessionId, inOne } = await twoNamespaces(h);
    await two.create(newTask({ status: 'running', sessionId }));
    expect((await one.list()).tasks).toEqual([inOne]);
    expect((await one.list({ sessionId })).tasks).toEqual([inOne]);
    expect(await one.count()).toBe(1);
    expect(await one.count({ sessionId })).toBe(1);
    expect(await one.countActive()).toBe(0);
    expect(await two.count()).toBe(2);
    expect(await two.countActive()).toBe(1);
  });

  scenario('update, patch and delete in one namespace leave the other untouched', async (h) => {
    const { one, two, taskId, inTwo } = await twoNamespaces(h);
    const updated = await one.update({ ...(await one.load(taskId))!, data: { changed: true } });
    await one.patch(
      taskId,
      { status: 'failed', appendItems: [item(uniqueId('req'))] },
      { expectedVersion: updated.version },
    );
    expect(await two.load(taskId)).toEqual(inTwo);
    await one.delete(taskId);
    expect(await one.load(taskId)).toBeNull();
    expect(await two.load(taskId)).toEqual(inTwo);
    await expectTaskError(two.create(newTask({ taskId })), { type: TaskCreateError, code: 'TASK_EXISTS' });
  });

  scenario('cleanup in one namespace leaves the other untouched', async (h) => {
    const { one, two, taskId, inTwo } = await twoNamespaces(h);
    await sleep(5);
    expect(await one.cleanup({ olderThan: new Date(), includeActive: true })).toBe(1);
    expect(await one.load(taskId)).toBeNull();
    expect(await two.load(taskId)).toEqual(inTwo);
    expect(await two.count()).toBe(1);
  });

  scenario('clear removes every task of its namespace only, and returns how many', async (h) => {
    const { one, two, taskId, requestId, inTwo } = await twoNamespaces(h);
    await one.create(newTask());
    await one.create(newTask({ status: 'paused' }));
    expect(await one.clear()).toBe(3);
    expect(await one.count()).toBe(0);
    expect(await one.countActive()).toBe(0);
    expect(await one.list()).toEqual({ tasks: [], nextCursor: null });
    expect(await one.loadByRequestId(requestId)).toBeNull();
    expect(await two.load(taskId)).toEqual(inTwo);
    expect(await two.loadByRequestId(requestId)).toEqual(inTwo);
    expect(await two.count()).toBe(1);
    expect(await one.clear()).toBe(0);
    // A cleared namespace works as new.
    const again = await one.create(newTask({ taskId }));
    expect(await one.load(taskId)).toEqual(again);
  });

  scenario('namespaces whose names share a prefix or look like key patterns stay apart', async (h) => {
    const base = uniqueId('tv-conformance');
    const names = [base, `${base}:x`, `${base}*`, `${base}{1}`, `${base} `];
    const stores = [];
    for (const namespace of names) stores.push(await h.store({ namespace }));
    const taskId = uniqueId('t');
    for (const [i, store] of stores.entries()) await store.create(newTask({ taskId, data: { i } }));
    for (const [i, store] of stores.entries()) {
      expect(await store.count()).toBe(1);
      expect((await store.load(taskId))?.data).toEqual({ i });
    }
    expect(await stores[0]!.clear()).toBe(1);
    for (const store of stores.slice(1)) expect(await store.count()).toBe(1);
  });
}
