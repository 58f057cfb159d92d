/**
 * Corrupt records: a record the store cannot read is moved aside and reported, never silently
 * destroyed or overwritten. Calls about that task reject with CORRUPT_DATA; a list page or a
 * request-id lookup that meets it answers without it. Needs the suite's `damage` option.
 */
import {
  type CorruptRecordReport,
  TaskDeleteError,
  TaskLoadError,
  type TaskStore,
  TaskUpdateError,
} from '@taskvault/core';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { ids, item, newTask, uniqueId } from '../fixtures.js';
import type { Harness, Scenario } from '../harness.js';

/** A store whose onCorrupt reports are collected, and three tasks; the middle one damaged. */
async function damagedStore(h: Harness, requestId = uniqueId('req')) {
  const reports: CorruptRecordReport[] = [];
  const store = await h.store({ onCorrupt: (report) => reports.push(report) });
  const tasks = [];
  for (let i = 0; i < 3; i++) {
    tasks.push(
      await store.create(
        newTask({ items: [item(requestId)], createdAt: new Date(Date.UTC(2025, 0, 1 + i)) }),
      ),
    );
  }
  await h.damage(store, tasks[1]!.taskId);
  return { store, tasks, reports, requestId };
}

function expectReported(reports: CorruptRecordReport[], store: TaskStore, taskId: string): void {
  expect(reports.length).toBeGreaterThanOrEqual(1);
  const report = reports.find((r) => r.taskId === taskId);
  expect(report, `onCorrupt heard of ${taskId}`).toBeDefined();
  expect(report!.backend).toBe(store.backend);
  expect(typeof report!.detail).toBe('string');
}

export function corruptCases(scenario: Scenario): void {
  scenario('load of a damaged record is CORRUPT_DATA; it is moved aside and reported', async (h) => {
    const { store, tasks, reports } = await damagedStore(h);
    await expectTaskError(store.load(tasks[1]!.taskId), { type: TaskLoadError, code: 'CORRUPT_DATA' });
    expectReported(reports, store, tasks[1]!.taskId);
    expect(await store.load(tasks[1]!.taskId)).toBeNull();
    expect(await store.load(tasks[0]!.taskId)).toEqual(tasks[0]);
    expect(await store.load(tasks[2]!.taskId)).toEqual(tasks[2]);
  });

  scenario(
    'update, patch and delete of a damaged record are CORRUPT_DATA and never overwrite it',
    async (h) => {
      for (const write of ['update', 'patch', 'delete'] as const) {
        const { store, tasks, reports } = await damagedStore(h);
        const target = tasks[1]!;
        const call =
          write === 'update'
            ? store.update({ ...target, status: 'running' })
            : write === 'patch'
              ? store.patch(target.taskId, { status: 'running' })
              : store.delete(target.taskId);
        await expectTaskError(call, {
          type: write === 'delete' ? TaskDeleteError : TaskUpdateError,
          code: 'CORRUPT_DATA',
        });
        expectReported(reports, store, target.taskId);
        // Moved aside: the id is free, and nothing of the write landed.
        expect(await store.load(target.taskId)).toBeNull();
        expect(await store.count()).toBe(2);
        expect(await store.load(tasks[0]!.taskId)).toEqual(tasks[0]);
      }
    },
  );

  scenario('a list page meeting a damaged record answers without it and reports it', async (h) => {
    const { store, tasks, reports } = await damagedStore(h);
    const page = await store.list({ order: 'asc' });
    expect(ids(page.tasks)).toEqual([tasks[0]!.taskId, tasks[2]!.taskId]);
    expect(page.tasks).toEqual([tasks[0], tasks[2]]);
    expectReported(reports, store, tasks[1]!.taskId);
    // Once moved aside, counts agree with lists again.
    expect(await store.count()).toBe(2);
    expect(ids((await store.list()).tasks)).toEqual([tasks[2]!.taskId, tasks[0]!.taskId]);
  });

  scenario('paging over a damaged record neither repeats nor skips a readable task', async (h) => {
    const { store, tasks } = await damagedStore(h);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<TaskStore['list']>> = await store.list({
        order: 'asc',
        limit: 1,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...ids(page.tasks));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([tasks[0]!.taskId, tasks[2]!.taskId]);
  });

  scenario(
    'loadByRequestId meeting a damaged record answers with the next holder and reports it',
    async (h) => {
      const requestId = uniqueId('req');
      const reports: CorruptRecordReport[] = [];
      const store = await h.store({ onCorrupt: (report) => reports.push(report) });
      const first = await store.create(
        newTask({ items: [item(requestId)], createdAt: new Date(Date.UTC(2025, 0, 1)) }),
      );
      const second = await store.create(
        newTask({ items: [item(requestId)], createdAt: new Date(Date.UTC(2025, 0, 2)) }),
      );
      await h.damage(store, first.taskId);
      expect(await store.loadByRequestId(requestId)).toEqual(second);
      expectReported(reports, store, first.taskId);
      await h.damage(store, second.taskId);
      expect(await store.loadByRequestId(requestId)).toBeNull();
      expectReported(reports, store, second.taskId);
    },
  );

  scenario('a damaged record does not stop create of a new id, count or clear', async (h) => {
    const { store, tasks } = await damagedStore(h);
    await store.create(newTask());
    expect(await store.load(tasks[0]!.taskId)).toEqual(tasks[0]);
    expect(await store.clear()).toBeGreaterThanOrEqual(3);
    expect(await store.count()).toBe(0);
  });
}
