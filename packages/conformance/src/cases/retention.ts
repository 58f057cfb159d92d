/**
 * Retention (SPEC "Retention"): a task in a terminal status the policy names is gone once the
 * duration has passed since its last write — for every read at once, as if expired — and the
 * background sweeper, one per namespace across stores, deletes it and says so through `onSweep`.
 */
import {
  type AgentTask,
  type SweepEvent,
  TaskDeleteError,
  type TaskStore,
  TaskUpdateError,
} from '@taskvault/core';
import { expect, it } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { item, newTask, sleep, sleepPast, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

/** Long enough that a loaded machine still sees the task alive first, short enough for a quick test. */
const KEEP_MS = 800;

/** The instant `task`'s retention of `keepMs` runs out. */
function endOf(task: AgentTask, keepMs = KEEP_MS): Date {
  return new Date(task.updatedAt.getTime() + keepMs);
}

/** Checks that `task` is invisible to every read of `store`. */
async function expectGone(store: TaskStore, task: AgentTask): Promise<void> {
  expect(await store.load(task.taskId)).toBeNull();
  expect((await store.list()).tasks.map((t) => t.taskId)).not.toContain(task.taskId);
  expect((await store.list({ status: task.status })).tasks.map((t) => t.taskId)).not.toContain(task.taskId);
  for (const { requestId } of task.items) expect(await store.loadByRequestId(requestId)).toBeNull();
}

/** Waits (up to `ms`) until `done()` holds; false when it never did. */
async function eventually(done: () => boolean, ms = 6000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) return false;
    await sleep(25);
  }
  return true;
}

