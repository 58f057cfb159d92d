/** The JSON shape of a task in HTTP responses and on the page. */
import type { AgentTask, JsonValue, TaskStatus } from '@taskvault/core';
import { type Approval, describeStep, isDemoTask, stepCommitCounts } from './model.js';

/** A task as the API returns it. Dates are ISO strings. */
export interface TaskView {
  taskId: string;
  requestId: string | null;
  status: TaskStatus;
  version: number;
  query: string | null;
  sessionId: string | null;
  userId: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  /** Each step with how many times its result was committed (1 once done, never more). */
  plan: Array<{ step: number; kind: string; description: string; commits: number }>;
  nextStep: number | null;
  owner: string | null;
  heartbeatAt: string | null;
  approval: Approval | null;
  answer: string | null;
  error: string | null;
  recoveries: number;
  items: Array<{ requestId: string; role: string; content: JsonValue; createdAt: string }>;
}

/** The view of any task; fields a non-demo task lacks are null. */
export function toView(task: AgentTask): TaskView {
  const demo = isDemoTask(task) ? task.data : null;
  const commits = stepCommitCounts(task);
  return {
    taskId: task.taskId,
    requestId: demo?.requestId ?? null,
    status: task.status,
    version: task.version,
    query: demo?.query ?? null,
    sessionId: task.sessionId,
    userId: task.userId,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    expiresAt: task.expiresAt === null ? null : task.expiresAt.toISOString(),
    plan: (demo?.plan ?? []).map((s, i) => ({
      step: i,
      kind: s.kind,
      description: describeStep(s),
      commits: commits.get(i) ?? 0,
    })),
    nextStep: demo?.nextStep ?? null,
    owner: demo?.owner ?? null,
    heartbeatAt: demo?.heartbeatAt == null ? null : new Date(demo.heartbeatAt).toISOString(),
    approval: demo?.approval ?? null,
    answer: demo?.answer ?? null,
    error: demo?.error ?? null,
    recoveries: demo?.recoveries ?? 0,
    items: task.items.map((item) => ({
      requestId: item.requestId,
      role: item.role,
      content: item.content,
      createdAt: item.createdAt.toISOString(),
    })),
  };
}
