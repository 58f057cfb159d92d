/**
 * The change feed (SPEC "Changes"): every change of a write that resolved reaches every live
 * watcher once, in version order per task; a watcher resumes after the last id it got and misses
 * nothing the feed still keeps; an id it no longer keeps is INVALID_INPUT, never a silent gap.
 */
import {
  type ChangeStream,
  isTaskStoreError,
  type TaskChange,
  TaskCreateError,
  TaskDeleteError,
  TaskQueryError,
  type TaskStore,
  TaskUpdateError,
  type WatchFilter,
  type WatchOptions,
} from '@taskvault/core';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { item, newTask, sleep, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

/** A watch collecting what it gets in the background, until stopped. */
interface Watching {
  readonly changes: TaskChange[];
  readonly stream: ChangeStream;
  /** The error the iteration ended with, if any. */
  error(): unknown;
  /** Waits until `count` changes arrived (false after `ms`). */
  until(count: number, ms?: number): Promise<boolean>;
  /** Ends the iteration and waits for it to finish. */
  stop(): Promise<void>;
  /** Resolves when the iteration ended by itself. */
  readonly ended: Promise<void>;
}

async function watching(store: TaskStore, filter?: WatchFilter, opts: WatchOptions = {}): Promise<Watching> {
  const controller = new AbortController();
  const stream = store.watch(filter, { ...opts, signal: opts.signal ?? controller.signal });
  const changes: TaskChange[] = [];
  let failure: unknown = null;
  const ended = (async () => {
    try {
      for await (const change of stream) changes.push(change);
    } catch (error) {
      failure = error;
    }
  })();
  await stream.ready;
  return {
    changes,
    stream,
    ended,
    error: () => failure,
    async until(count, ms = 5000) {
      const deadline = Date.now() + ms;
      while (changes.length < count && failure === null && Date.now() < deadline) await sleep(10);
      return changes.length >= count;
    },
    async stop() {
      controller.abort();
      await ended;
    },
  };
}

/** Checks that `fn` throws (synchronously) a TaskStoreError with `code` (at `path`). */
function expectThrown(fn: () => unknown, code: string, path?: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(isTaskStoreError(thrown), 'a TaskStoreError is thrown').toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
  if (path !== undefined) expect((thrown as { path?: string }).path).toBe(path);
}

/** type:taskId:version:status of each change, for readable comparisons. */
function summary(changes: readonly TaskChange[]): string[] {
  return changes.map((c) => `${c.type}:${c.taskId}:${c.version}:${c.status}`);
}

export function changeCases(scenario: Scenario, sharedNamespaces: boolean): void {
  scenario(
    'every write shows up once, in order: created, updated by update and patch, deleted',
    async (h) => {
      const store = await h.store();
      const w = await watching(store);
      const created = await store.create(newTask({ status: 'pending' }));
      const patched = await store.patch(created.taskId, { status: 'running' });
      const updated = await store.update({ ...patched, status: 'completed' });
      await store.delete(created.taskId);
      expect(await w.until(4)).toBe(true);
      await sleep(100); // nothing more comes
      await w.stop();
      const id = created.taskId;
      expect(summary(w.changes)).toEqual([
        `created:${id}:1:pending`,
        `updated:${id}:2:running`,
        `updated:${id}:3:completed`,
        `deleted:${id}:3:completed`,
      ]);
      expect(w.changes[1]!.at).toEqual(patched.updatedAt);
      expect(w.changes[2]!.at).toEqual(updated.updatedAt);
      expect(new Set(w.changes.map((c) => c.id)).size).toBe(4);
      for (const c of w.changes) expect(c.at).toBeInstanceOf(Date);
    },
  );

  scenario('a filter passes only the changes that match it', async (h) => {
    const store = await h.store();
    const session = uniqueId('session');
    const done = await watching(store, { status: 'completed' });
    const inSession = await watching(store, { sessionId: session });
    const a = await store.create(newTask({ status: 'running', sessionId: session }));
    const b = await store.create(newTask({ status: 'running' }));
    const one = await watching(store, { taskId: b.taskId });
    await store.patch(a.taskId, { status: 'completed' });
    await store.patch(b.taskId, { status: 'completed' });
    await store.patch(b.taskId, { data: { note: 'again' } });
    expect(await done.until(3)).toBe(true);
    expect(await inSession.until(2)).toBe(true);
    expect(await one.until(2)).toBe(true);
    await sleep(100);
    for (const w of [done, inSession, one]) await w.stop();
    expect(summary(done.changes)).toEqual([
      `updated:${a.taskId}:2:completed`,
      `updated:${b.taskId}:2:completed`,
      `updated:${b.taskId}:3:completed`,
    ]);
    expect(summary(inSession.changes)).toEqual([
      `created:${a.taskId}:1:running`,
      `updated:${a.taskId}:2:completed`,
    ]);
    expect(summary(one.changes)).toEqual([
      `updated:${b.taskId}:2:completed`,
      `updated:${b.taskId}:3:completed`,
    ]);
  });

  scenario('two watchers each get every change once, from writers running side by side', async (h) => {
    // two stores on one namespace, as two processes would be (one store when stores share nothing)
    const namespace = h.namespace();
    const store = await h.store({ namespace });
    const writer = sharedNamespaces ? await h.store({ namespace }) : store;
    const first = await watching(store);
    const second = await watching(writer);
    const tasks = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? store : writer).create(newTask())),
    );
    for (const w of [first, second]) expect(await w.until(20)).toBe(true);
    await sleep(100);
    for (const w of [first, second]) {
      await w.stop();
      expect(w.changes).toHaveLength(20);
      expect(new Set(w.changes.map((c) => c.taskId))).toEqual(new Set(tasks.map((t) => t.taskId)));
    }
    expect(first.changes.map((c) => c.id)).toEqual(second.changes.map((c) => c.id));
  });

  scenario('the changes of one task arrive in version order, even from concurrent patches', async (h) => {
    const store = await h.store();
    const task = await store.create(newTask({ items: [] }));
    const w = await watching(store, { taskId: task.taskId });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.patch(task.taskId, { appendItems: [item(`${task.taskId}-r${i}`)] }),
      ),
    );
    expect(await w.until(20)).toBe(true);
    await w.stop();
    expect(w.changes.map((c) => c.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  });

  scenario('a watcher that resumes after the last id it got misses nothing', async (h) => {
    const store = await h.store();
    const w = await watching(store);
    const before = [await store.create(newTask()), await store.create(newTask())];
    expect(await w.until(2)).toBe(true);
    await w.stop();
    const last = w.changes[1]!.id;
    const after = [
      await store.create(newTask()),
      await store.create(newTask()),
      await store.create(newTask()),
    ];
    const resumed = await watching(store, undefined, { after: last });
    expect(await resumed.stream.ready).toBe(last);
    expect(await resumed.until(3)).toBe(true);
    await sleep(100);
    await resumed.stop();
    expect(resumed.changes.map((c) => c.taskId)).toEqual(after.map((t) => t.taskId));
    expect(w.changes.map((c) => c.taskId)).toEqual(before.map((t) => t.taskId));
  });

  scenario(
    'a change id the feed does not keep is INVALID_INPUT at opts.after, never a silent gap',
    async (h) => {
      const store = await h.store({ changeFeed: { retainMs: 200 } });
      const w = await watching(store);
      await store.create(newTask());
      expect(await w.until(1)).toBe(true);
      await w.stop();
      const old = w.changes[0]!.id;
      await store.create(newTask()); // the change right after `old`, which the feed will drop
      await sleep(600);
      for (let i = 0; i < 3; i++) await store.create(newTask());
      const stale = store.watch(undefined, { after: old });
      await expectTaskError(stale[Symbol.asyncIterator]().next(), {
        type: TaskQueryError,
        code: 'INVALID_INPUT',
        path: 'opts.after',
      });
      const foreign = store.watch(undefined, { after: 'not-a-change-id' });
      await expectTaskError(foreign[Symbol.asyncIterator]().next(), {
        type: TaskQueryError,
        code: 'INVALID_INPUT',
        path: 'opts.after',
      });
    },
  );

  scenario('a bad filter or option is INVALID_INPUT naming it, before any iteration', async (h) => {
    const store = await h.store();
    expectThrown(() => store.watch({ status: 'done' as never }), 'INVALID_INPUT', 'filter.status');
    expectThrown(() => store.watch({ taskId: '' }), 'INVALID_INPUT', 'filter.taskId');
    expectThrown(() => store.watch({ colour: 'red' } as never), 'INVALID_INPUT', 'filter.colour');
    expectThrown(() => store.watch(undefined, { after: '' }), 'INVALID_INPUT', 'opts.after');
  });

  scenario('break, an aborted signal and close() each end the iteration, without an error', async (h) => {
    const store = await h.store();
    const first = store.watch();
    const broken = (async () => {
      for await (const _ of first) break;
    })();
    // the watch starts at the feed's end as `ready` reads it: a write made before that read
    // completes (a pooled backend may answer it after the create below) is not this watch's
    await first.ready;
    const aborted = await watching(store);
    const closing = await watching(store);
    await store.create(newTask());
    await broken;
    await aborted.stop();
    expect(aborted.error()).toBeNull();
    await store.close();
    await closing.ended;
    expect(closing.error()).toBeNull();
    expect(() => store.watch(), 'STORE_CLOSED');
  });

  scenario('an expired task, once the store removes it, is an expired change', async (h) => {
    const store = await h.store({ sweep: { intervalMs: 100, leaseMs: 2000 } });
    const task = await store.create(newTask({ ttlMs: 200 }));
    const w = await watching(store, { taskId: task.taskId });
    expect(await w.until(1, 8000)).toBe(true);
    await w.stop();
    expect(summary(w.changes)).toEqual([`expired:${task.taskId}:1:${task.status}`]);
  });

  scenario('cleanup and clear record a deleted change for each task they remove', async (h) => {
    const store = await h.store({ sweep: false });
    const finished = await Promise.all([1, 2].map(() => store.create(newTask({ status: 'failed' }))));
    const running = await store.create(newTask({ status: 'running' }));
    const w = await watching(store, { status: ['failed', 'running'] });
    expect(await store.cleanup({ olderThan: new Date(Date.now() + 1000) })).toBe(2);
    expect(await store.clear()).toBe(1);
    expect(await w.until(3)).toBe(true);
    await w.stop();
    expect(new Set(summary(w.changes))).toEqual(
      new Set([
        ...finished.map((t) => `deleted:${t.taskId}:1:failed`),
        `deleted:${running.taskId}:1:running`,
      ]),
    );
  });

  scenario('a failed write records no change', async (h) => {
    const store = await h.store();
    const task = await store.create(newTask());
    const w = await watching(store);
    await expectTaskError(store.create(newTask({ taskId: task.taskId })), {
      type: TaskCreateError,
      code: 'TASK_EXISTS',
    });
    await expectTaskError(store.update({ ...task, version: 7 }), {
      type: TaskUpdateError,
      code: 'VERSION_CONFLICT',
    });
    await expectTaskError(store.patch(task.taskId, { status: 'running' }, { expectedVersion: 9 }), {
      type: TaskUpdateError,
      code: 'VERSION_CONFLICT',
    });
    await expectTaskError(store.delete(uniqueId('missing')), {
      type: TaskDeleteError,
      code: 'TASK_NOT_FOUND',
    });
    const marker = await store.create(newTask());
    expect(await w.until(1)).toBe(true);
    await sleep(100);
    await w.stop();
    expect(summary(w.changes)).toEqual([`created:${marker.taskId}:1:${marker.status}`]);
    expect(w.error() === null || isTaskStoreError(w.error())).toBe(true);
  });
}
