/** Expiry: past expiresAt a task does not exist for any method, even before any cleanup ran. */
import { type AgentTask, TaskDeleteError, type TaskStore, TaskUpdateError } from '@taskvault/core';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { item, newTask, sleepPast, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

/** Short enough for quick tests, long enough that a slow machine still sees the task alive first. */
const TTL_MS = 300;

/** Checks that `task` is invisible to every read of `store`. */
async function expectGone(store: TaskStore, task: AgentTask): Promise<void> {
  expect(await store.load(task.taskId)).toBeNull();
  expect(await store.count()).toBe(0);
  expect(await store.count({ status: task.status })).toBe(0);
  expect(await store.countActive()).toBe(0);
  expect((await store.list()).tasks).toEqual([]);
  expect((await store.list({ status: task.status })).tasks).toEqual([]);
  for (const { requestId } of task.items) expect(await store.loadByRequestId(requestId)).toBeNull();
}

export function ttlCases(scenario: Scenario): void {
  scenario(
    "a store's ttlMs sets expiresAt on create; past it the task is gone from every read",
    async (h) => {
      const store = await h.store({ ttlMs: TTL_MS });
      const created = await store.create(newTask({ status: 'running', items: [item(uniqueId('req'))] }));
      expect(created.expiresAt).toEqual(new Date(created.createdAt.getTime() + TTL_MS));
      expect(await store.load(created.taskId)).toEqual(created);
      expect(await store.countActive()).toBe(1);
      await sleepPast(created.expiresAt!);
      await expectGone(store, created);
    },
  );

  scenario("a task's own ttlMs overrides the store's", async (h) => {
    const store = await h.store({ ttlMs: 3_600_000 });
    const created = await store.create(newTask({ ttlMs: TTL_MS }));
    const before = Date.now();
    expect(created.expiresAt!.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime() + TTL_MS);
    expect(created.expiresAt!.getTime()).toBeLessThanOrEqual(before + TTL_MS);
    await sleepPast(created.expiresAt!);
    await expectGone(store, created);
  });

  scenario('a task created with expiresAt is gone past that instant', async (h) => {
    const store = await h.store();
    const expiresAt = new Date(Date.now() + TTL_MS);
    const created = await store.create(newTask({ expiresAt, items: [item(uniqueId('req'))] }));
    expect(created.expiresAt).toEqual(expiresAt);
    expect(await store.load(created.taskId)).toEqual(created);
    await sleepPast(expiresAt);
    await expectGone(store, created);
  });

  scenario('a task created with expiresAt null never expires, even in a store with a ttlMs', async (h) => {
    const store = await h.store({ ttlMs: TTL_MS });
    const forever = await store.create(newTask({ expiresAt: null }));
    const brief = await store.create(newTask());
    expect(forever.expiresAt).toBeNull();
    await sleepPast(brief.expiresAt!);
    expect(await store.load(forever.taskId)).toEqual(forever);
    expect(await store.load(brief.taskId)).toBeNull();
    expect(await store.count()).toBe(1);
  });

  scenario('an expired id can be created again, at version 1', async (h) => {
    const store = await h.store();
    const first = await store.create(newTask({ ttlMs: TTL_MS, data: { round: 1 } }));
    await sleepPast(first.expiresAt!);
    const second = await store.create(newTask({ taskId: first.taskId, data: { round: 2 } }));
    expect(second.version).toBe(1);
    expect(second.expiresAt).toBeNull();
    expect(await store.load(first.taskId)).toEqual(second);
    expect(await store.count()).toBe(1);
  });

  scenario('patch, update and delete of an expired task reject with TASK_NOT_FOUND', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ ttlMs: TTL_MS }));
    await sleepPast(created.expiresAt!);
    await expectTaskError(store.patch(created.taskId, { status: 'running' }), {
      type: TaskUpdateError,
      code: 'TASK_NOT_FOUND',
    });
    await expectTaskError(store.patch(created.taskId, { expiresAt: null }, { expectedVersion: 1 }), {
      type: TaskUpdateError,
      code: 'TASK_NOT_FOUND',
    });
    await expectTaskError(store.update({ ...created, expiresAt: null }), {
      type: TaskUpdateError,
      code: 'TASK_NOT_FOUND',
    });
    await expectTaskError(store.update({ ...created, expiresAt: null }, { force: true }), {
      type: TaskUpdateError,
      code: 'TASK_NOT_FOUND',
    });
    await expectTaskError(store.delete(created.taskId), { type: TaskDeleteError, code: 'TASK_NOT_FOUND' });
    expect(await store.load(created.taskId)).toBeNull();
  });

  scenario('patch with expiresAt null removes the expiry: the task outlives its old expiresAt', async (h) => {
    const store = await h.store({ ttlMs: TTL_MS });
    const created = await store.create(newTask({ items: [item(uniqueId('req'))] }));
    const patched = await store.patch(created.taskId, { expiresAt: null });
    expect(patched.expiresAt).toBeNull();
    await sleepPast(created.expiresAt!);
    expect(await store.load(created.taskId)).toEqual(patched);
    expect(await store.loadByRequestId(created.items[0]!.requestId)).toEqual(patched);
    expect(await store.count()).toBe(1);
  });

  scenario('update with expiresAt null removes the expiry; update with a later one extends it', async (h) => {
    const store = await h.store({ ttlMs: TTL_MS });
    const a = await store.create(newTask());
    const b = await store.create(newTask());
    const kept = await store.update({ ...a, expiresAt: null });
    const extended = await store.update({ ...b, expiresAt: new Date(Date.now() + 3_600_000) });
    await sleepPast(a.expiresAt!);
    expect(await store.load(a.taskId)).toEqual(kept);
    expect(await store.load(b.taskId)).toEqual(extended);
  });

  scenario('patch with a nearer expiresAt makes the task expire then', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ items: [item(uniqueId('req'))] }));
    const expiresAt = new Date(Date.now() + TTL_MS);
    const patched = await store.patch(created.taskId, { expiresAt });
    expect(patched.expiresAt).toEqual(expiresAt);
    await sleepPast(expiresAt);
    await expectGone(store, patched);
  });

  scenario('an expired holder of a requestId gives way to the next live holder', async (h) => {
    const store = await h.store();
    const requestId = uniqueId('req');
    const early = await store.create(
      newTask({ createdAt: new Date(Date.now() - 60_000), ttlMs: TTL_MS, items: [item(requestId)] }),
    );
    const late = await store.create(newTask({ items: [item(requestId)] }));
    expect((await store.loadByRequestId(requestId))?.taskId).toBe(early.taskId);
    await sleepPast(early.expiresAt!);
    expect(await store.loadByRequestId(requestId)).toEqual(late);
  });
}
