/** What the scripts reply, read the same way by every part of the store. */
import { type TaskStoreOperation, taskStoreError } from '@taskvault/core/adapter';
import { refusal } from './driver-errors.js';

/** A record a script or the parser found unreadable. */
export class CorruptFound extends Error {
  constructor(
    readonly taskId: string,
    readonly version: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** The status word of a script reply (`OK`, `EXISTS` ...) and its fields. */
export function replyOf(reply: unknown): [string, unknown[]] {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') return ['UNEXPECTED', []];
  return [reply[0], reply.slice(1)];
}

/** An error for a reply no script gives (a bug, or another version's script). */
export function unexpected(script: string, reply: unknown): Error {
  return new Error(`unexpected reply from ${script}: ${JSON.stringify(reply)?.slice(0, 100)}`);
}

/**
 * The error of a reply every per-task script may give: TASK_NOT_FOUND, VERSION_CONFLICT (with the
 * stored version), a CorruptFound, a refusal, or {@link unexpected} for any other.
 */
export function scriptFailure(
  operation: TaskStoreOperation,
  taskId: string,
  status: string,
  rest: unknown[],
  reply: unknown,
  expectedVersion?: number | null,
): Error {
  switch (status) {
    case 'NOT_FOUND':
      return taskStoreError(operation, 'TASK_NOT_FOUND', { taskId });
    case 'CONFLICT':
      return taskStoreError(operation, 'VERSION_CONFLICT', {
        taskId,
        expectedVersion: expectedVersion ?? undefined,
        actualVersion: Number(rest[0]),
      });
    case 'CORRUPT':
      return new CorruptFound(taskId, String(rest[0] ?? ''), 'its fields are missing or malformed');
    case 'REFUSED':
      return refusal(String(rest[0]), String(rest[1]));
    default:
      return unexpected(operation, reply);
  }
}
