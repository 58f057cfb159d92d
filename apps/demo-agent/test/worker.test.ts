import type { AgentTask, TaskStore } from '@taskvault/core';
import { taskStoreError } from '@taskvault/core/adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { DemoAgent } from '../src/agent.js';
import { isDemoTask, itemContent, stepCommitCounts } from '../src/model.js';
import { Worker } from '../src/worker.js';
import { eventually, memoryStore, waitForTask } from './helpers.js';

const ended = (t: AgentTask | null) => t !== null && ['completed', 'failed', 'cancelled'].includes(t.status);

/** Every step of the plan up to `nextStep` was committed exactly once, and no other. */
function expectEachStepOnce(task: AgentTask): void {
  if (!isDemoTask(task)) throw new Error('not a demo task');
  const counts = stepCommitCounts(task);
  for (let i = 0; i < task.data.nextStep; i++) expect(counts.get(i), `task ${task.taskId} step ${i}`).toBe(1);
  expect([...counts.keys()].every((i) => i < task.data.nextStep)).toBe(true);
}

describe('worker', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const setup = async () => {
    const store = await memoryStore();
    cleanups.push(() => store.close());
    return { store, agent: new DemoAgent(store) };
  };
  const worker = (
    store: TaskStore,
    workerId: string,
    opts: { leaseMs?: number; stepDelayMs?: number } = {},
  ) => {
    const w = new Worker({ store, workerId, pollMs: 10, ...opts });
    cleanups.push(() => w.stop());
    return w;
  };

  it('takes over a running task whose owner stopped heartbeating and continues at its next step', async () => {
    const { store, agent } = await setup();
    const task = await agent.submit({ query: 'population of Italy plus the population of Spain' });
    // A worker claimed it, committed step 1, and died: its heartbeat is old.
    const first = worker(store, 'first', { stepDelayMs: 0 });
    const claimed = await store.patch(
      task.taskId,
      { status: 'running', data: { owner: 'ghost', heartbeatAt: Date.now() - 60_000 } },
      { expectedVersion: task.version },
    );
    expect(claimed.status).toBe('running');
    first.start();
    const done = await waitForTask(store, task.taskId, ended);
    expect(done).toMatchObject({ status: 'completed' });
    expectEachStepOnce(done!);
    const recovered = done!.items.map(itemContent).filter((c) => c?.type === 'recovered');
    expect(recovered).toEqual([expect.objectContaining({ from: 'ghost', by: 'first', step: 0 })]);
    expect(first.stats.recovered).toBe(1);
  });

  it('leaves a running task alone while its owner heartbeats', async () => {
    const { store, agent } = await setup();
    const task = await agent.submit({ query: 'capital of Italy' });
    await store.patch(task.taskId, { status: 'running', data: { owner: 'alive', heartbeatAt: Date.now() } });
    const w = worker(store, 'other', { leaseMs: 10_000 });
    w.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(await store.load(task.taskId)).toMatchObject({ status: 'running', data: { owner: 'alive' } });
    expect(w.stats.recovered).toBe(0);
  });

  it('throws away the result of a step whose task was cancelled while it ran', async () => {
    const { store, agent } = await setup();
    const task = await agent.submit({ query: 'population of Japan plus the population of India' });
    const w = worker(store, 'slow', { stepDelayMs: 300 });
    w.start();
    await waitForTask(store, task.taskId, (t) => t?.status === 'running');
    await agent.cancel(task.taskId, 'tester');
    await eventually('the worker discarded its step', () => w.stats.discarded === 1);
    const after = await store.load(task.taskId);
    expect(after?.status).toBe('cancelled');
    expect(stepCommitCounts(after!).size).toBe(0);
  });

  it('on stop, finishes the step in progress and hands the task back as pending', async () => {
    const { store, agent } = await setup();
    const task = await agent.submit({ query: 'population of Japan plus the population of India' });
    const a = worker(store, 'a', { stepDelayMs: 150 });
    a.start();
    await waitForTask(store, task.taskId, (t) => t?.status === 'running');
    await a.stop();
    const released = await store.load(task.taskId);
    expect(released).toMatchObject({ status: 'pending', data: { owner: null } });
    expect(released!.items.map(itemContent).some((c) => c?.type === 'released')).toBe(true);
    const b = worker(store, 'b');
    b.start();
    const done = await waitForTask(store, task.taskId, ended);
    expect(done?.status).toBe('completed');
    expectEachStepOnce(done!);
  });

  it('many workers on one store: every task completes and every step is committed exactly once', async () => {
    const { store, agent } = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const q = [
        'population of France plus the population of Spain',
        'calculate 2 * (3 + 4)',
        'price of a monitor',
      ][i % 3]!;
      ids.push((await agent.submit({ query: q })).taskId);
    }
    const workers = Array.from({ length: 6 }, (_, i) => worker(store, `w${i}`, { stepDelayMs: 2 }));
    for (const w of workers) w.start();
    for (const id of ids) {
      const t = await waitForTask(store, id, ended);
      expect(t?.status).toBe('completed');
      expectEachStepOnce(t!);
    }
    const committed = workers.reduce((n, w) => n + w.stats.committed, 0);
    const steps = (await Promise.all(ids.map((id) => store.load(id)))).reduce(
      (n, t) => n + (t && isDemoTask(t) ? t.data.plan.length : 0),
      0,
    );
    expect(committed).toBe(steps);
  });

  it("skips other applications' tasks in the namespace, however many come first", async () => {
    const { store, agent } = await setup();
    for (let i = 0; i < 45; i++)
      await store.create({ taskId: `foreign-${i}`, data: { note: 'not a demo task' } });
    const task = await agent.submit({ query: 'capital of Spain' });
    worker(store, 'picky').start();
    expect(await waitForTask(store, task.taskId, ended)).toMatchObject({ status: 'completed' });
    expect(await store.count({ status: 'pending' })).toBe(45);
  });

  it('a commit whose reply was lost is recognised by its token, never applied twice', async () => {
    const { store: inner, agent: innerAgent } = await setup();
    // Every third patch is applied by the store, and then its reply is "lost".
    let patches = 0;
    const lossy = new Proxy(inner, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'patch') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<TaskStore['patch']>) => {
          const result = await target.patch(...args);
          if (++patches % 3 === 0) {
            throw taskStoreError('patch', 'BACKEND_UNAVAILABLE', { backend: 'memory', detail: 'reply lost' });
          }
          return result;
        };
      },
    }) as TaskStore;
    const ids: string[] = [];
    for (let i = 0; i < 8; i++)
      ids.push(
        (await innerAgent.submit({ query: 'population of Canada plus the population of Brazil' })).taskId,
      );
    const w = worker(lossy, 'lossy', { stepDelayMs: 0 });
    w.start();
    for (const id of ids) {
      const t = await waitForTask(inner, id, (x) => x?.status === 'completed' || x?.status === 'failed');
      expect(t?.status).toBe('completed');
      expectEachStepOnce(t!);
    }
    expect(patches).toBeGreaterThan(10);
  });
});
