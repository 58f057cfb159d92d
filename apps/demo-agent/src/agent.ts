/**
 * What a person (or the HTTP API) asks of the agent: submit a request, approve or reject a paused
 * tool call by the request's id, cancel or delete a task. Every change is one compare-and-set
 * patch on the TaskStore, retried on a fresh read when a worker wrote in between.
 */
import { randomUUID } from 'node:crypto';
import { isTaskStoreError, type TaskStore } from '@taskvault/core';
import { idProblem, stringProblem } from '@taskvault/core/adapter';
import { type DemoTask, type DemoTaskData, demoItem, describeStep, isDemoTask } from './model.js';
import { planFor } from './planner.js';

/** Codes of the agent's own errors (the store's errors pass through unchanged). */
export type AgentErrorCode = 'INVALID_INPUT' | 'TASK_NOT_FOUND' | 'INVALID_STATE';

/** A request the agent refuses: bad input, an unknown task or request, or a task in the wrong state. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    /** The input field at fault, for INVALID_INPUT. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** What `submit` takes. */
export interface Submission {
  query: string;
  sessionId?: string | null;
  userId?: string | null;
}

/** Longest query accepted, in characters. */
export const MAX_QUERY_LENGTH = 2000;
const MAX_NAME_LENGTH = 200;
const RETRIES = 10;

function newId(prefix: string): string {
  return `${prefix}-${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

function checkOptionalId(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const problem = idProblem(value);
  if (problem !== null) throw new AgentError('INVALID_INPUT', `${field} ${problem}`, field);
  return value as string;
}

/** Checks a submission; names the field at fault. @throws AgentError INVALID_INPUT */
export function checkSubmission(input: unknown): {
  query: string;
  sessionId: string | null;
  userId: string | null;
} {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AgentError('INVALID_INPUT', 'the body must be a JSON object like {"query": "..."}', 'body');
  }
  const body = input as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (key !== 'query' && key !== 'sessionId' && key !== 'userId') {
      throw new AgentError(
        'INVALID_INPUT',
        `${key} is not a field of a submission (known: query, sessionId, userId)`,
        key,
      );
    }
  }
  if (typeof body.query !== 'string') {
    throw new AgentError('INVALID_INPUT', 'query must be a string', 'query');
  }
  const query = body.query.trim();
  if (query.length === 0) throw new AgentError('INVALID_INPUT', 'query must not be empty', 'query');
  if (query.length > MAX_QUERY_LENGTH) {
    throw new AgentError('INVALID_INPUT', `query must be at most ${MAX_QUERY_LENGTH} characters`, 'query');
  }
  const problem = stringProblem(query);
  if (problem !== null) throw new AgentError('INVALID_INPUT', `query ${problem}`, 'query');
  return {
    query,
    sessionId: checkOptionalId('sessionId', body.sessionId),
    userId: checkOptionalId('userId', body.userId),
  };
}

/** Checks the optional name of whoever approves or rejects. @throws AgentError INVALID_INPUT */
export function checkDecider(by: unknown): string | null {
  if (by === undefined || by === null) return null;
  if (typeof by !== 'string' || by.trim() === '' || by.length > MAX_NAME_LENGTH) {
    throw new AgentError(
      'INVALID_INPUT',
      `by must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
      'by',
    );
  }
  return by.trim();
}

/** The agent's operations on a TaskStore. */
export class DemoAgent {
  constructor(readonly store: TaskStore) {}

  /**
   * Plans `input.query` and stores the task as `pending`, with the request and the plan as its
   * first items; a worker picks it up. The task's `data.requestId` names the request.
   * @throws AgentError INVALID_INPUT; TaskStoreError from the store.
   */
  async submit(input: Submission): Promise<DemoTask> {
    const { query, sessionId, userId } = checkSubmission(input);
    const plan = planFor(query);
    for (let attempt = 1; ; attempt++) {
      const requestId = newId('req');
      const data: DemoTaskData = {
        query,
        requestId,
        plan,
        nextStep: 0,
        owner: null,
        heartbeatAt: null,
        approval: null,
        answer: null,
        error: null,
        lastCommit: null,
        recoveries: 0,
      };
      const steps = plan.map((s, i) => `${i + 1}. ${describeStep(s)}`);
      try {
        const task = await this.store.create({
          taskId: newId('task'),
          status: 'pending',
          sessionId,
          userId,
          data,
          items: [
            demoItem(requestId, { type: 'request', text: query }),
            demoItem(requestId, { type: 'plan', text: `plan: ${steps.join('; ')}`, steps }),
          ],
        });
        return task as DemoTask;
      } catch (error) {
        // A random id collided: take another (the store changed nothing).
        if (isTaskStoreError(error, 'TASK_EXISTS') && attempt < 3) continue;
        throw error;
      }
    }
  }

