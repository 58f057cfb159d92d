/**
 * A worker loop: find a task, claim it with a version check, run its steps one at a time and
 * commit each with a version check before the next starts.
 *
 * Claim-then-run-then-commit: the worker runs a step's pure function, then appends the step's
 * result item and advances `nextStep` in ONE patch with `expectedVersion`. If anyone else wrote
 * the task meanwhile (a cancel, a delete, another worker that took it over after this one's
 * heartbeat lapsed), the patch conflicts and the result is thrown away. So a step's result is
 * committed exactly once, while its function may run more than once (after a crash between run
 * and commit): steps must be pure, and real side effects idempotent on (taskId, step).
 */
import { randomUUID } from 'node:crypto';
import { isTaskStoreError, type TaskPatch, type TaskStore } from '@taskvault/core';
import { commitChanges, stepContext } from './commit.js';
import { TaskLease } from './lease.js';
import { type DemoTask, demoItem, isDemoTask } from './model.js';
import { runStep, type StepOutcome, type StepResult } from './steps.js';

/** The subset of a pino logger the worker uses. */
export interface WorkerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Something that happened in a worker; the scenario prints them, tests count them. */
export type WorkerEvent =
  | { type: 'claimed'; worker: string; task: DemoTask }
  | { type: 'recovered'; worker: string; task: DemoTask; from: string | null }
  | { type: 'committed'; worker: string; task: DemoTask; step: number; kind: string; result: StepResult }
  | { type: 'paused'; worker: string; task: DemoTask; step: number; text: string }
  | { type: 'discarded'; worker: string; taskId: string; step: number; reason: string }
  | { type: 'released'; worker: string; task: DemoTask }
  | { type: 'error'; worker: string; taskId: string | null; error: unknown };

/** Counters of one worker since it started. */
export interface WorkerStats {
  claimed: number;
  recovered: number;
  /** Step functions run (includes runs whose result was thrown away). */
  executed: number;
  /** Step results committed (and pauses for approval). */
  committed: number;
  /** Step results thrown away because the commit lost its version check. */
  discarded: number;
  errors: number;
}

/** Options of a worker. */
export interface WorkerOptions {
  store: TaskStore;
  /** Unique among all workers sharing the store; recorded as the task's `owner`. */
  workerId: string;
  /** A running task whose heartbeat is older than this is taken over by another worker. Default 10 s. */
  leaseMs?: number;
  /** Wait between polls when there is nothing to do. Default 200 ms. */
  pollMs?: number;
  /** Pretend work: each step takes this long. Default 0. */
  stepDelayMs?: number;
  logger?: WorkerLogger;
  onEvent?: (event: WorkerEvent) => void;
}

const PENDING_PAGE = 20;
const ERROR_BACKOFF_MS = 1000;
const RUNNING_PAGE = 100;
/** Pages a worker looks through per round before it polls again. */
const MAX_PAGES = 10;

const silent: WorkerLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Runs demo tasks from a store; any number of workers, in any number of processes, may share it. */
export class Worker {
  readonly id: string;
  readonly stats: WorkerStats = {
    claimed: 0,
    recovered: 0,
    executed: 0,
    committed: 0,
    discarded: 0,
    errors: 0,
  };
  private readonly store: TaskStore;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly stepDelayMs: number;
  private readonly log: WorkerLogger;
  private readonly onEvent: (event: WorkerEvent) => void;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** A pending task appeared while the worker was not idle: its next idle returns at once. */
  private woken = false;
  /** Ends the watch on pending tasks. */
  private watching: AbortController | null = null;
  /** True while the change feed answers: then idling waits on it, not on a short poll. */
  private feedUp = false;
  private lastRecoveryScan = Number.NEGATIVE_INFINITY;
  /** The task this worker is running, if any. */
  currentTaskId: string | null = null;

  constructor(options: WorkerOptions) {
    this.store = options.store;
    this.id = options.workerId;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.pollMs = options.pollMs ?? 200;
    this.stepDelayMs = options.stepDelayMs ?? 0;
    this.log = options.logger ?? silent;
    this.onEvent = options.onEvent ?? (() => {});
  }

  /**
   * Starts the loop. Idempotent. It waits for work on the store's change feed (a pending task
   * wakes it at once) and looks for running tasks whose lease lapsed every half lease; while the
   * feed is down it polls every `pollMs` instead.
   */
  start(): void {
    if (this.loop !== null) return;
    this.stopping = false;
    this.watchPending();
    this.loop = this.run();
  }

