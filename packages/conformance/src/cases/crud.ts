/** create / load / update / patch / delete: what each does, and each one's not-found and exists errors. */
import { TaskCreateError, TaskDeleteError, TaskUpdateError } from '@taskvault/core';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { item, newTask, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

export function crudCases(scenario: Scenario): void {
  scenario(
    'create fills the defaults: pending, no session or user, no items, empty data, version 1',
    async (h) => {
      const store = await h.store();
      const before = Date.now();
      const created = await store.create({ taskId: uniqueId('task') });
      const after = Date.now();
      expect(created).toEqual({
        taskId: created.taskId,
        status: 'pending',
        sessionId: null,
        userId: null,
        items: [],
        data: {},
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
        expiresAt: null,
        version: 1,
      });
      expect(created.createdAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(created.createdAt.getTime()).toBeLessThanOrEqual(after);
      expect(created.updatedAt.getTime()).toBe(created.createdAt.getTime());
    },
  );

  scenario('create returns what load returns afterwards', async (h) => {
    const store = await h.store();
    const input = newTask({ status: 'running', sessionId: uniqueId('s'), userId: uniqueId('u') });
    const created = await store.create(input);
    expect(created).toMatchObject({
      taskId: input.taskId,
      status: 'running',
      sessionId: input.sessionId,
      userId: input.userId,
      items: input.items,
      data: input.data,
      version: 1,
    });
    expect(await store.load(input.taskId)).toEqual(created);
  });

  scenario('create keeps an explicit createdAt (imports)', async (h) => {
    const store = await h.store();
    const createdAt = new Date(Date.UTC(2020, 1, 29, 12, 34, 56, 789));
    const created = await store.create(newTask({ createdAt }));
    expect(created.createdAt).toEqual(createdAt);
    expect((await store.load(created.taskId))?.createdAt).toEqual(createdAt);
  });

  scenario('load of an id never created returns null', async (h) => {
    const store = await h.store();
    expect(await store.load(uniqueId('missing'))).toBeNull();
  });

  scenario(
    'create of an existing id rejects with TaskCreateError TASK_EXISTS and changes nothing',
    async (h) => {
      const store = await h.store();
      const first = await store.create(newTask({ data: { original: true } }));
      const error = await expectTaskError(
        store.create(newTask({ taskId: first.taskId, status: 'failed', data: { original: false } })),
        { type: TaskCreateError, code: 'TASK_EXISTS' },
      );
      expect(error.taskId).toBe(first.taskId);
      expect(await store.load(first.taskId)).toEqual(first);
      expect(await store.count()).toBe(1);
    },
  );

  scenario('update replaces status, sessionId, userId, items, data and expiresAt', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ sessionId: 's1', userId: 'u1', data: { a: 1, b: 2 } }));
    const expiresAt = new Date(Date.now() + 3_600_000);
    const items = [item(uniqueId('req'), { text: 'hello' }, 'assistant')];
    const updated = await store.update({
      ...created,
      status: 'completed',
      sessionId: 's2',
      userId: null,
      items,
      data: { c: 3 },
      expiresAt,
    });
    expect(updated).toEqual({
      ...created,
      status: 'completed',
      sessionId: 's2',
      userId: null,
      items,
      data: { c: 3 },
      expiresAt,
      updatedAt: updated.updatedAt,
      version: 2,
    });
    expect(await store.load(created.taskId)).toEqual(updated);
  });

  scenario('update keeps the stored createdAt whatever the given task says', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask());
    const updated = await store.update({ ...created, createdAt: new Date(Date.UTC(2001, 0, 1)) });
    expect(updated.createdAt).toEqual(created.createdAt);
    expect((await store.load(created.taskId))?.createdAt).toEqual(created.createdAt);
  });

  scenario(
    'update of a missing task rejects with TaskUpdateError TASK_NOT_FOUND and creates nothing',
    async (h) => {
      const store = await h.store();
      const ghost = await (await h.store()).create(newTask());
      await expectTaskError(store.update(ghost), { type: TaskUpdateError, code: 'TASK_NOT_FOUND' });
      await expectTaskError(store.update(ghost, { force: true }), {
        type: TaskUpdateError,
        code: 'TASK_NOT_FOUND',
      });
      expect(await store.load(ghost.taskId)).toBeNull();
      expect(await store.count()).toBe(0);
    },
  );

  scenario(
    'patch of a missing task rejects with TaskUpdateError TASK_NOT_FOUND and creates nothing',
    async (h) => {
      const store = await h.store();
      const taskId = uniqueId('missing');
      await expectTaskError(store.patch(taskId, { status: 'running' }), {
        type: TaskUpdateError,
        code: 'TASK_NOT_FOUND',
      });
      await expectTaskError(store.patch(taskId, { status: 'running' }, { expectedVersion: 1 }), {
        type: TaskUpdateError,
        code: 'TASK_NOT_FOUND',
      });
      expect(await store.load(taskId)).toBeNull();
    },
  );

  scenario('delete removes the task and resolves to undefined', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask());
    await expect(store.delete(created.taskId)).resolves.toBeUndefined();
    expect(await store.load(created.taskId)).toBeNull();
    expect(await store.count()).toBe(0);
  });

  scenario('delete of a missing task rejects with TaskDeleteError TASK_NOT_FOUND', async (h) => {
    const store = await h.store();
    const error = await expectTaskError(store.delete(uniqueId('missing')), {
      type: TaskDeleteError,
      code: 'TASK_NOT_FOUND',
    });
    expect(error.operation).toBe('delete');
  });

  scenario(
    'a second delete of the same task rejects with TASK_NOT_FOUND and leaves other tasks',
    async (h) => {
      const store = await h.store();
      const gone = await store.create(newTask());
      const kept = await store.create(newTask());
      await store.delete(gone.taskId);
      await expectTaskError(store.delete(gone.taskId), { type: TaskDeleteError, code: 'TASK_NOT_FOUND' });
      expect(await store.load(kept.taskId)).toEqual(kept);
    },
  );

  scenario('a deleted id can be created again, starting at version 1', async (h) => {
    const store = await h.store();
    const first = await store.create(newTask({ data: { round: 1 } }));
    await store.delete(first.taskId);
    const second = await store.create(newTask({ taskId: first.taskId, data: { round: 2 } }));
    expect(second.version).toBe(1);
    expect(await store.load(first.taskId)).toEqual(second);
  });

  scenario('patch sets status, sessionId and userId and leaves every other field', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ sessionId: 's1', userId: 'u1' }));
    const patched = await store.patch(created.taskId, { status: 'paused', sessionId: null, userId: 'u2' });
    expect(patched).toEqual({
      ...created,
      status: 'paused',
      sessionId: null,
      userId: 'u2',
      updatedAt: patched.updatedAt,
      version: 2,
    });
    expect(await store.load(created.taskId)).toEqual(patched);
  });

  scenario('patch merges data shallowly: keys it does not name are kept', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ data: { keep: 'me', change: 1, deep: { x: 1, y: 2 } } }));
    const patched = await store.patch(created.taskId, { data: { change: 2, added: [1, 2] } });
    expect(patched.data).toEqual({ keep: 'me', change: 2, deep: { x: 1, y: 2 }, added: [1, 2] });
    expect((await store.load(created.taskId))?.data).toEqual(patched.data);
  });

  scenario('patch replaces a nested object under a data key as a whole (no deep merge)', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ data: { deep: { x: 1, y: 2 } } }));
    const patched = await store.patch(created.taskId, { data: { deep: { z: 3 } } });
    expect(patched.data).toEqual({ deep: { z: 3 } });
    expect((await store.load(created.taskId))?.data).toEqual({ deep: { z: 3 } });
  });

  scenario('patch with a data key set to null keeps the key, with the value null', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ data: { finalState: 'x', other: 1 } }));
    await store.patch(created.taskId, { data: { finalState: null } });
    const loaded = await store.load(created.taskId);
    expect(loaded?.data).toEqual({ finalState: null, other: 1 });
    expect(Object.hasOwn(loaded?.data ?? {}, 'finalState')).toBe(true);
    expect(loaded?.data.finalState).toBeNull();
  });

  scenario('patch appendItems adds the items after the existing ones, in the order given', async (h) => {
    const store = await h.store();
    const first = item(uniqueId('req'), 'first');
    const created = await store.create(newTask({ items: [first] }));
    const more = [item(uniqueId('req'), 'second', 'assistant'), item(uniqueId('req'), { n: 3 }, 'tool')];
    const patched = await store.patch(created.taskId, { appendItems: more });
    expect(patched.items).toEqual([first, ...more]);
    expect((await store.load(created.taskId))?.items).toEqual([first, ...more]);
  });

  scenario('patch can set and remove expiresAt', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask());
    const expiresAt = new Date(Date.now() + 3_600_000);
    expect((await store.patch(created.taskId, { expiresAt })).expiresAt).toEqual(expiresAt);
    expect((await store.load(created.taskId))?.expiresAt).toEqual(expiresAt);
    expect((await store.patch(created.taskId, { expiresAt: null })).expiresAt).toBeNull();
    expect((await store.load(created.taskId))?.expiresAt).toBeNull();
  });

  scenario('an empty patch changes nothing but the version and updatedAt', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask());
    const patched = await store.patch(created.taskId, {});
    expect(patched).toEqual({ ...created, updatedAt: patched.updatedAt, version: 2 });
    expect(patched.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
    expect(await store.load(created.taskId)).toEqual(patched);
  });

  scenario('mutating the input after create, or a returned task, changes nothing stored', async (h) => {
    const store = await h.store();
    const input = newTask({ data: { list: [1, 2], obj: { k: 'v' } } });
    const created = await store.create(input);
    const expected = structuredClone(created);
    (input.data as { list: number[] }).list.push(3);
    input.items?.push(item('late'));
    (created.data as { obj: { k: string } }).obj.k = 'changed';
    created.items[0]!.createdAt.setTime(0);
    created.createdAt.setTime(0);
    const loaded = await store.load(input.taskId);
    expect(loaded).toEqual(expected);
    (loaded!.data as { list: number[] }).list.length = 0;
    loaded!.items.length = 0;
    const listed = (await store.list()).tasks[0]!;
    expect(listed).toEqual(expected);
    listed.data.extra = true;
    expect(await store.load(input.taskId)).toEqual(expected);
  });

  scenario('mutating a patch or update input afterwards changes nothing stored', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ data: {} }));
    const patchData = { shared: { n: 1 } };
    const appended = [item(uniqueId('req'), { parts: ['a'] })];
    const patched = await store.patch(created.taskId, { data: patchData, appendItems: appended });
    const afterPatch = structuredClone(patched);
    patchData.shared.n = 2;
    (appended[0]!.content as { parts: string[] }).parts.push('b');
    expect(await store.load(created.taskId)).toEqual(afterPatch);
    const replacement = { ...afterPatch, data: { arr: [1] } };
    const updated = await store.update(replacement);
    const afterUpdate = structuredClone(updated);
    (replacement.data.arr as number[]).push(2);
    expect(await store.load(created.taskId)).toEqual(afterUpdate);
  });
}
