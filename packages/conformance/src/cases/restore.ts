/**
 * restore: tasks written exactly as given (times, version, expiry), with every index following,
 * in batches from any iterable; conflicts skipped, replaced or stopped at; bad input named by its
 * position and nothing of its batch written.
 */
import { type AgentTask, TaskCreateError, type TaskStore, TaskUpdateError } from '@taskvault/core';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { ids, instants, item, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

/** A task as another store would have held it: old times, a high version, request ids. */
function exported(at: Date, overrides: Partial<AgentTask> = {}): AgentTask {
  return {
    taskId: uniqueId('restored'),
    status: 'running',
    sessionId: uniqueId('session'),
    userId: null,
    items: [
      item(uniqueId('req'), { text: 'hi', parts: [1, 'two'] }, 'user', at),
      item(uniqueId('req'), 'ok', 'assistant', at),
    ],
    data: { query: 'restore me', steps: [1, 2, 3], nested: { ok: true } },
    createdAt: at,
    updatedAt: new Date(at.getTime() + 60_000),
    expiresAt: null,
    version: 17,
    ...overrides,
  };
}

async function* slowly<T>(values: T[]): AsyncGenerator<T> {
  for (const v of values) {
    await Promise.resolve();
    yield v;
  }
}

async function expectIndexed(store: TaskStore, task: AgentTask): Promise<void> {
  expect(await store.load(task.taskId)).toEqual(task);
  for (const it of task.items) expect((await store.loadByRequestId(it.requestId))?.taskId).toBe(task.taskId);
}

export function restoreCases(scenario: Scenario): void {
  scenario(
    'restore keeps createdAt, updatedAt, version and expiresAt exactly, and indexes every task',
    async (h) => {
      const store = await h.store();
      const at = instants(5, 3_600_000);
      const tasks = at.map((t, i) =>
        exported(t, {
          status: i % 2 ? 'completed' : 'running',
          expiresAt: i === 4 ? new Date(Date.now() + 3_600_000) : null,
        }),
      );
      const report = await store.restore(tasks);
      expect(report).toMatchObject({ restored: 5, replaced: 0, skipped: 0, expired: 0 });
      for (const task of tasks) await expectIndexed(store, task);
      expect(ids((await store.list({ order: 'asc' })).tasks)).toEqual(ids(tasks));
      expect(await store.count()).toBe(5);
      expect(await store.count({ status: 'completed' })).toBe(2);
      expect(await store.countActive()).toBe(3);
    },
  );

  scenario(
    'a restored task carries on from its version: update checks it, patch increments it',
    async (h) => {
      const store = await h.store();
      const task = exported(new Date(Date.UTC(2024, 5, 1)));
      await store.restore([task]);
      await expectTaskError(store.update({ ...task, version: 1 }), {
        type: TaskUpdateError,
        code: 'VERSION_CONFLICT',
      });
      const updated = await store.update({ ...task, status: 'paused' });
      expect(updated.version).toBe(18);
      expect(updated.createdAt).toEqual(task.createdAt);
      expect((await store.patch(task.taskId, { appendItems: [item(uniqueId('req'))] })).version).toBe(19);
    },
  );

  scenario('restore reads async iterables in batches and reports progress after each', async (h) => {
    const store = await h.store();
    const tasks = instants(23).map((t) => exported(t));
    const progress: number[] = [];
    const report = await store.restore(slowly(tasks), {
      batchSize: 5,
      onProgress: (p) => progress.push(p.restored),
    });
    expect(report.restored).toBe(23);
    expect(progress).toEqual([5, 10, 15, 20, 23]);
    expect(await store.count()).toBe(23);
  });

  scenario(
    'onConflict fail (the default) stops at a live task, keeps it, and keeps what came before',
    async (h) => {
      const store = await h.store();
      const [a, b, c] = instants(3).map((t) => exported(t));
      const existing = await store.create({ taskId: b!.taskId, data: { mine: true } });
      await expectTaskError(store.restore([a!, b!, c!]), { type: TaskCreateError, code: 'TASK_EXISTS' });
      expect(await store.load(a!.taskId)).toEqual(a);
      expect(await store.load(b!.taskId)).toEqual(existing);
      expect(await store.load(c!.taskId)).toBeNull();
      // Re-run with skip: resumes, and the stored task stays.
      expect(await store.restore([a!, b!, c!], { onConflict: 'skip' })).toMatchObject({
        restored: 1,
        skipped: 2,
      });
      expect(await store.load(b!.taskId)).toEqual(existing);
      expect(await store.load(c!.taskId)).toEqual(c);
    },
  );

  scenario('onConflict replace overwrites a live task exactly and moves its index entries', async (h) => {
    const store = await h.store();
    const oldRequest = uniqueId('req');
    const existing = await store.create({
      taskId: uniqueId('task'),
      status: 'completed',
      items: [item(oldRequest)],
    });
    const replacement = exported(new Date(Date.UTC(2023, 0, 1)), { taskId: existing.taskId });
    expect(await store.restore([replacement], { onConflict: 'replace' })).toMatchObject({
      replaced: 1,
      restored: 0,
    });
    await expectIndexed(store, replacement);
    expect(await store.loadByRequestId(oldRequest)).toBeNull();
    expect(await store.count({ status: 'completed' })).toBe(0);
    expect(await store.count({ status: 'running' })).toBe(1);
  });

  scenario(
    'tasks whose expiresAt has passed are counted, not written; an expired stored task is no conflict',
    async (h) => {
      const store = await h.store();
      const gone = exported(new Date(Date.UTC(2024, 0, 1)), { expiresAt: new Date(Date.now() - 1000) });
      const kept = exported(new Date(Date.UTC(2024, 0, 2)));
      expect(await store.restore([gone, kept])).toMatchObject({ restored: 1, expired: 1 });
      expect(await store.load(gone.taskId)).toBeNull();
      expect(await store.count()).toBe(1);
    },
  );

  scenario(
    'a bad task is INVALID_INPUT naming its position and field; nothing of its batch is written',
    async (h) => {
      const store = await h.store();
      const tasks = instants(4).map((t) => exported(t));
      const bad = [...tasks];
      bad[2] = { ...tasks[2]!, version: 0 };
      await expectTaskError(store.restore(bad, { batchSize: 2 }), {
        type: TaskCreateError,
        code: 'INVALID_INPUT',
        path: 'tasks[2].version',
      });
      // The first batch landed; the batch holding the bad task did not.
      expect(await store.load(tasks[0]!.taskId)).toEqual(tasks[0]);
      expect(await store.load(tasks[1]!.taskId)).toEqual(tasks[1]);
      expect(await store.load(tasks[3]!.taskId)).toBeNull();
      const cases: [unknown, string][] = [
        [{ ...tasks[3]!, createdAt: 'yesterday' }, 'tasks[0].createdAt'],
        [{ ...tasks[3]!, updatedAt: undefined }, 'tasks[0].updatedAt'],
        [{ ...tasks[3]!, items: [{ ...tasks[3]!.items[0]!, requestId: '' }] }, 'tasks[0].items[0].requestId'],
        [{ ...tasks[3]!, data: { n: Number.NaN } }, 'tasks[0].data.n'],
        [{ ...tasks[3]!, colour: 'blue' }, 'tasks[0].colour'],
      ];
      for (const [task, path] of cases) {
        await expectTaskError(store.restore([task as AgentTask]), {
          type: TaskCreateError,
          code: 'INVALID_INPUT',
          path,
        });
      }
      await expectTaskError(store.restore(42 as never), {
        type: TaskCreateError,
        code: 'INVALID_INPUT',
        path: 'tasks',
      });
      await expectTaskError(store.restore([], { onConflict: 'merge' as never }), {
        type: TaskCreateError,
        code: 'INVALID_INPUT',
        path: 'options.onConflict',
      });
      expect(await store.count()).toBe(2);
    },
  );

  scenario('restore writes into its own namespace only', async (h) => {
    const a = await h.store();
    const b = await h.store();
    const task = exported(new Date(Date.UTC(2024, 0, 1)));
    await a.restore([task]);
    expect(await b.load(task.taskId)).toBeNull();
    expect(await b.count()).toBe(0);
  });
}
