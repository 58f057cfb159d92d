/**
 * A worker's hold on one running task. Every write goes through `write`, a compare-and-set on the
 * version the worker last saw, so a worker that lost the task (cancelled, deleted, or taken over
 * after its heartbeat lapsed) can never write to it again.
 */
import { isTaskStoreError, type TaskPatch, type TaskStore } from '@taskvault/core';
import { type DemoTask, isDemoTask } from './model.js';

/** The result of a write under the lease. */
export type LeaseWrite = { kind: 'written'; task: DemoTask } | { kind: 'lost'; reason: string };

/** Options of a lease. */
export interface LeaseOptions {
  /** How long a lease lasts without a heartbeat. Heartbeats go out every third of it. */
  leaseMs: number;
  /** Called when a heartbeat fails for a reason other than losing the lease. */
  onHeartbeatError?: (error: unknown) => void;
}

const RELOAD_RETRY_MS = 200;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Holds a running task for one worker: compare-and-set writes and a heartbeat. */
export class TaskLease {
  /** The version of the task as this lease last wrote or read it. */
  version: number;
  /** Why the lease was lost, or null while it holds. */
  lost: string | null = null;
  readonly taskId: string;

  constructor(
    private readonly store: TaskStore,
    readonly workerId: string,
    task: DemoTask,
    private readonly options: LeaseOptions,
  ) {
    this.taskId = task.taskId;
    this.version = task.version;
  }

  /**
   * Applies `changes` if the task is still at `this.version`. On a conflict or an unanswered
   * write it reads the task back and decides: the write carrying `commitToken` already landed
   * (its reply was lost) -> written; the task is still ours and still at `stepIndex` -> retry with
   * the new version; anything else (cancelled, deleted, taken over) -> lost. It never applies a
   * write on top of someone else's, so a step can only be committed once.
   * @throws TaskStoreError codes other than VERSION_CONFLICT, TASK_NOT_FOUND and BACKEND_UNAVAILABLE.
   */
  async write(
    changes: TaskPatch,
    check: { commitToken?: string; stepIndex?: number } = {},
  ): Promise<LeaseWrite> {
    if (this.lost !== null) return { kind: 'lost', reason: this.lost };
    const giveUpAt = Date.now() + this.options.leaseMs;
    for (;;) {
      try {
        const task = await this.store.patch(this.taskId, changes, { expectedVersion: this.version });
        this.version = task.version;
        if (!isDemoTask(task)) return this.lose('the task no longer holds a demo plan');
        return { kind: 'written', task };
      } catch (error) {
        if (!isTaskStoreError(error)) throw error;
        if (error.code === 'TASK_NOT_FOUND') return this.lose('the task was deleted');
        if (error.code !== 'VERSION_CONFLICT' && error.code !== 'BACKEND_UNAVAILABLE') throw error;
      }
      const current = await this.readBack(giveUpAt);
      if (current === 'unreachable') return this.lose('the store did not answer; the lease will lapse');
      if (current === null) return this.lose('the task was deleted');
      if (check.commitToken !== undefined && current.data.lastCommit === check.commitToken) {
        this.version = current.version;
        return { kind: 'written', task: current };
      }
      if (current.status !== 'running') return this.lose(`the task is ${current.status} now`);
      if (current.data.owner !== this.workerId) {
        return this.lose(`the task was taken over by ${current.data.owner ?? 'nobody'}`);
      }
      if (check.stepIndex !== undefined && current.data.nextStep !== check.stepIndex) {
        return this.lose(`the task moved on to step ${current.data.nextStep}`);
      }
      // Still ours: the conflict was an earlier write of ours whose reply was lost. Retry on top.
      this.version = current.version;
      if (Date.now() > giveUpAt) return this.lose('could not write before the lease lapsed');
    }
  }

  /** Refreshes `heartbeatAt`; marks the lease lost when the task is no longer ours. */
  async heartbeat(): Promise<void> {
    if (this.lost !== null) return;
    try {
      await this.write({ data: { heartbeatAt: Date.now() } });
    } catch (error) {
      this.options.onHeartbeatError?.(error);
    }
  }

  /** Runs `fn` while heartbeats keep the lease alive; waits for the last heartbeat before returning. */
  async whileHeld<T>(fn: () => Promise<T>): Promise<T> {
    let inflight: Promise<void> = Promise.resolve();
    const timer = setInterval(
      () => {
        inflight = inflight.then(() => this.heartbeat());
      },
      Math.max(10, Math.floor(this.options.leaseMs / 3)),
    );
    try {
      return await fn();
    } finally {
      clearInterval(timer);
      await inflight;
    }
  }

  private lose(reason: string): LeaseWrite {
    this.lost = reason;
    return { kind: 'lost', reason };
  }

  /** The task as stored, retrying while the store is unreachable, until `giveUpAt`. */
  private async readBack(giveUpAt: number): Promise<DemoTask | null | 'unreachable'> {
    for (;;) {
      try {
        const task = await this.store.load(this.taskId);
        return task === null || !isDemoTask(task) ? null : task;
      } catch (error) {
        if (!isTaskStoreError(error, 'BACKEND_UNAVAILABLE')) throw error;
        if (Date.now() > giveUpAt) return 'unreachable';
        await sleep(RELOAD_RETRY_MS);
      }
    }
  }
}
