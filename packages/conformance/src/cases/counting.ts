/** count and countActive: they agree with list at rest, and follow every write. */
import type { AgentTask, TaskFilter, TaskStatus, TaskStore } from '@taskvault/core';
import { expect } from 'vitest';
import { instants, newTask, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

const STATUSES: TaskStatus[] = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'];
const ACTIVE: TaskStatus[] = ['pending', 'running', 'paused'];

async function seed(store: TaskStore, count: number): Promise<AgentTask[]> {
  const times = instants(count, 1000);
  const sessions = [uniqueId('s'), uniqueId('s'), uniqueId('s')];
  const users = [uniqueId('u'), uniqueId('u')];
  const out: AgentTask[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      await store.create(
        newTask({
          createdAt: times[i]!,
          status: STATUSES[(i * 5) % STATUSES.length]!,
          sessionId: i % 4 === 3 ? null : sessions[i % 3]!,
          userId: users[i % 2]!,
          items: [],
        }),
      ),
    );
  }
  return out;
}

async function listed(store: TaskStore, filter: TaskFilter): Promise<number> {
  return (await store.list({ ...filter, limit: 1000 })).tasks.length;
}

export function countingCases(scenario: Scenario): void {
  scenario('count and countActive of an empty namespace are 0', async (h) => {
    const store = await h.store();
    expect(await store.count()).toBe(0);
    expect(await store.countActive()).toBe(0);
  });

  scenario('count with no filter agrees with list', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 17);
    expect(await store.count()).toBe(tasks.length);
    expect(await store.count({})).toBe(await listed(store, {}));
  });

  scenario('count by status, single and several, agrees with list', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 24);
    for (const status of STATUSES) {
      const expected = tasks.filter((t) => t.status === status).length;
      expect(await store.count({ status }), status).toBe(expected);
      expect(await listed(store, { status }), status).toBe(expected);
    }
    const several: TaskStatus[] = ['paused', 'failed'];
    expect(await store.count({ status: several })).toBe(
      tasks.filter((t) => several.includes(t.status)).length,
    );
    expect(await store.count({ status: several })).toBe(await listed(store, { status: several }));
  });

  scenario('countActive counts pending, running and paused tasks, as list does', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 24);
    const active = tasks.filter((t) => ACTIVE.includes(t.status)).length;
    expect(active).toBeGreaterThan(0);
    expect(await store.countActive()).toBe(active);
    expect(await listed(store, { status: ACTIVE })).toBe(active);
  });

  scenario('count by sessionId, userId and creation time agrees with list', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 20);
    const filters: TaskFilter[] = [
      { sessionId: tasks[0]!.sessionId! },
      { userId: tasks[1]!.userId! },
      { sessionId: tasks[0]!.sessionId!, userId: tasks[0]!.userId!, status: ['pending', 'completed'] },
      { createdAfter: tasks[4]!.createdAt },
      { createdBefore: tasks[9]!.createdAt },
      { createdAfter: tasks[2]!.createdAt, createdBefore: tasks[12]!.createdAt, status: ACTIVE },
      { sessionId: uniqueId('nobody') },
    ];
    for (const filter of filters) {
      const expected = tasks.filter(
        (t) =>
          (filter.sessionId === undefined || t.sessionId === filter.sessionId) &&
          (filter.userId === undefined || t.userId === filter.userId) &&
          (filter.status === undefined || ([] as TaskStatus[]).concat(filter.status).includes(t.status)) &&
          (filter.createdAfter === undefined || t.createdAt > filter.createdAfter) &&
          (filter.createdBefore === undefined || t.createdAt < filter.createdBefore),
      ).length;
      expect(await store.count(filter), JSON.stringify(filter)).toBe(expected);
      expect(await listed(store, filter), JSON.stringify(filter)).toBe(expected);
    }
  });

  scenario('counts follow status changes by patch and update, and deletes', async (h) => {
    const store = await h.store();
    const a = await store.create(newTask({ status: 'pending' }));
    const b = await store.create(newTask({ status: 'running' }));
    expect(await store.countActive()).toBe(2);
    await store.patch(a.taskId, { status: 'completed' });
    expect(await store.countActive()).toBe(1);
    expect(await store.count({ status: 'completed' })).toBe(1);
    expect(await store.count({ status: 'pending' })).toBe(0);
    await store.update({ ...b, status: 'failed' });
    expect(await store.countActive()).toBe(0);
    expect(await store.count({ status: ['completed', 'failed'] })).toBe(2);
    await store.patch(a.taskId, { status: 'paused' });
    expect(await store.countActive()).toBe(1);
    await store.delete(a.taskId);
    expect(await store.countActive()).toBe(0);
    expect(await store.count()).toBe(1);
  });
}