  /** The task. @throws AgentError TASK_NOT_FOUND */
  async get(taskId: string): Promise<DemoTask> {
    const task = await this.store.load(taskId);
    if (task === null || !isDemoTask(task)) {
      throw new AgentError('TASK_NOT_FOUND', `task ${JSON.stringify(taskId)} does not exist`);
    }
    return task;
  }

  /** The task holding request `requestId` (`loadByRequestId`). @throws AgentError TASK_NOT_FOUND */
  async byRequest(requestId: string): Promise<DemoTask> {
    const task = await this.store.loadByRequestId(requestId);
    if (task === null || !isDemoTask(task)) {
      throw new AgentError('TASK_NOT_FOUND', `no task holds request ${JSON.stringify(requestId)}`);
    }
    return task;
  }

  /**
   * Approves the tool call the task of `requestId` is paused on; the task goes back to `pending`
   * and a worker runs the tool. @throws AgentError TASK_NOT_FOUND, INVALID_STATE (not paused).
   */
  approve(requestId: string, by?: string | null): Promise<DemoTask> {
    return this.decide(requestId, 'approved', checkDecider(by));
  }

  /**
   * Rejects the paused tool call; the task resumes, records that the tool did not run, and answers.
   * @throws AgentError TASK_NOT_FOUND, INVALID_STATE (not paused).
   */
  reject(requestId: string, by?: string | null): Promise<DemoTask> {
    return this.decide(requestId, 'rejected', checkDecider(by));
  }

  private async decide(
    requestId: string,
    decision: 'approved' | 'rejected',
    by: string | null,
  ): Promise<DemoTask> {
    for (let attempt = 1; ; attempt++) {
      const task = await this.byRequest(requestId);
      const approval = task.data.approval;
      if (task.status !== 'paused' || approval === null || approval.state !== 'waiting') {
        throw new AgentError(
          'INVALID_STATE',
          `task ${JSON.stringify(task.taskId)} is ${task.status}, not paused for approval; nothing to ${decision === 'approved' ? 'approve' : 'reject'}`,
        );
      }
      try {
        const written = await this.store.patch(
          task.taskId,
          {
            status: 'pending',
            data: { approval: { ...approval, state: decision, decidedBy: by } },
            appendItems: [
              demoItem(requestId, {
                type: 'approval',
                step: approval.step,
                decision,
                by,
                text: `${by ?? 'someone'} ${decision} ${approval.tool}`,
              }),
            ],
          },
          { expectedVersion: task.version },
        );
        return written as DemoTask;
      } catch (error) {
        if (isTaskStoreError(error, 'VERSION_CONFLICT') && attempt < RETRIES) continue;
        throw error;
      }
    }
  }

  /**
   * Cancels an active task. A worker running it notices at its next write (its version check
   * fails) and throws its step result away. @throws AgentError TASK_NOT_FOUND, INVALID_STATE
   * (already ended).
   */
  async cancel(taskId: string, by?: string | null): Promise<DemoTask> {
    const who = checkDecider(by);
    for (let attempt = 1; ; attempt++) {
      const task = await this.get(taskId);
      if (task.status === 'completed' || task.status === 'failed' || task.status === 'cancelled') {
        throw new AgentError(
          'INVALID_STATE',
          `task ${JSON.stringify(taskId)} already ended (${task.status})`,
        );
      }
      try {
        const written = await this.store.patch(
          taskId,
          {
            status: 'cancelled',
            data: { owner: null, heartbeatAt: null },
            appendItems: [
              demoItem(task.data.requestId, {
                type: 'cancelled',
                text: `${who ?? 'someone'} cancelled the task at step ${task.data.nextStep + 1} (${task.status})`,
              }),
            ],
          },
          { expectedVersion: task.version },
        );
        return written as DemoTask;
      } catch (error) {
        if (isTaskStoreError(error, 'VERSION_CONFLICT') && attempt < RETRIES) continue;
        throw error;
      }
    }
  }

  /** Deletes the task. @throws TaskStoreError TASK_NOT_FOUND */
  async remove(taskId: string): Promise<void> {
    await this.store.delete(taskId);
  }
}
