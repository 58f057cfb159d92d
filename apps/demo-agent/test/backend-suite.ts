/**
 * The same flows on a real server: the scripted scenario, the HTTP flow, and two `serve`
 * processes sharing one store while one of them is SIGKILLed mid-task.
 */
import type { TaskStore, TaskStoreConfig } from '@taskvault/core';
import { getFreePorts } from '@taskvault/test-servers';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoAgent } from '../src/agent.js';
import { runScenario } from '../src/scenario.js';
import { buildServer } from '../src/server.js';
import type { TaskView } from '../src/view.js';
import { Worker, type WorkerStats } from '../src/worker.js';
import { ensureBuilt } from './build.js';
import { eventually, freshNamespace, storeFor, waitForTask } from './helpers.js';
import { expectScenarioOutcome } from './scenario-outcome.js';
import { http, type ServeProcess, startServe } from './serve-process.js';

/** A server to run the suite on. */
export interface BackendServer {
  /** Store configuration without a namespace (`backend` plus its URL). */
  config: TaskStoreConfig;
  /** The same for a child process, as environment variables. */
  env: Record<string, string>;
  /** Stops and restarts the server, or null when it is not ours (an external server). */
  outage: { stop(): Promise<void>; start(): Promise<void> } | null;
  destroy(): Promise<void>;
}

/** Each step of each task was committed exactly once: one `step` item per step index. */
function expectEachStepCommittedOnce(task: TaskView): void {
  const perStep = new Map<number, number>();
  for (const item of task.items) {
    const c = item.content as { type?: string; step?: number };
    if (c?.type === 'step' && typeof c.step === 'number') perStep.set(c.step, (perStep.get(c.step) ?? 0) + 1);
  }
  expect(
    task.plan.map((s) => perStep.get(s.step) ?? 0),
    `task ${task.taskId}`,
  ).toEqual(task.plan.map(() => 1));
  expect(task.plan.map((s) => s.commits)).toEqual(task.plan.map(() => 1));
}

const QUERIES = [
  'population of France plus the population of Germany',
  'population of Japan minus the population of Spain',
  'price of a monitor plus the price of a chair',
  'calculate (17 + 25) * 3 / 2 and the capital of Brazil',
  'population of India divided by the population of Canada',
];

/** Submits `n` four-step-or-so tasks, alternating between the services at `urls`. */
async function submitTasks(urls: string[], n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await http<{ taskId: string }>('POST', `${urls[i % urls.length]}/tasks`, {
      query: QUERIES[i % QUERIES.length],
    });
    expect(res.status).toBe(202);
    ids.push(res.body.taskId);
  }
  return ids;
}

/** Waits until a worker whose id starts with `owner` holds a task in the middle of its plan. */
async function runningMidPlan(url: string, owner: string): Promise<TaskView> {
  let victim: TaskView | undefined;
  await eventually(`a task of ${owner} is running mid-plan`, async () => {
    const { body } = await http<{ tasks: TaskView[] }>('GET', `${url}/tasks?status=running`);
    // past its first step and short of its last, so it cannot end before the test acts on it
    victim = body.tasks.find(
      (t) => t.owner?.startsWith(owner) && (t.nextStep ?? 0) >= 1 && (t.nextStep ?? 0) < t.plan.length - 1,
    );
    return victim !== undefined;
  });
  return victim!;
}

/** Waits until every task completed; returns their final views. */
async function allCompleted(url: string, ids: string[]): Promise<TaskView[]> {
  const finished: TaskView[] = [];
  for (const id of ids) {
    let view: TaskView | undefined;
    await eventually(
      `task ${id} completed`,
      async () => {
        view = (await http<TaskView>('GET', `${url}/tasks/${id}`)).body;
        return view.status === 'completed';
      },
      30_000,
    );
    finished.push(view!);
  }
  return finished;
}

/** The `recovered` items of the tasks. */
function takeoversIn(tasks: TaskView[]): Array<{ from?: string; by?: string }> {
  return tasks.flatMap((t) =>
    t.items
      .map((i) => i.content as { type?: string; from?: string; by?: string })
      .filter((c) => c.type === 'recovered'),
  );
}

