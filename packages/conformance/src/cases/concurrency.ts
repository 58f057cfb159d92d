/** Concurrent writers: atomic appends, compare-and-set without lost updates, one winner per create. */
import { type AgentTask, isTaskStoreError, TaskCreateError, TaskUpdateError } from '@taskvault/core';
import { expect } from 'vitest';
import { item, newTask, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

export function concurrencyCases(scenario: Scenario): void {
  scenario('50 concurrent appendItems patches keep all 50 items, each exactly once', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ items: [] }));
    const requestIds = Array.from({ length: 50 }, (_, i) => uniqueId(`append-${i}`));
    const results = await Promise.all(
      requestIds.map((requestId, i) =>
        store.patch(created.taskId, { appendItems: [item(requestId, { i })] }),
      ),
    );
    expect(new Set(results.map((r) => r.version)).size).toBe(50);
    const loaded = await store.load(created.taskId);
    expect(loaded?.version).toBe(51);
    const seen = loaded?.items.map((i) => i.requestId) ?? [];
    expect(seen).toHaveLength(50);
    expect([...seen].sort()).toEqual([...requestIds].sort());
  });

  scenario(
    '20 concurrent read-modify-update loops retrying on VERSION_CONFLICT lose no update',
    async (h) => {
      const store = await h.store();
      const created = await store.create(newTask({ data: { counter: 0 } }));
      let conflicts = 0;
      const worker = async (): Promise<void> => {
        for (let attempt = 0; attempt < 1000; attempt++) {
          const task = await store.load(created.taskId);
          if (task === null) throw new Error('task vanished');
          try {
            await store.update({
              ...task,
              data: { ...task.data, counter: (task.data.counter as number) + 1 },
            });
            return;
          } catch (error) {
            if (!isTaskStoreError(error, 'VERSION_CONFLICT')) throw error;
            expect(error).toBeInstanceOf(TaskUpdateError);
            conflicts++;
          }
        }
        throw new Error('gave up after 1000 conflicts');
      };
      await Promise.all(Array.from({ length: 20 }, worker));
      const loaded = await store.load(created.taskId);
      expect(loaded?.data.counter).toBe(20);
      expect(loaded?.version).toBe(21);
      expect(conflicts).toBeGreaterThanOrEqual(0);
    },
  );

  scenario('10 concurrent patches with the same expectedVersion: exactly one applies', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ data: { winner: null } }));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        store.patch(created.taskId, { data: { winner: i } }, { expectedVersion: created.version }),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o) => o.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const o of lost) expect(isTaskStoreError(o.reason, 'VERSION_CONFLICT')).toBe(true);
    const loaded = await store.load(created.taskId);
    expect(loaded?.version).toBe(2);
    expect(loaded?.data.winner).toBe((won[0] as PromiseFulfilledResult<AgentTask>).value.data.winner);
  });

  scenario('10 concurrent creates of one id: exactly one succeeds, the rest get TASK_EXISTS', async (h) => {
    const store = await h.store();
    const taskId = uniqueId('race');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => store.create(newTask({ taskId, data: { writer: i } }))),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        expect(isTaskStoreError(o.reason, 'TASK_EXISTS')).toBe(true);
        expect(o.reason).toBeInstanceOf(TaskCreateError);
      }
    }
    expect(await store.load(taskId)).toEqual((won[0] as PromiseFulfilledResult<unknown>).value);
    expect(await store.count()).toBe(1);
  });

  scenario('concurrent data patches on different keys all land', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ data: {} }));
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.patch(created.taskId, { data: { [`k${i}`]: i } })),
    );
    const loaded = await store.load(created.taskId);
    expect(loaded?.data).toEqual(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])));
    expect(loaded?.version).toBe(31);
  });
}
