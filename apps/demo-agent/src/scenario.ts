/**
 * The scripted run behind `pnpm demo`: requests go in, two workers step them forward, one pauses
 * for approval and is resumed by its request id, one fails, one is cancelled; then `list` by
 * status, `countActive` and `cleanup`. Prints a transcript with ids, statuses and versions.
 */
import { type AgentTask, TASK_STATUSES, type TaskStatus, type TaskStore } from '@taskvault/core';
import { DemoAgent } from './agent.js';
import { type DemoTask, describeStep, isDemoTask, stepCommitCounts } from './model.js';
import { Worker, type WorkerEvent, type WorkerLogger } from './worker.js';

/** The requests the scenario submits, in order, and what becomes of each. */
export const SCENARIO_REQUESTS = [
  { query: 'What is the population of France plus the population of Germany?', fate: 'completes' },
  { query: 'Email the weather in Paris to alice@example.com', fate: 'pauses, is approved, completes' },
  { query: 'Order 3 laptops', fate: 'pauses, is cancelled' },
  { query: 'What is the capital of Atlantis?', fate: 'fails' },
  { query: 'Calculate (17 + 25) * 3 / 2', fate: 'completes' },
] as const;

/** Submitted after the workers stopped, so it stays pending and `cleanup` spares it. */
export const LATE_REQUEST = 'What is the weather in Tokyo?';

/** Options of {@link runScenario}. */
export interface ScenarioOptions {
  store: TaskStore;
  /** Where transcript lines go; default stdout. */
  write?: (line: string) => void;
  /** Shown in the header. */
  namespace?: string;
  /** Pretend work per step; default 60 ms. */
  stepDelayMs?: number;
  logger?: WorkerLogger;
  /** Longest wait for the workers at any point; default 30 s. */
  timeoutMs?: number;
}

