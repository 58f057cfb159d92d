/**
 * The backend-independent half of `restore`: checking each task exactly as it will be stored
 * (every field given, nothing defaulted), checking the options, and cutting any iterable — sync
 * or async, of any length — into bounded batches. Writing a batch is the adapter's
 * `restoreTasks` hook.
 */
import { type ByteCounter, copyJsonObject } from './json-copy.js';
import { taskHeadSize } from './size.js';
import type { AgentTask, RestoreConflict, RestoreOptions, RestoreReport } from './task.js';
import {
  checkDate,
  checkId,
  checkKnownKeys,
  checkNullableId,
  checkObject,
  checkStatus,
  checkVersion,
  copyItems,
  invalidInput,
  TASK_KEYS,
  type ValidationLimits,
  withJsonProblems,
} from './validate.js';

/** Default tasks per `restore` step. */
export const DEFAULT_RESTORE_BATCH = 100;
/** Largest tasks per `restore` step. */
export const MAX_RESTORE_BATCH = 1000;

/** A checked task to restore, with its exact stored size. */
export interface RestoredTask {
  task: AgentTask;
  bytes: number;
}

/**
 * Checks and copies one task given to `restore`: every field of an `AgentTask` must be there
 * (`createdAt`, `updatedAt`, `version` and `expiresAt` are kept as given; `expiresAt` may have
 * passed). Paths start at `tasks[<index>]`, the task's position in what was passed.
 * @throws TaskCreateError INVALID_INPUT (operation `restore`)
 */
export function validateRestoredTask(input: unknown, index: number, limits: ValidationLimits): RestoredTask {
  const op = 'restore';
  const at = `tasks[${index}]`;
  const t = checkObject(op, at, input);
  const taskId = checkId(op, `${at}.taskId`, t.taskId);
  checkKnownKeys(op, at, t, TASK_KEYS);
  const counter: ByteCounter = { bytes: 0 };
  const task: AgentTask = withJsonProblems(op, taskId, () => ({
    taskId,
    status: checkStatus(op, `${at}.status`, t.status),
    sessionId: checkNullableId(op, `${at}.sessionId`, t.sessionId),
    userId: checkNullableId(op, `${at}.userId`, t.userId),
    items: copyItems(op, `${at}.items`, t.items, counter),
    data: copyJsonObject(t.data, `${at}.data`, counter),
    createdAt: checkDate(op, `${at}.createdAt`, t.createdAt),
    updatedAt: checkDate(op, `${at}.updatedAt`, t.updatedAt),
    expiresAt: t.expiresAt === null ? null : checkDate(op, `${at}.expiresAt`, t.expiresAt),
    version: checkVersion(op, `${at}.version`, t.version, taskId),
  }));
  const bytes = counter.bytes + taskHeadSize(task);
  if (bytes > limits.maxTaskBytes) {
    invalidInput(
      op,
      at,
      `serialized size ${bytes} bytes exceeds maxTaskBytes ${limits.maxTaskBytes}; move large blobs out of the task`,
      taskId,
    );
  }
  return { task, bytes };
}

/** Checked `restore` options. */
export interface NormalizedRestoreOptions {
  onConflict: RestoreConflict;
  batchSize: number;
  onProgress: ((progress: RestoreReport) => void) | undefined;
}

/** Checks the options of `restore`. @throws TaskCreateError INVALID_INPUT */
export function validateRestoreOptions(input: unknown): NormalizedRestoreOptions {
  const op = 'restore';
  if (input === undefined)
    return { onConflict: 'fail', batchSize: DEFAULT_RESTORE_BATCH, onProgress: undefined };
  const o = checkObject(op, 'options', input) as RestoreOptions & Record<string, unknown>;
  checkKnownKeys(op, 'options', o, ['onConflict', 'batchSize', 'onProgress']);
  const onConflict = o.onConflict ?? 'fail';
  if (onConflict !== 'skip' && onConflict !== 'fail' && onConflict !== 'replace') {
    invalidInput(op, 'options.onConflict', "must be 'skip', 'fail' or 'replace'");
  }
  const batchSize = o.batchSize ?? DEFAULT_RESTORE_BATCH;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_RESTORE_BATCH) {
    invalidInput(op, 'options.batchSize', `must be an integer from 1 to ${MAX_RESTORE_BATCH}`);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    invalidInput(op, 'options.onProgress', 'must be a function');
  }
  return { onConflict, batchSize, onProgress: o.onProgress };
}

/**
 * Cuts `tasks` into batches of at most `size`, with each task's index in the whole input (for
 * error paths). Works on arrays, generators and async iterables alike, holding one batch at a time.
 */
export async function* batchesOf<T>(
  tasks: Iterable<T> | AsyncIterable<T>,
  size: number,
): AsyncGenerator<{ first: number; items: T[] }> {
  let batch: T[] = [];
  let first = 0;
  let index = 0;
  for await (const task of tasks) {
    batch.push(task);
    index++;
    if (batch.length === size) {
      yield { first, items: batch };
      batch = [];
      first = index;
    }
  }
  if (batch.length > 0) yield { first, items: batch };
}