  /** Follows changes to pending tasks and wakes the loop on each; retries when the feed breaks. */
  private watchPending(): void {
    const controller = new AbortController();
    this.watching = controller;
    void (async () => {
      let after: string | undefined;
      while (!controller.signal.aborted) {
        try {
          const stream = this.store.watch(
            { status: 'pending' },
            { signal: controller.signal, ...(after ? { after } : {}) },
          );
          after = await stream.ready;
          this.feedUp = true;
          for await (const change of stream) {
            after = change.id;
            this.woken = true;
            this.wake?.();
          }
          return; // aborted, or the store closed
        } catch (error) {
          this.feedUp = false;
          after = undefined; // too old or unreadable after an outage: start from now, and look once
          this.wake?.();
          if (controller.signal.aborted) return;
          this.log.warn({ worker: this.id, err: describeError(error) }, 'change feed unavailable; polling');
          await new Promise((resolve) => setTimeout(resolve, ERROR_BACKOFF_MS));
        }
      }
    })();
  }

  /**
   * Stops: the step in progress finishes and is committed, then the task is handed back as
   * `pending` (owner cleared) so another worker continues it at once instead of after its lease.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.watching?.abort();
    this.watching = null;
    this.feedUp = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let worked = false;
      let failed = false;
      try {
        worked = await this.tick();
      } catch (error) {
        this.stats.errors++;
        failed = true;
        this.emit({ type: 'error', worker: this.id, taskId: this.currentTaskId, error });
        this.log.error({ worker: this.id, err: describeError(error) }, 'worker iteration failed');
      } finally {
        this.currentTaskId = null;
      }
      // After an error (the store is unreachable, say) wait longer, so the log is not flooded.
      if (!worked && !this.stopping)
        await this.idle(
          failed
            ? Math.max(this.pollMs, ERROR_BACKOFF_MS)
            : this.feedUp
              ? Math.max(this.pollMs, this.leaseMs / 2)
              : this.pollMs,
        );
    }
  }

  private async idle(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = null;
    this.woken = false;
  }

  /**
   * One round: takes over a running task whose lease lapsed, or else claims the oldest pending
   * task, and runs it until it completes, fails, pauses or is lost. Returns whether it ran one.
   */
  async tick(): Promise<boolean> {
    const task = (await this.recoverOne()) ?? (await this.claimOne());
    if (task === null) return false;
    this.currentTaskId = task.taskId;
    await this.runTask(task);
    return true;
  }

  /** Takes over one running task whose owner stopped heartbeating, if there is one. */
  private async recoverOne(): Promise<DemoTask | null> {
    const now = Date.now();
    if (now - this.lastRecoveryScan < this.leaseMs / 2) return null;
    this.lastRecoveryScan = now;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { tasks, nextCursor } = await this.store.list({
        status: 'running',
        order: 'asc',
        limit: RUNNING_PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const task of tasks) {
        if (!isDemoTask(task)) continue;
        const beat = task.data.heartbeatAt ?? task.updatedAt.getTime();
        if (Date.now() - beat <= this.leaseMs) continue;
        const from = task.data.owner;
        const taken = await this.tryWrite(task, {
          data: { owner: this.id, heartbeatAt: Date.now(), recoveries: (task.data.recoveries ?? 0) + 1 },
          appendItems: [
            demoItem(task.data.requestId, {
              type: 'recovered',
              step: task.data.nextStep,
              from,
              by: this.id,
              text: `${this.id} took over from ${from ?? 'nobody'} (no heartbeat for ${Math.round((Date.now() - beat) / 100) / 10} s); continuing at step ${task.data.nextStep + 1}`,
            }),
          ],
        });
        if (taken === null) continue;
        this.lastRecoveryScan = Number.NEGATIVE_INFINITY; // there may be more: look again next round
        this.stats.recovered++;
        this.log.warn(
          { worker: this.id, taskId: task.taskId, from, step: task.data.nextStep, version: taken.version },
          'took over a task whose lease lapsed',
        );
        this.emit({ type: 'recovered', worker: this.id, task: taken, from });
        return taken;
      }
      if (nextCursor === null) break;
      cursor = nextCursor;
    }
    return null;
  }

