/** Small builders and helpers the cases share. */
import { randomBytes } from 'node:crypto';
import type { AgentTask, NewTask, TaskItem, TaskItemRole } from '@taskvault/core';

let sequence = 0;

/**
 * An id no other test, worker or concurrent run of the suite uses: a readable prefix, a counter
 * and random bytes. Safe as a taskId, requestId, sessionId, userId or namespace.
 */
export function uniqueId(prefix = 'id'): string {
  sequence += 1;
  return `${prefix}-${sequence.toString(36)}-${randomBytes(5).toString('hex')}`;
}

/** A task item answering `requestId`. */
export function item(
  requestId: string,
  content: TaskItem['content'] = `content of ${requestId}`,
  role: TaskItemRole = 'user',
  createdAt: Date = new Date(),
): TaskItem {
  return { requestId, role, content, createdAt };
}

/** A NewTask with a unique id and some data; `overrides` win. */
export function newTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    taskId: uniqueId('task'),
    status: 'pending',
    sessionId: null,
    userId: null,
    items: [item(uniqueId('req'))],
    data: { query: 'find the weather in Paris', maxSteps: 10, nested: { a: 1, b: [true, null, 'x'] } },
    ...overrides,
  };
}

/** `count` instants `stepMs` apart, oldest first, starting at a fixed past time (explicit createdAt). */
export function instants(count: number, stepMs = 1000, start = Date.UTC(2024, 0, 1)): Date[] {
  return Array.from({ length: count }, (_, i) => new Date(start + i * stepMs));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Waits until `instant` plus a margin has passed (expiry tests). */
export async function sleepPast(instant: Date, marginMs = 120): Promise<void> {
  await sleep(instant.getTime() + marginMs - Date.now());
}

/** A structured copy of a task, to compare a stored task before and after something. */
export function snapshot(task: AgentTask | null): AgentTask | null {
  return task === null ? null : structuredClone(task);
}

/** The task ids of a list of tasks. */
export function ids(tasks: readonly { taskId: string }[]): string[] {
  return tasks.map((t) => t.taskId);
}

/** Sorts (createdAt, taskId) pairs the way every store lists them, by code point for ids. */
export function byCreatedThenId(a: AgentTask, b: AgentTask): number {
  const d = a.createdAt.getTime() - b.createdAt.getTime();
  if (d !== 0) return d;
  return a.taskId === b.taskId ? 0 : codePoints(a.taskId) < codePoints(b.taskId) ? -1 : 1;
}

/** A string whose UTF-16 order is the code point order of `s` (for reference sorting). */
function codePoints(s: string): string {
  return Array.from(s, (ch) => ch.codePointAt(0)!.toString(16).padStart(6, '0')).join('');
}
