/**
 * A task's exact serialized size (the UTF-8 bytes of `serializeTask(task)`, which is what
 * `maxTaskBytes` limits), kept with the row so a patch measures the patched task in O(change):
 * PostgreSQL cannot print jsonb as `JSON.stringify` does (spacing, number forms), so the size is
 * never re-derived from the stored values. The row keeps `bytes` (the whole task) and
 * `data_sizes` (`{ key: bytes of the member "key":value }`); a patch adds the change.
 *
 * The parts: a fixed frame of keys and punctuation, the scalar fields (as JSON), the items array
 * and the data object.
 */
import type { AgentTask, JsonObject } from '@taskvault/core';
import type { TaskReplacement } from '@taskvault/core/adapter';

/** UTF-8 bytes of `JSON.stringify(value)`. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * Bytes of the stored form's keys and punctuation: `{"taskId":,"status":,...,"version":}` without
 * any value. Worked out from an empty stored task (whose values print as 23 bytes).
 */
export const FRAME_BYTES =
  jsonBytes({
    taskId: '',
    status: '',
    sessionId: null,
    userId: null,
    items: [],
    data: {},
    createdAt: 0,
    updatedAt: 0,
    expiresAt: null,
    version: 0,
  }) - 23;

/** A data object as JSON text, with the bytes of each member (`"key":value`). */
export function dataWithSizes(data: JsonObject): { json: string; sizes: Record<string, number> } {
  const sizes: Record<string, number> = {};
  const members: string[] = [];
  for (const key of Object.keys(data)) {
    const member = `${JSON.stringify(key)}:${JSON.stringify(data[key])}`;
    sizes[key] = Buffer.byteLength(member);
    members.push(member);
  }
  return { json: `{${members.join(',')}}`, sizes };
}

/** Bytes of the scalar fields a replacement sets (all but createdAt, updatedAt and version). */
function replacedScalarBytes(
  r: Pick<TaskReplacement, 'taskId' | 'status' | 'sessionId' | 'userId' | 'expiresAt'>,
) {
  return (
    jsonBytes(r.taskId) +
    jsonBytes(r.status) +
    jsonBytes(r.sessionId) +
    jsonBytes(r.userId) +
    jsonBytes(r.expiresAt === null ? null : r.expiresAt.getTime())
  );
}

/**
 * The size of a task `update` writes, but for its createdAt and version digits (kept and
 * incremented on the server, which adds them): `updatedAt` is `now`.
 */
export function replacedBytes(
  r: TaskReplacement,
  nowMs: number,
  itemsJson: string,
  dataJson: string,
): number {
  return (
    FRAME_BYTES +
    replacedScalarBytes(r) +
    jsonBytes(nowMs) +
    Buffer.byteLength(itemsJson) +
    Buffer.byteLength(dataJson)
  );
}

/** The exact size of a task `create` writes. */
export function createdBytes(task: AgentTask, itemsJson: string, dataJson: string): number {
  return (
    FRAME_BYTES +
    replacedScalarBytes(task) +
    jsonBytes(task.createdAt.getTime()) +
    jsonBytes(task.updatedAt.getTime()) +
    jsonBytes(task.version) +
    Buffer.byteLength(itemsJson) +
    Buffer.byteLength(dataJson)
  );
}
