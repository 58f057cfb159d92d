/** cleanup: what it removes (old terminal tasks, old active ones on request, expired ones) and what it keeps. */
import { expect } from 'vitest';
import { item, newTask, sleep, sleepPast, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

export function cleanupCases(scenario: Scenario): void {
  scenario(
    'cleanup with a Date removes terminal tasks updated before it, keeps active ones, returns the count',
    async (h) => {
      const store = await h.store();
      const done = await Promise.all(
        (['completed', 'failed', 'cancelled'] as const).map((status) => store.create(newTask({ status }))),
      );
      const active = await Promise.all(
        (['pending', 'running', 'paused'] as const).map((status) => store.create(newTask({ status }))),
      );
      await sleep(5);
      expect(await store.cleanup({ olderThan: new Date() })).toBe(3);
      for (const t of done) expect(await store.load(t.taskId)).toBeNull();
      for (const t of active) expect(await store.load(t.taskId)).toEqual(t);
      expect(await store.count()).toBe(3);
    },
  );

  scenario('cleanup with includeActive also removes active tasks updated before the cutoff', async (h) => {
    const store = await h.store();
    const statuses = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
    for (const status of statuses) await store.create(newTask({ status }));
    await sleep(5);
    expect(await store.cleanup({ olderThan: new Date(), includeActive: true })).toBe(6);
    expect(await store.count()).toBe(0);
    expect(await store.countActive()).toBe(0);
  });

  scenario('cleanup keeps tasks updated at or after the cutoff', async (h) => {
    const store = await h.store();
    const old = await store.create(newTask({ status: 'completed' }));
    const refreshed = await store.create(newTask({ status: 'running' }));
    await sleep(20);
    const cutoff = new Date();
    await sleep(20);
    const recent = await store.create(newTask({ status: 'failed' }));
    const touched = await store.patch(refreshed.taskId, { status: 'completed' });
    expect(await store.cleanup({ olderThan: cutoff })).toBe(1);
    expect(await store.load(old.taskId)).toBeNull();
    expect(await store.load(recent.taskId)).toEqual(recent);
    expect(await store.load(refreshed.taskId)).toEqual(touched);
  });

  scenario(
    'cleanup with olderThan as an age in ms removes tasks last updated longer ago than that',
    async (h) => {
      const store = await h.store();
      const old = await store.create(newTask({ status: 'completed' }));
      const oldActive = await store.create(newTask({ status: 'running' }));
      await sleep(400);
      const recent = await store.create(newTask({ status: 'cancelled' }));
      expect(await store.cleanup({ olderThan: 200 })).toBe(1);
      expect(await store.load(old.taskId)).toBeNull();
      expect(await store.load(oldActive.taskId)).toEqual(oldActive);
      expect(await store.load(recent.taskId)).toEqual(recent);
      expect(await store.cleanup({ olderThan: 200, includeActive: true })).toBe(1);
      expect(await store.load(oldActive.taskId)).toBeNull();
      expect(await store.load(recent.taskId)).toEqual(recent);
    },
  );

  scenario('cleanup returns 0 when nothing is old enough', async (h) => {
    const store = await h.store();
    const t = await store.create(newTask({ status: 'completed' }));
    expect(await store.cleanup({ olderThan: 60_000 })).toBe(0);
    expect(await store.cleanup({ olderThan: new Date(Date.now() - 60_000), includeActive: true })).toBe(0);
    expect(await store.load(t.taskId)).toEqual(t);
  });

  scenario('cleanup removes the requestId index entries of the tasks it removes', async (h) => {
    const store = await h.store();
    const requestId = uniqueId('req');
    const older = await store.create(newTask({ status: 'completed', items: [item(requestId)] }));
    await sleep(5);
    expect(await store.cleanup({ olderThan: new Date() })).toBe(1);
    expect(await store.loadByRequestId(requestId)).toBeNull();
    // A new holder of the same requestId is found, not a leftover of the removed one.
    const again = await store.create(newTask({ status: 'running', items: [item(requestId)] }));
    expect(await store.loadByRequestId(requestId)).toEqual(again);
    expect(again.taskId).not.toBe(older.taskId);
  });

  scenario('cleanup removes expired tasks, whatever their status and age', async (h) => {
    const store = await h.store();
    const requestId = uniqueId('req');
    const expiring = await store.create(newTask({ status: 'running', ttlMs: 200, items: [item(requestId)] }));
    const kept = await store.create(newTask({ status: 'running' }));
    await sleepPast(expiring.expiresAt!);
    const removed = await store.cleanup({ olderThan: 3_600_000 });
    // A backend may already have dropped the expired task on its own; it must not count twice.
    expect(removed).toBeLessThanOrEqual(1);
    expect(await store.load(expiring.taskId)).toBeNull();
    expect(await store.loadByRequestId(requestId)).toBeNull();
    expect(await store.count()).toBe(1);
    expect(await store.load(kept.taskId)).toEqual(kept);
  });
}
