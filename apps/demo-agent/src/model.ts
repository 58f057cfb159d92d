/**
 * What the demo agent keeps in a task: the plan, where it stands, who works on it, and the
 * history items every step leaves behind. All of it is plain JSON inside `AgentTask.data` and
 * `AgentTask.items`, so every backend stores it alike.
 */
import type { AgentTask, JsonObject, JsonValue, TaskItem } from '@taskvault/core';

/** Tables the lookup step reads. */
export type LookupTable = 'population' | 'capital' | 'weather' | 'price';

/** Tools that act on the world, so each needs a person's approval first. */
export type ToolName = 'send_email' | 'place_order';

/** One step of a plan. Arguments may refer to earlier results as `$1`, `$2` (1-based step numbers). */
export type PlanStep =
  | { kind: 'lookup'; table: LookupTable; key: string }
  | { kind: 'calculate'; expression: string }
  | { kind: 'tool'; tool: ToolName; args: JsonObject }
  /**
   * The final answer. `unclear` holds a sentence for each part of the request the planner did not
   * understand or cannot do; the answer says them, so a partly understood request never reads
   * as fully answered.
   */
  | { kind: 'answer'; unclear?: string[] };

/** The approval gate of a tool step. */
export type Approval = {
  step: number;
  tool: ToolName;
  state: 'waiting' | 'approved' | 'rejected';
  decidedBy: string | null;
};

/**
 * `AgentTask.data` of a demo task.
 *
 * `nextStep` is the index of the first step not committed yet; `owner` and `heartbeatAt` form the
 * lease of the worker running it (null when nobody does). `lastCommit` is the token of the last
 * claim or step commit, so a worker whose reply was lost can tell whether its own write landed.
 */
export type DemoTaskData = {
  query: string;
  requestId: string;
  plan: PlanStep[];
  nextStep: number;
  owner: string | null;
  heartbeatAt: number | null;
  approval: Approval | null;
  answer: string | null;
  error: string | null;
  lastCommit: string | null;
  recoveries: number;
};

/** The content of each kind of item a demo task holds. Every one has a human-readable `text`. */
export type ItemContent =
  | { type: 'request'; text: string }
  | { type: 'plan'; text: string; steps: string[] }
  /** The one item a step's commit appends: counted to prove each step was committed exactly once. */
  | {
      type: 'step';
      step: number;
      kind: PlanStep['kind'];
      ok: boolean;
      text: string;
      output: JsonValue;
      worker: string;
    }
  | { type: 'approval-requested'; step: number; tool: ToolName; args: JsonObject; text: string }
  | { type: 'approval'; step: number; decision: 'approved' | 'rejected'; by: string | null; text: string }
  | { type: 'recovered'; step: number; from: string | null; by: string; text: string }
  | { type: 'released'; step: number; by: string; text: string }
  | { type: 'cancelled'; text: string };

/** A task whose data is a demo task's. */
export type DemoTask = AgentTask & { data: DemoTaskData };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True when `task` was written by this demo (its data has a plan and a step index). A namespace
 * may hold other applications' tasks; workers leave those alone.
 */
export function isDemoTask(task: AgentTask): task is DemoTask {
  const d = task.data as Record<string, unknown>;
  return (
    typeof d.query === 'string' &&
    typeof d.requestId === 'string' &&
    Array.isArray(d.plan) &&
    d.plan.every((s) => isObject(s) && typeof s.kind === 'string') &&
    typeof d.nextStep === 'number' &&
    Number.isInteger(d.nextStep) &&
    d.nextStep >= 0 &&
    (d.owner === null || typeof d.owner === 'string') &&
    (d.heartbeatAt === null || typeof d.heartbeatAt === 'number')
  );
}

/** The content of an item written by this demo, or null for anything else. */
export function itemContent(item: TaskItem): ItemContent | null {
  const c = item.content;
  return isObject(c) && typeof c.type === 'string' && typeof c.text === 'string'
    ? (c as unknown as ItemContent)
    : null;
}

/**
 * How many times each step was committed, counted from the task's `step` items: the number the
 * exactly-once tests check (every committed step must appear exactly once).
 */
export function stepCommitCounts(task: AgentTask): Map<number, number> {
  const counts = new Map<number, number>();
  for (const item of task.items) {
    const c = itemContent(item);
    if (c?.type === 'step') counts.set(c.step, (counts.get(c.step) ?? 0) + 1);
  }
  return counts;
}

/** A short description of a step, for plans, logs and the page. */
export function describeStep(step: PlanStep): string {
  switch (step.kind) {
    case 'lookup':
      return `lookup ${step.table} ${step.table === 'weather' ? 'in' : 'of'} ${step.key}`;
    case 'calculate':
      return `calculate ${step.expression}`;
    case 'tool':
      return `${step.tool}(${Object.entries(step.args)
        .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(', ')}) [needs approval]`;
    case 'answer':
      return step.unclear?.length ? 'answer, saying what was not understood' : 'answer';
  }
}

function roleOf(content: ItemContent): TaskItem['role'] {
  switch (content.type) {
    case 'request':
    case 'approval':
      return 'user';
    case 'plan':
    case 'approval-requested':
      return 'assistant';
    case 'step':
      return content.kind === 'answer' ? 'assistant' : 'tool';
    default:
      return 'system';
  }
}

/** An item of a demo task, answering the task's request. */
export function demoItem(requestId: string, content: ItemContent): TaskItem {
  return { requestId, role: roleOf(content), content, createdAt: new Date() };
}
