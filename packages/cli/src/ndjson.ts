/**
 * The NDJSON form of a task: one JSON object per line, the fields of `AgentTask` with every Date
 * as an ISO-8601 string (`2025-01-15T09:30:00.000Z`). Only the fields that are Dates in the model
 * are read back as Dates, so an ISO-looking string inside `data` or `content` stays a string.
 */
import { createHash } from 'node:crypto';
import type { AgentTask, JsonObject, JsonValue } from '@taskvault/core';

/** A task as plain JSON: the model's fields in order, every Date an ISO-8601 string. */
function taskJson(task: AgentTask): JsonObject {
  return {
    taskId: task.taskId,
    status: task.status,
    sessionId: task.sessionId,
    userId: task.userId,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    expiresAt: task.expiresAt === null ? null : task.expiresAt.toISOString(),
    version: task.version,
    data: task.data,
    items: task.items.map((item) => ({
      requestId: item.requestId,
      role: item.role,
      createdAt: item.createdAt.toISOString(),
      content: item.content,
    })),
  };
}

/** One task as one line (without the newline). Keys in the model's order. */
export function taskToLine(task: AgentTask): string {
  return JSON.stringify(taskJson(task));
}

/** Why a line is not a task, and where (`items[2].createdAt`; empty for the line as a whole). */
export class LineProblem extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(path === '' ? detail : `${path}: ${detail}`);
  }
}

const ISO = /^[+-]?\d{4,6}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function dateAt(path: string, value: unknown): Date | unknown {
  // Anything that is not an ISO string is handed on as it is: restore names what is wrong.
  if (typeof value !== 'string') return value;
  const ms = ISO.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new LineProblem(path, `${JSON.stringify(value)} is not an ISO-8601 date`);
  return new Date(ms);
}

/**
 * The task a line holds, with its Dates revived. Shapes are checked by `restore` itself (which
 * names the field); this only reads JSON and dates.
 * @throws LineProblem for text that is not a JSON object or a date field that is not ISO-8601.
 */
export function lineToTask(line: string): AgentTask {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new LineProblem('', `not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new LineProblem('', 'must be a JSON object (one task)');
  }
  const t = parsed as Record<string, unknown>;
  t.createdAt = dateAt('createdAt', t.createdAt);
  t.updatedAt = dateAt('updatedAt', t.updatedAt);
  if (t.expiresAt !== null) t.expiresAt = dateAt('expiresAt', t.expiresAt);
  if (Array.isArray(t.items)) {
    t.items.forEach((item: unknown, i) => {
      if (typeof item === 'object' && item !== null) {
        const it = item as Record<string, unknown>;
        it.createdAt = dateAt(`items[${i}].createdAt`, it.createdAt);
      }
    });
  }
  return t as unknown as AgentTask;
}

/**
 * JSON with object keys sorted at every level: the same text for deep-equal tasks whatever
 * order a backend returns keys in (PostgreSQL's jsonb reorders them).
 */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

/** SHA-256 (hex) of a task's canonical JSON: equal exactly when the tasks are deep-equal. */
export function taskChecksum(task: AgentTask): string {
  return createHash('sha256')
    .update(canonicalJson(taskJson(task)))
    .digest('hex');
}