  /**
   * Claims one pending task: pages through the oldest (tasks of other applications sharing the
   * namespace are skipped), trying each page in random order to spread contention between workers.
   */
  private async claimOne(): Promise<DemoTask | null> {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { tasks, nextCursor } = await this.store.list({
        status: 'pending',
        order: 'asc',
        limit: PENDING_PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      const candidates = tasks.filter(isDemoTask);
      for (let i = candidates.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
      }
      for (const task of candidates) {
        const claimed = await this.tryWrite(task, {
          status: 'running',
          data: { owner: this.id, heartbeatAt: Date.now() },
        });
        if (claimed === null) continue;
        this.stats.claimed++;
        this.log.info(
          { worker: this.id, taskId: task.taskId, step: claimed.data.nextStep, version: claimed.version },
          'claimed task',
        );
        this.emit({ type: 'claimed', worker: this.id, task: claimed });
        return claimed;
      }
      if (nextCursor === null) break;
      cursor = nextCursor;
    }
    return null;
  }

  /**
   * One compare-and-set attempt to take `task`; null when someone else got there first. The write
   * carries a token, so when its reply is lost the worker reads the task back and knows whether
   * the claim landed instead of leaving a task it owns unattended until its own lease lapses.
   */
  private async tryWrite(task: DemoTask, changes: TaskPatch): Promise<DemoTask | null> {
    const token = `${this.id}:claim:${randomUUID().slice(0, 8)}`;
    const withToken: TaskPatch = { ...changes, data: { ...changes.data, lastCommit: token } };
    try {
      const written = await this.store.patch(task.taskId, withToken, { expectedVersion: task.version });
      return isDemoTask(written) ? written : null;
    } catch (error) {
      if (isTaskStoreError(error, 'VERSION_CONFLICT') || isTaskStoreError(error, 'TASK_NOT_FOUND'))
        return null;
      if (!isTaskStoreError(error, 'BACKEND_UNAVAILABLE')) throw error;
      const current = await this.store.load(task.taskId);
      return current !== null && isDemoTask(current) && current.data.lastCommit === token ? current : null;
    }
  }

  private async runTask(claimed: DemoTask): Promise<void> {
    const lease = new TaskLease(this.store, this.id, claimed, {
      leaseMs: this.leaseMs,
      onHeartbeatError: (error) =>
        this.log.warn(
          { worker: this.id, taskId: claimed.taskId, err: describeError(error) },
          'heartbeat failed',
        ),
    });
    let task = claimed;
    for (;;) {
      if (this.stopping) {
        await this.release(lease, task);
        return;
      }
      const index = task.data.nextStep;
      const step = task.data.plan[index];
      const snapshot = task;
      const outcome: StepOutcome = await lease.whileHeld(async () => {
        if (this.stepDelayMs > 0) await new Promise((r) => setTimeout(r, this.stepDelayMs));
        return step === undefined
          ? { type: 'result', result: { ok: false, text: `the plan has no step ${index + 1}`, output: null } }
          : (runStep(step, stepContext(snapshot, index)) ??
              ({
                type: 'result',
                result: { ok: false, text: `unknown step kind`, output: null },
              } as StepOutcome));
      });
      this.stats.executed++;
      const commitToken = `${this.id}:${index}:${randomUUID().slice(0, 8)}`;
      const written = await lease.write(commitChanges(task, index, step, outcome, this.id, commitToken), {
        commitToken,
        stepIndex: index,
      });
      if (written.kind === 'lost') {
        this.stats.discarded++;
        this.log.warn(
          { worker: this.id, taskId: task.taskId, step: index, reason: written.reason },
          'step result discarded',
        );
        this.emit({
          type: 'discarded',
          worker: this.id,
          taskId: task.taskId,
          step: index,
          reason: written.reason,
        });
        return;
      }
      this.stats.committed++;
      task = written.task;
      const kind = step?.kind ?? 'unknown';
      if (outcome.type === 'needs-approval') {
        this.log.info(
          {
            worker: this.id,
            taskId: task.taskId,
            step: index,
            kind,
            status: task.status,
            version: task.version,
          },
          `step ${index + 1}/${task.data.plan.length} paused: ${outcome.text}`,
        );
        this.emit({ type: 'paused', worker: this.id, task, step: index, text: outcome.text });
      } else {
        this.log.info(
          {
            worker: this.id,
            taskId: task.taskId,
            step: index,
            kind,
            ok: outcome.result.ok,
            status: task.status,
            version: task.version,
          },
          `step ${index + 1}/${task.data.plan.length} ${kind}: ${outcome.result.text}`,
        );
        this.emit({ type: 'committed', worker: this.id, task, step: index, kind, result: outcome.result });
      }
      if (task.status !== 'running') return;
    }
  }

  /** Hands a task back as pending so another worker picks it up without waiting for the lease. */
  private async release(lease: TaskLease, task: DemoTask): Promise<void> {
    const written = await lease.write({
      status: 'pending',
      data: { owner: null, heartbeatAt: null },
      appendItems: [
        demoItem(task.data.requestId, {
          type: 'released',
          step: task.data.nextStep,
          by: this.id,
          text: `${this.id} stopped; the task waits for another worker at step ${task.data.nextStep + 1}`,
        }),
      ],
    });
    if (written.kind === 'written') {
      this.log.info({ worker: this.id, taskId: task.taskId, version: written.task.version }, 'released task');
      this.emit({ type: 'released', worker: this.id, task: written.task });
    }
  }

  private emit(event: WorkerEvent): void {
    try {
      this.onEvent(event);
    } catch (error) {
      this.log.error({ worker: this.id, err: describeError(error) }, 'event listener failed');
    }
  }
}

/** A log-safe description of an error: code and message, never a stack. */
export function describeError(error: unknown): { code?: string; message: string } {
  if (isTaskStoreError(error)) return { code: error.code, message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}