export function retentionCases(scenario: Scenario, sharedNamespaces: boolean): void {
  scenario(
    'a completed task is gone from every read once its retention has passed; expiresAt stays as set',
    async (h) => {
      const store = await h.store({ retention: { completed: KEEP_MS }, sweep: false });
      const done = await store.create(newTask({ status: 'completed', items: [item(uniqueId('req'))] }));
      expect(done.expiresAt).toBeNull();
      expect(await store.load(done.taskId)).toEqual(done);
      expect(await store.count({ status: 'completed' })).toBe(1);
      await sleepPast(endOf(done));
      await expectGone(store, done);
      expect(await store.count()).toBe(0);
      expect(await store.count({ status: 'completed' })).toBe(0);
      // its id is free again
      const again = await store.create(newTask({ taskId: done.taskId, status: 'running' }));
      expect(again.version).toBe(1);
      expect(await store.count()).toBe(1);
    },
  );

  scenario('active tasks, and terminal statuses the policy leaves out, are kept', async (h) => {
    const store = await h.store({ retention: { completed: KEEP_MS }, sweep: false });
    const kept = [];
    for (const status of ['pending', 'running', 'paused', 'failed', 'cancelled'] as const) {
      kept.push(await store.create(newTask({ status })));
    }
    const done = await store.create(newTask({ status: 'completed' }));
    await sleepPast(endOf(done));
    for (const task of kept) expect(await store.load(task.taskId)).toEqual(task);
    expect(await store.load(done.taskId)).toBeNull();
    expect(await store.count()).toBe(5);
    expect(await store.countActive()).toBe(3);
    expect((await store.list()).tasks).toHaveLength(5);
  });

  scenario('each status has its own retention', async (h) => {
    const store = await h.store({ retention: { failed: KEEP_MS, cancelled: 4 * KEEP_MS }, sweep: false });
    const failed = await store.create(newTask({ status: 'failed' }));
    const cancelled = await store.create(newTask({ status: 'cancelled' }));
    const completed = await store.create(newTask({ status: 'completed' }));
    await sleepPast(endOf(failed));
    expect(await store.load(failed.taskId)).toBeNull();
    expect(await store.load(cancelled.taskId)).toEqual(cancelled);
    expect(await store.load(completed.taskId)).toEqual(completed);
    expect(await store.count({ status: ['failed', 'cancelled', 'completed'] })).toBe(2);
  });

  scenario('retention counts from the last write: a patch renews it', async (h) => {
    const store = await h.store({ retention: { completed: KEEP_MS }, sweep: false });
    const done = await store.create(newTask({ status: 'completed' }));
    await sleep(KEEP_MS / 2);
    const patched = await store.patch(done.taskId, { data: { note: 'read again' } });
    await sleepPast(endOf(done));
    if (Date.now() < endOf(patched).getTime()) {
      // still within the renewed retention (a slow machine may be past it already)
      expect(await store.load(done.taskId)).toEqual(patched);
    }
    await sleepPast(endOf(patched));
    await expectGone(store, patched);
  });

  scenario(
    'a task that goes back to an active status is kept; the next terminal write starts it again',
    async (h) => {
      const store = await h.store({ retention: { completed: KEEP_MS }, sweep: false });
      const done = await store.create(newTask({ status: 'completed' }));
      const reopened = await store.update({ ...done, status: 'running' });
      await sleepPast(endOf(done, KEEP_MS * 1.5));
      expect(await store.load(done.taskId)).toEqual(reopened);
      const closed = await store.patch(done.taskId, { status: 'completed' });
      expect(await store.load(done.taskId)).toEqual(closed);
      await sleepPast(endOf(closed));
      await expectGone(store, closed);
    },
  );

  scenario(
    'an earlier expiresAt still ends a task first; a later one does not delay its retention',
    async (h) => {
      const store = await h.store({ retention: { completed: 3 * KEEP_MS }, sweep: false });
      const soon = await store.create(
        newTask({ status: 'completed', expiresAt: new Date(Date.now() + KEEP_MS) }),
      );
      const later = await store.create(
        newTask({ status: 'completed', expiresAt: new Date(Date.now() + 3_600_000) }),
      );
      expect((await store.load(later.taskId))?.expiresAt).toEqual(later.expiresAt);
      await sleepPast(soon.expiresAt!);
      expect(await store.load(soon.taskId)).toBeNull();
      expect(await store.load(later.taskId)).toEqual(later);
      await sleepPast(endOf(later, 3 * KEEP_MS));
      await expectGone(store, later);
    },
  );

  scenario('patch, update and delete of a task past its retention reject with TASK_NOT_FOUND', async (h) => {
    const store = await h.store({ retention: { cancelled: KEEP_MS }, sweep: false });
    const gone = await store.create(newTask({ status: 'cancelled' }));
    await sleepPast(endOf(gone));
    await expectTaskError(store.patch(gone.taskId, { status: 'running' }), {
      type: TaskUpdateError,
      code: 'TASK_NOT_FOUND',
    });
    await expectTaskError(store.update({ ...gone, status: 'pending' }, { force: true }), {
      type: TaskUpdateError,
      code: 'TASK_NOT_FOUND',
    });
    await expectTaskError(store.delete(gone.taskId), { type: TaskDeleteError, code: 'TASK_NOT_FOUND' });
  });

  scenario('restore counts a terminal task already past its retention as expired and skips it', async (h) => {
    const store = await h.store({ retention: { completed: KEEP_MS }, sweep: false });
    const old = new Date(Date.now() - 10 * KEEP_MS);
    const base = { sessionId: null, userId: null, items: [], data: {}, expiresAt: null, version: 3 };
    const report = await store.restore([
      { ...base, taskId: uniqueId('task'), status: 'completed', createdAt: old, updatedAt: old },
      { ...base, taskId: uniqueId('task'), status: 'running', createdAt: old, updatedAt: old },
      { ...base, taskId: uniqueId('task'), status: 'completed', createdAt: old, updatedAt: new Date() },
    ]);
    expect(report).toMatchObject({ restored: 2, expired: 1 });
    expect(await store.count()).toBe(2);
  });

  scenario(
    'the background sweeper deletes what retention ended and reports it through onSweep',
    async (h) => {
      const events: SweepEvent[] = [];
      const store = await h.store({
        retention: { completed: 100 },
        sweep: { intervalMs: 100, leaseMs: 3000 },
        onSweep: (event) => events.push(event),
      });
      for (let i = 0; i < 5; i++) await store.create(newTask({ status: 'completed' }));
      const removed = () => events.reduce((n, e) => n + e.removed, 0);
      expect(await eventually(() => removed() >= 5)).toBe(true);
      expect(events.every((e) => e.source === 'sweeper')).toBe(true);
      expect(events.every((e) => e.backend === store.backend)).toBe(true);
      expect(events.some((e) => e.done)).toBe(true);
      for (const e of events) expect(e.batch).toBeGreaterThanOrEqual(1);
      expect(await store.count()).toBe(0);
    },
  );

  scenario('cleanup reports its batches through onSweep, ending with the total it returns', async (h) => {
    const events: SweepEvent[] = [];
    const store = await h.store({ sweep: false, onSweep: (event) => events.push(event) });
    for (let i = 0; i < 3; i++) await store.create(newTask({ status: 'failed' }));
    await store.create(newTask({ status: 'running' }));
    const removed = await store.cleanup({ olderThan: new Date(Date.now() + 1000) });
    expect(removed).toBe(3);
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(
      events.every(
        (e) => e.source === 'cleanup' && e.namespace === (store as { namespace?: string }).namespace,
      ),
    ).toBe(true);
    const last = events[events.length - 1]!;
    expect(last.done).toBe(true);
    expect(last.total).toBe(3);
    expect(events.filter((e) => !e.done).reduce((n, e) => n + e.removed, 0)).toBe(3);
  });
  if (!sharedNamespaces) {
    it.skip('one sweeper per namespace: not checked, declared with sharedNamespaces: false (each store sweeps its own tasks)', () => {});
    return;
  }
  scenario(
    'one sweeper per namespace: only the lease holder sweeps, and closing it hands over',
    async (h) => {
      const namespace = h.namespace();
      const heard = new Map<string, SweepEvent[]>([
        ['a', []],
        ['b', []],
      ]);
      const sweep = { intervalMs: 100, leaseMs: 2000 };
      const a = await h.store({
        namespace,
        retention: { completed: 50 },
        sweep,
        onSweep: (e) => heard.get('a')!.push(e),
      });
      const b = await h.store({
        namespace,
        retention: { completed: 50 },
        sweep,
        onSweep: (e) => heard.get('b')!.push(e),
      });
      for (let i = 0; i < 4; i++) await a.create(newTask({ status: 'completed' }));
      // several ticks of both stores
      expect(await eventually(() => heard.get('a')!.length + heard.get('b')!.length >= 4)).toBe(true);
      await sleep(500);
      const sweepers = [...heard].filter(([, events]) => events.length > 0).map(([name]) => name);
      expect(sweepers).toHaveLength(1);
      const [holder, other] = sweepers[0] === 'a' ? [a, b] : [b, a];
      const otherName = sweepers[0] === 'a' ? 'b' : 'a';
      await holder.close();
      // the lease was given up at close: the other store takes over at its next tick
      for (let i = 0; i < 3; i++) await other.create(newTask({ status: 'completed' }));
      expect(await eventually(() => heard.get(otherName)!.length > 0, 1500)).toBe(true);
    },
  );
}