/** The summed counters of the workers of the service at `url`. */
async function workerStats(url: string): Promise<WorkerStats> {
  const { body } = await http<{ workers: Array<{ stats: WorkerStats }> }>('GET', `${url}/healthz`);
  const total: WorkerStats = { claimed: 0, recovered: 0, executed: 0, committed: 0, discarded: 0, errors: 0 };
  for (const w of body.workers)
    for (const key of Object.keys(total) as Array<keyof WorkerStats>) total[key] += w.stats[key];
  return total;
}

/** Registers the suite for one backend; `start` brings its server up. */
export function describeBackend(name: string, start: () => Promise<BackendServer>): void {
  describe(`on ${name}`, () => {
    let server: BackendServer;
    const stores: TaskStore[] = [];
    const open = async (namespace = freshNamespace(`demo-${name}`)) => {
      const store = await storeFor({ ...server.config, namespace });
      stores.push(store);
      return store;
    };

    beforeAll(async () => {
      server = await start();
      ensureBuilt();
    });
    afterAll(async () => {
      for (const s of stores) await s.close();
      await server?.destroy();
    });

    it('runs the scripted scenario with the same outcome as on memory', async () => {
      const store = await open();
      const result = await runScenario({ store, write: () => {}, stepDelayMs: 10 });
      expectScenarioOutcome(result);
      expect(await store.count()).toBe(0);
    });

    it('serves the HTTP flow: submit, pause, approve by request id, complete, list, cancel, delete', async () => {
      const store = await open();
      const workers = [1, 2].map((i) => new Worker({ store, workerId: `${name}-http-${i}`, pollMs: 20 }));
      const app: FastifyInstance = buildServer({ agent: new DemoAgent(store), workers });
      for (const w of workers) w.start();
      try {
        const submit = async (query: string) => {
          const res = await app.inject({
            method: 'POST',
            url: '/tasks',
            payload: { query, sessionId: 's1' },
          });
          expect(res.statusCode).toBe(202);
          return res.json() as { taskId: string; requestId: string };
        };
        const email = await submit('Email the weather in Madrid to erin@example.com');
        const order = await submit('Order 2 keyboards');
        const sum = await submit('population of Japan plus the population of Italy');
        await waitForTask(store, email.taskId, (t) => t?.status === 'paused');
        await waitForTask(store, order.taskId, (t) => t?.status === 'paused');
        await waitForTask(store, sum.taskId, (t) => t?.status === 'completed');

        const paused = (await app.inject('/tasks?status=paused')).json() as { tasks: TaskView[] };
        expect(paused.tasks.map((t) => t.taskId).sort()).toEqual([email.taskId, order.taskId].sort());
        const approved = await app.inject({
          method: 'POST',
          url: `/requests/${email.requestId}/approve`,
          payload: { by: 'frank' },
        });
        expect(approved.statusCode).toBe(200);
        const cancelled = await app.inject({ method: 'POST', url: `/tasks/${order.taskId}/cancel` });
        expect(cancelled.json()).toMatchObject({ status: 'cancelled' });
        await waitForTask(store, email.taskId, (t) => t?.status === 'completed');

        const done = (await app.inject(`/tasks/${email.taskId}`)).json() as TaskView;
        expect(done.answer).toMatch(/sent an email to erin@example.com/i);
        expectEachStepCommittedOnce(done);
        expect((await app.inject('/healthz')).json()).toMatchObject({
          ok: true,
          backend: name,
          activeTasks: 0,
        });
        expect((await app.inject({ method: 'DELETE', url: `/tasks/${sum.taskId}` })).statusCode).toBe(204);
        expect((await app.inject(`/tasks/${sum.taskId}`)).statusCode).toBe(404);
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
        await app.close();
      }
    });

    /** Runs `fn` with two `serve` processes, procA and procB, sharing a fresh namespace. */
    const withTwoProcesses = async (fn: (a: ServeProcess, b: ServeProcess) => Promise<void>) => {
      const env = { ...server.env, TASKVAULT_NAMESPACE: freshNamespace(`demo-procs-${name}`) };
      const common = ['--workers', '2', '--lease-ms', '2000', '--step-delay-ms', '150', '--poll-ms', '50'];
      const [portA, portB] = await getFreePorts(2);
      const procs: ServeProcess[] = [];
      try {
        procs.push(await startServe(portA!, [...common, '--worker-id', 'procA'], env));
        procs.push(await startServe(portB!, [...common, '--worker-id', 'procB'], env));
        await fn(procs[0]!, procs[1]!);
      } catch (error) {
        for (const p of procs) process.stderr.write(`--- output of ${p.url}:\n${p.output().slice(-4000)}\n`);
        throw error;
      } finally {
        for (const p of procs) {
          if (p.child.exitCode === null && p.child.signalCode === null) {
            p.child.kill('SIGCONT');
            p.child.kill('SIGKILL');
          }
        }
      }
    };

    it('two serve processes share the store; one is SIGKILLed mid-task; every task completes, each step committed once', async () => {
      await withTwoProcesses(async (a, b) => {
        const ids = await submitTasks([a.url, b.url], 10);
        const victim = await runningMidPlan(b.url, 'procA/');
        a.child.kill('SIGKILL');
        const killedAt = Date.now();
        expect(await a.exited).toBe('SIGKILL');

        const finished = await allCompleted(b.url, ids);
        for (const task of finished) expectEachStepCommittedOnce(task);
        const takeovers = takeoversIn(finished);
        expect(takeovers.length).toBeGreaterThanOrEqual(1);
        for (const c of takeovers) {
          expect(c.from).toMatch(/^procA\//);
          expect(c.by).toMatch(/^procB\//);
        }
        expect(finished.find((t) => t.taskId === victim.taskId)?.recoveries).toBe(1);
        const stats = await workerStats(b.url);
        expect(stats.recovered).toBe(takeovers.length);
        process.stdout.write(
          `[${name}] SIGKILL test: 10 tasks all completed ${Date.now() - killedAt} ms after the kill; ` +
            `${takeovers.length} taken over by procB; procB ran ${stats.executed} steps, committed ${stats.committed}, discarded ${stats.discarded}\n`,
        );
        b.child.kill('SIGTERM');
        expect(await b.exited).toBe(0);
      });
    });

    it('a frozen serve process loses its tasks to another; when it wakes, its late commits are discarded', async () => {
      await withTwoProcesses(async (a, b) => {
        const ids = await submitTasks([a.url, b.url], 6);
        const victim = await runningMidPlan(b.url, 'procA/');
        a.child.kill('SIGSTOP');
        await eventually('procB took over the frozen task', async () => {
          const view = (await http<TaskView>('GET', `${b.url}/tasks/${victim.taskId}`)).body;
          return view.owner?.startsWith('procB/') === true || view.status === 'completed';
        });
        a.child.kill('SIGCONT');

        const finished = await allCompleted(b.url, ids);
        for (const task of finished) expectEachStepCommittedOnce(task);
        const fromA = await workerStats(a.url);
        expect(fromA.discarded).toBeGreaterThanOrEqual(1);
        process.stdout.write(
          `[${name}] SIGSTOP test: ${takeoversIn(finished).length} tasks taken over from the frozen procA; ` +
            `procA ran ${fromA.executed} steps, committed ${fromA.committed}, discarded ${fromA.discarded} after waking\n`,
        );
      });
    });

    it('/healthz is 503 while the server is down, store errors are 503, and both recover', async (ctx) => {
      if (server.outage === null) {
        ctx.skip('no server of ours to stop: an external server, or a backend without one (sqlite)');
        return;
      }
      const store = await open();
      const app = buildServer({ agent: new DemoAgent(store) });
      try {
        expect((await app.inject('/healthz')).statusCode).toBe(200);
        await server.outage.stop();
        const down = await app.inject('/healthz');
        expect(down.statusCode).toBe(503);
        expect(down.json()).toMatchObject({ ok: false, backend: name });
        const read = await app.inject('/tasks/task-x');
        expect(read.statusCode).toBe(503);
        expect(read.json()).toMatchObject({ error: { code: 'BACKEND_UNAVAILABLE' } });
        expect(read.body).not.toMatch(/\n\s+at /);
        await server.outage.start();
        await eventually(
          '/healthz is 200 again',
          async () => (await app.inject('/healthz')).statusCode === 200,
        );
      } finally {
        await app.close();
      }
    });
  });
}
