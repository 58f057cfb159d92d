/** Version numbers and compare-and-set: 1 after create, +1 per write, conflicts change nothing. */
import { TaskUpdateError } from '@taskvault/core';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { item, newTask, sleep, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

export function versionCases(scenario: Scenario): void {
  scenario('a created task has version 1', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask());
    expect(created.version).toBe(1);
    expect((await store.load(created.taskId))?.version).toBe(1);
  });

  scenario('every successful update and patch adds exactly 1 to the version', async (h) => {
    const store = await h.store();
    let task = await store.create(newTask());
    for (let expected = 2; expected <= 7; expected++) {
      task =
        expected % 2 === 0
          ? await store.update({ ...task, data: { step: expected } })
          : await store.patch(task.taskId, { data: { step: expected } });
      expect(task.version).toBe(expected);
      expect((await store.load(task.taskId))?.version).toBe(expected);
    }
  });

  scenario(
    'update returns a new updatedAt no earlier than the previous one, and keeps createdAt',
    async (h) => {
      const store = await h.store();
      const created = await store.create(newTask());
      await sleep(5);
      const updated = await store.update({ ...created, status: 'running' });
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
      expect(updated.updatedAt.getTime()).toBeLessThanOrEqual(Date.now());
      expect(updated.createdAt).toEqual(created.createdAt);
      const loaded = await store.load(created.taskId);
      expect(loaded?.updatedAt).toEqual(updated.updatedAt);
      await sleep(5);
      const patched = await store.patch(created.taskId, { status: 'paused' });
      expect(patched.updatedAt.getTime()).toBeGreaterThanOrEqual(updated.updatedAt.getTime());
      expect(patched.createdAt).toEqual(created.createdAt);
    },
  );

  scenario(
    'update with a stale version rejects with TaskUpdateError VERSION_CONFLICT and changes nothing',
    async (h) => {
      const store = await h.store();
      const created = await store.create(newTask());
      const current = await store.patch(created.taskId, { data: { by: 'other writer' } });
      const error = await expectTaskError(
        store.update({ ...created, status: 'failed', data: { by: 'me' } }),
        {
          type: TaskUpdateError,
          code: 'VERSION_CONFLICT',
        },
      );
      expect(error.taskId).toBe(created.taskId);
      expect(await store.load(created.taskId)).toEqual(current);
    },
  );

  scenario('update with a version ahead of the stored one is a VERSION_CONFLICT too', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask());
    await expectTaskError(store.update({ ...created, version: 2 }), {
      type: TaskUpdateError,
      code: 'VERSION_CONFLICT',
    });
    expect(await store.load(created.taskId)).toEqual(created);
  });

  scenario('update with force skips the version check and still adds 1 to the stored version', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask());
    await store.patch(created.taskId, { data: { n: 1 } });
    await store.patch(created.taskId, { data: { n: 2 } });
    const forced = await store.update({ ...created, data: { n: 'forced' } }, { force: true });
    expect(forced.version).toBe(4);
    expect(forced.data).toEqual({ n: 'forced' });
    expect(await store.load(created.taskId)).toEqual(forced);
  });

  scenario('patch with the current expectedVersion applies', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask());
    const patched = await store.patch(created.taskId, { status: 'running' }, { expectedVersion: 1 });
    expect(patched.version).toBe(2);
    expect(patched.status).toBe('running');
    const again = await store.patch(created.taskId, { status: 'completed' }, { expectedVersion: 2 });
    expect(again.version).toBe(3);
  });

  scenario(
    'patch with a stale expectedVersion rejects with VERSION_CONFLICT and changes nothing',
    async (h) => {
      const store = await h.store();
      const created = await store.create(newTask());
      const current = await store.patch(created.taskId, { status: 'running' });
      const error = await expectTaskError(
        store.patch(
          created.taskId,
          { status: 'failed', data: { lost: true }, appendItems: [item(uniqueId('req'))] },
          { expectedVersion: 1 },
        ),
        { type: TaskUpdateError, code: 'VERSION_CONFLICT' },
      );
      expect(error.operation).toBe('patch');
      expect(await store.load(created.taskId)).toEqual(current);
    },
  );

  scenario('patch with an expectedVersion ahead of the stored one is a VERSION_CONFLICT too', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask());
    await expectTaskError(store.patch(created.taskId, { status: 'running' }, { expectedVersion: 5 }), {
      type: TaskUpdateError,
      code: 'VERSION_CONFLICT',
    });
    expect(await store.load(created.taskId)).toEqual(created);
  });
}