/** What the scenario did, for tests and the exit code. */
export interface ScenarioResult {
  tasks: Array<{
    label: string;
    taskId: string;
    requestId: string;
    query: string;
    status: TaskStatus;
    version: number;
    /** Epoch ms; `list` orders by this, then by taskId. */
    createdAt: number;
  }>;
  /** Labels of the tasks `list` returned per status, before cleanup. */
  listed: Record<TaskStatus, string[]>;
  countActiveWhilePaused: number;
  countActiveBeforeCleanup: number;
  cleanedUp: number;
  countAfterCleanup: number;
  /** The largest number of commits any step of any task got (1 when every step committed once). */
  maxCommitsPerStep: number;
  lines: string[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the scenario on `store` and prints its transcript. The store is left as found. */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { store } = options;
  const lines: string[] = [];
  const out = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = performance.now();
  const labels = new Map<string, string>();
  const timeoutMs = options.timeoutMs ?? 30_000;

  const print = (text: string) => {
    const t = ((performance.now() - started) / 1000).toFixed(2).padStart(6);
    const line = `[${t}s] ${text}`.trimEnd();
    lines.push(line);
    out(line);
  };
  const label = (taskId: string) => labels.get(taskId) ?? '#?';
  const show = (task: AgentTask) =>
    `${label(task.taskId)} ${task.taskId} ${task.status.padEnd(9)} v${String(task.version).padEnd(2)}`;
  const stepOf = (task: DemoTask, step: number) => `step ${step + 1}/${task.data.plan.length}`;

  const onEvent = (e: WorkerEvent) => {
    switch (e.type) {
      case 'claimed':
        print(`${show(e.task)} claimed by ${e.worker} at ${stepOf(e.task, e.task.data.nextStep)}`);
        break;
      case 'recovered':
        print(`${show(e.task)} taken over by ${e.worker} from ${e.from ?? 'nobody'} (lease lapsed)`);
        break;
      case 'committed':
        print(
          `${show(e.task)} ${stepOf(e.task, e.step)} ${e.kind}${e.result.ok ? '' : ' FAILED'}: ${e.result.text}  [${e.worker}]`,
        );
        break;
      case 'paused':
        print(`${show(e.task)} ${stepOf(e.task, e.step)} waits: ${e.text}  [${e.worker}]`);
        break;
      case 'discarded':
        print(
          `${label(e.taskId)} ${e.taskId} step ${e.step + 1} result discarded by ${e.worker}: ${e.reason}`,
        );
        break;
      case 'released':
        print(`${show(e.task)} released by ${e.worker}`);
        break;
      case 'error':
        print(`worker ${e.worker} error: ${e.error instanceof Error ? e.error.message : String(e.error)}`);
        break;
    }
  };

  const agent = new DemoAgent(store);
  const workers = ['demo-w1', 'demo-w2'].map(
    (workerId) =>
      new Worker({
        store,
        workerId,
        stepDelayMs: options.stepDelayMs ?? 60,
        pollMs: 20,
        leaseMs: 5_000,
        onEvent,
        ...(options.logger ? { logger: options.logger } : {}),
      }),
  );

  const waitFor = async (what: string, ids: string[], done: (tasks: Map<string, AgentTask>) => boolean) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tasks = new Map<string, AgentTask>();
      for (const id of ids) {
        const t = await store.load(id);
        if (t) tasks.set(id, t);
      }
      if (done(tasks)) return tasks;
      if (Date.now() > deadline) {
        const states = ids.map((id) => `${label(id)} ${tasks.get(id)?.status ?? 'missing'}`).join(', ');
        throw new Error(`timed out after ${timeoutMs} ms waiting until ${what} (${states})`);
      }
      await sleep(20);
    }
  };

  print(
    `taskvault demo agent: scripted run on the ${store.backend} store${options.namespace ? ` (namespace ${options.namespace})` : ''}`,
  );
  print('columns: label, task id, status, version, what happened');

  // 1. Requests come in.
  const submitted: DemoTask[] = [];
  for (const [i, request] of SCENARIO_REQUESTS.entries()) {
    const task = await agent.submit({ query: request.query, sessionId: 'demo-session', userId: 'demo-user' });
    labels.set(task.taskId, `#${i + 1}`);
    submitted.push(task);
    print(
      `${show(task)} submitted "${request.query}" (request ${task.data.requestId}; expected: ${request.fate})`,
    );
    print(
      `${' '.repeat(label(task.taskId).length + task.taskId.length + 15)}plan: ${task.data.plan.map((s, n) => `${n + 1}. ${describeStep(s)}`).join('; ')}`,
    );
  }
  const [completes, approved, cancelled, fails, calculates] = submitted as [
    DemoTask,
    DemoTask,
    DemoTask,
    DemoTask,
    DemoTask,
  ];
  const ids = submitted.map((t) => t.taskId);

  // 2. Workers step them forward until the two tool calls wait for approval.
  print(`starting workers ${workers.map((w) => w.id).join(' and ')}`);
  for (const w of workers) w.start();
  try {
    await waitFor(
      'two tasks wait for approval and three ended',
      ids,
      (tasks) =>
        [approved, cancelled].every((t) => tasks.get(t.taskId)?.status === 'paused') &&
        [completes, fails, calculates].every((t) =>
          ['completed', 'failed'].includes(tasks.get(t.taskId)?.status ?? ''),
        ),
    );
    const countActiveWhilePaused = await store.countActive();
    print(`countActive() = ${countActiveWhilePaused} (the tasks paused for approval)`);

    // 3. A person approves one tool call, found by its request id, and cancels the other.
    const found = await store.loadByRequestId(approved.data.requestId);
    print(`loadByRequestId(${approved.data.requestId}) -> ${found ? show(found) : 'nothing'}`);
    const resumed = await agent.approve(approved.data.requestId, 'demo-user');
    print(`${show(resumed)} approved by demo-user: back to pending for a worker`);
    const stopped = await agent.cancel(cancelled.taskId, 'demo-user');
    print(`${show(stopped)} cancelled by demo-user while it waited for approval`);

    await waitFor('the approved task completed', [approved.taskId], (tasks) =>
      ['completed', 'failed'].includes(tasks.get(approved.taskId)?.status ?? ''),
    );
    print('all five requests ended; stopping the workers');
    await Promise.all(workers.map((w) => w.stop()));

    // 4. One more request while no worker runs: it stays pending.
    const late = await agent.submit({ query: LATE_REQUEST, sessionId: 'demo-session', userId: 'demo-user' });
    labels.set(late.taskId, '#6');
    print(`${show(late)} submitted "${LATE_REQUEST}" (no worker runs now: it stays pending)`);

    // 5. What the store holds, by status.
    const listed = {} as Record<TaskStatus, string[]>;
    for (const status of TASK_STATUSES) {
      const { tasks } = await store.list({ status, order: 'asc' });
      listed[status] = tasks.map((t) => label(t.taskId));
      print(
        `list({ status: '${status}' }) -> ${tasks.length}${tasks.length ? `: ${tasks.map((t) => `${label(t.taskId)} ${t.taskId} v${t.version}`).join(', ')}` : ''}`,
      );
    }
    const final = new Map<string, AgentTask>();
    for (const id of [...ids, late.taskId]) {
      const t = await store.load(id);
      if (t) final.set(id, t);
    }
    let maxCommitsPerStep = 0;
    for (const task of final.values()) {
      if (!isDemoTask(task)) continue;
      for (const n of stepCommitCounts(task).values()) maxCommitsPerStep = Math.max(maxCommitsPerStep, n);
      if (task.data.answer) print(`${label(task.taskId)} answer: ${task.data.answer}`);
      if (task.data.error) print(`${label(task.taskId)} error: ${task.data.error}`);
    }
    print(
      `every committed step appears exactly once in its task's items: ${maxCommitsPerStep <= 1 ? 'yes' : 'NO'}`,
    );
    const countActiveBeforeCleanup = await store.countActive();
    print(`countActive() = ${countActiveBeforeCleanup}`);

    // 6. Cleanup removes what ended; active tasks stay.
    await sleep(5); // cleanup's cutoff is strict: let the last write be in the past
    const cleanedUp = await store.cleanup({ olderThan: 0 });
    const countAfterCleanup = await store.count();
    print(
      `cleanup({ olderThan: 0 }) removed ${cleanedUp} ended tasks; count() = ${countAfterCleanup} (active tasks are kept)`,
    );
    await store.delete(late.taskId);
    print(`delete(${late.taskId}) -> the namespace holds ${await store.count()} tasks again`);
    print(`done in ${((performance.now() - started) / 1000).toFixed(2)} s`);

    return {
      tasks: [...ids, late.taskId].map((id) => {
        const t = final.get(id) as DemoTask | undefined;
        return {
          label: label(id),
          taskId: id,
          requestId: t?.data.requestId ?? '',
          query: t?.data.query ?? '',
          status: t?.status ?? 'pending',
          version: t?.version ?? 0,
          createdAt: t?.createdAt.getTime() ?? 0,
        };
      }),
      listed,
      countActiveWhilePaused,
      countActiveBeforeCleanup,
      cleanedUp,
      countAfterCleanup,
      maxCommitsPerStep,
      lines,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}
