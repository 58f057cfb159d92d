/**
 * What a taskvault user sees of the A2A tasks (the mapping), owner and tenant scoping, and the
 * errors: another owner's id, a value that cannot be stored, a tenant without a store.
 */
import type { TaskStore } from '@taskvault/core';
import { isTaskStoreError } from '@taskvault/core';
import { describeOnBackends } from '@taskvault/test-servers/backends';
import { expect, it } from 'vitest';
import { A2A_STATE_TO_STATUS, TaskvaultA2ATaskStore } from '../src/index.js';
import { context, fileMessage, message, Role, TaskState, task } from './support/a2a.js';

const alice = context('alice');
const bob = context('bob');

describeOnBackends('TaskvaultA2ATaskStore', (backend) => {
  it('maps id, contextId, owner, state and history onto the taskvault task', async () => {
    const raw = await backend.open();
    const store = new TaskvaultA2ATaskStore(raw);
    const saved = task('t1', 'ctx-1', TaskState.TASK_STATE_INPUT_REQUIRED, '2026-01-01T00:00:00.000Z', {
      history: [
        message('msg-1', 'hi'),
        message('msg-2', 'which city?', Role.ROLE_AGENT),
        fileMessage('msg-3'),
      ],
      metadata: { a: 1 },
    });
    await store.save(saved, alice);
    const stored = await raw.load('t1');
    expect(stored).toMatchObject({ taskId: 't1', sessionId: 'ctx-1', userId: 'alice', status: 'paused' });
    expect(stored?.items.map((item) => [item.requestId, item.role])).toStrictEqual([
      ['msg-1', 'user'],
      ['msg-2', 'assistant'],
      ['msg-3', 'user'],
    ]);
    // a message id finds its task
    expect((await raw.loadByRequestId('msg-2'))?.taskId).toBe('t1');
    // byte arrays come back as InMemoryTaskStore returns them: structuredClone makes a Buffer a Uint8Array
    expect(await store.load('t1', alice)).toStrictEqual(structuredClone(saved));
  });

  it('keeps every A2A state exactly, and maps it to a taskvault status', async () => {
    const raw = await backend.open();
    const store = new TaskvaultA2ATaskStore(raw);
    for (const [state, status] of Object.entries(A2A_STATE_TO_STATUS)) {
      const saved = task(`s${state}`, 'c', Number(state), '2026-01-01T00:00:00.000Z');
      await store.save(saved, alice);
      expect(await store.load(saved.id, alice)).toStrictEqual(saved);
      expect((await raw.load(saved.id))?.status).toBe(status);
    }
  });

  it("never loads, lists or overwrites another owner's task", async () => {
    const store = new TaskvaultA2ATaskStore(await backend.open());
    const saved = task('t1', 'c', TaskState.TASK_STATE_WORKING, '2026-01-01T00:00:00.000Z');
    await store.save(saved, alice);
    expect(await store.load('t1', bob)).toBeUndefined();
    expect(
      (
        await store.list(
          { tenant: '', contextId: '', status: 0, pageToken: '', statusTimestampAfter: undefined },
          bob,
        )
      ).tasks,
    ).toStrictEqual([]);
    const error = await store.save({ ...saved, metadata: { by: 'bob' } }, bob).catch((e: unknown) => e);
    expect(isTaskStoreError(error, 'INVALID_INPUT') && error.path).toBe('task.id');
    expect(await store.load('t1', alice)).toStrictEqual(saved);
  });

  it('rejects what it cannot store, changing nothing', async () => {
    const raw = await backend.open();
    const store = new TaskvaultA2ATaskStore(raw);
    const fn = task('t1', 'c', TaskState.TASK_STATE_WORKING, undefined, { metadata: { callback: () => 1 } });
    const error = await store.save(fn, alice).catch((e: unknown) => e);
    expect(isTaskStoreError(error, 'INVALID_INPUT') && error.path).toBe('task.metadata.callback');
    const badId = await store.save(task('', 'c', undefined, undefined), alice).catch((e: unknown) => e);
    expect(isTaskStoreError(badId, 'INVALID_INPUT') && badId.path).toBe('task.id');
    const pushId = await store
      .save(task('a2a-push:x', 'c', undefined, undefined), alice)
      .catch((e: unknown) => e);
    expect(isTaskStoreError(pushId, 'INVALID_INPUT') && pushId.path).toBe('task.id');
    expect(await raw.count()).toBe(0);
    expect(await store.load('', alice)).toBeUndefined();
  });

  it('opens one store per tenant on demand, a bounded number at once', async () => {
    const base = `tenants-${crypto.randomUUID()}`;
    const opened: string[] = [];
    const closed: string[] = [];
    const tenantStore = async (tenant: string): Promise<TaskStore> => {
      opened.push(tenant);
      const store = await backend.open(`${base}-${tenant}`);
      // the memory backend hands out one shared store per namespace: count closes, keep it open
      return new Proxy(store, {
        get: (target, key) => {
          if (key === 'close') return async () => void closed.push(tenant);
          const value = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    };
    const store = new TaskvaultA2ATaskStore(await backend.open(base), { tenantStore, maxTenantStores: 2 });
    for (const tenant of ['t-a', 't-b', 't-c', 't-a']) {
      await store.save(
        task(`task-${tenant}`, 'c', TaskState.TASK_STATE_WORKING, undefined),
        context('alice', tenant),
      );
    }
    expect(opened).toStrictEqual(['t-a', 't-b', 't-c', 't-a']);
    expect(closed).toStrictEqual(['t-a', 't-b']);
    // each tenant's task is in its own namespace, and found again after its store was reopened
    expect(await store.load('task-t-b', context('alice', 't-b'))).toBeDefined();
    expect(await store.load('task-t-b', context('alice', 't-a'))).toBeUndefined();
    expect(await store.load('task-t-b', alice)).toBeUndefined();
    await store.close();
    expect([...closed].sort()).toStrictEqual(['t-a', 't-a', 't-b', 't-b', 't-c']);
  });

  it('refuses a call with a tenant when no tenantStore is given', async () => {
    const store = new TaskvaultA2ATaskStore(await backend.open());
    const error = await store.load('t1', context('alice', 'acme')).catch((e: unknown) => e);
    expect(isTaskStoreError(error, 'CONFIG_INVALID') && error.path).toBe('tenantStore');
  });
});
