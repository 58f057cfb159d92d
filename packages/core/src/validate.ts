/**
 * Checks and copies what callers pass to a store, so every backend accepts and rejects exactly
 * the same input. Every rejection is an INVALID_INPUT error naming the offending path.
 */
import { type TaskStoreOperation, taskStoreError } from './errors.js';
import { describeType, idProblem } from './ids.js';
import {
  type ByteCounter,
  copyJson,
  copyJsonObject,
  isPlainObject,
  JsonProblem,
  locate,
} from './json-copy.js';
import { hasOwnKey } from './own-key.js';
import { headSize, ITEM_FRAME_BYTES, memberSize, numberSize, stringSize, taskHeadSize } from './size.js';
import {
  type AgentTask,
  isTaskStatus,
  type JsonObject,
  TASK_ITEM_ROLES,
  TASK_STATUSES,
  type TaskItem,
  type TaskStatus,
} from './task.js';

/** Latest instant accepted in any date field: the end of year 9999, so ISO strings stay 4-digit. */
export const MAX_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Earliest instant accepted: 0000-01-01T00:00:00Z (spelled out: Date.UTC reads years 0-99 as 1900+). */
export const MIN_DATE_MS = -62_167_219_200_000;

/** Throws the INVALID_INPUT error of `operation` for `path`. */
export function invalidInput(
  operation: TaskStoreOperation,
  path: string,
  detail: string,
  taskId?: string,
): never {
  throw taskStoreError(operation, 'INVALID_INPUT', { path, detail, taskId });
}

/** Runs `fn`, turning a `JsonProblem` into the INVALID_INPUT error of `operation`. */
export function withJsonProblems<T>(
  operation: TaskStoreOperation,
  taskId: string | undefined,
  fn: () => T,
): T {
  try {
    return fn();
  } catch (error) {
    throw asInvalidInput(operation, taskId, error);
  }
}

/**
 * The INVALID_INPUT error of `operation` for a `JsonProblem`, or `error` itself: what
 * {@link withJsonProblems} throws, for the hot paths that catch inline rather than pay a closure.
 */
function asInvalidInput(operation: TaskStoreOperation, taskId: string | undefined, error: unknown): unknown {
  if (!(error instanceof JsonProblem)) return error;
  return taskStoreError(operation, 'INVALID_INPUT', { path: error.path, detail: error.detail, taskId });
}

/** Checks an id (taskId, requestId, sessionId, userId). */
export function checkId(operation: TaskStoreOperation, path: string, value: unknown): string {
  const problem = idProblem(value);
  if (problem !== null) invalidInput(operation, path, problem);
  return value as string;
}

export function checkNullableId(operation: TaskStoreOperation, path: string, value: unknown): string | null {
  return value === null ? null : checkId(operation, path, value);
}

/** Checks a Date field and copies it. */
export function checkDate(operation: TaskStoreOperation, path: string, value: unknown): Date {
  const ms = dateMs(value);
  if (typeof ms === 'string') invalidInput(operation, path, ms);
  return new Date(ms);
}

/** The epoch ms of an acceptable Date, or why it is not one (so callers build a path only then). */
function dateMs(value: unknown): number | string {
  if (!(value instanceof Date)) return `must be a Date, got ${describeType(value)}`;
  const ms = value.getTime();
  if (Number.isNaN(ms)) return 'is an invalid Date';
  if (ms < MIN_DATE_MS || ms > MAX_DATE_MS) return 'must be between year 0 and 9999';
  return ms;
}

export function checkStatus(operation: TaskStoreOperation, path: string, value: unknown): TaskStatus {
  if (!isTaskStatus(value)) {
    invalidInput(
      operation,
      path,
      `must be one of ${TASK_STATUSES.join(', ')}, got ${JSON.stringify(value) ?? describeType(value)}`,
    );
  }
  return value;
}

export function checkKnownKeys(
  operation: TaskStoreOperation,
  path: string,
  value: object,
  known: readonly string[],
): void {
  const key = unknownKey(value, known);
  if (key !== null) invalidInput(operation, path ? `${path}.${key}` : key, unknownKeyDetail(known));
}

/** The first key of `value` that is not in `known` and not undefined, or null. */
function unknownKey(value: object, known: readonly string[]): string | null {
  // for-in with the own-key test: Object.keys' keys in its order, without an array per call
  for (const key in value) {
    if (!hasOwnKey(value, key)) continue;
    if (!known.includes(key) && (value as Record<string, unknown>)[key] !== undefined) return key;
  }
  return null;
}

function unknownKeyDetail(known: readonly string[]): string {
  return `is not a field of this object (known: ${known.join(', ')})`;
}

export function checkObject(
  operation: TaskStoreOperation,
  path: string,
  value: unknown,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalidInput(operation, path, `must be an object, got ${describeType(value)}`);
  }
  return value as Record<string, unknown>;
}

function checkFutureExpiry(
  operation: TaskStoreOperation,
  path: string,
  value: unknown,
  now: number,
): Date | null {
  if (value === null) return null;
  const date = checkDate(operation, path, value);
  if (date.getTime() <= now) invalidInput(operation, path, 'is not in the future; delete the task instead');
  return date;
}

const ITEM_KEYS = ['requestId', 'role', 'content', 'createdAt'] as const;

export function copyItems(
  operation: TaskStoreOperation,
  path: string,
  value: unknown,
  counter: ByteCounter,
): TaskItem[] {
  if (!Array.isArray(value)) invalidInput(operation, path, `must be an array, got ${describeType(value)}`);
  const out: TaskItem[] = new Array(value.length);
  // Paths (`items[3].createdAt`) are spelled out only for a rejection: this loop runs for every
  // item of every write, and building them up front was a measurable share of its cost.
  for (let i = 0; i < value.length; i++) {
    const item = value[i] as Record<string, unknown>;
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      checkObject(operation, `${path}[${i}]`, item);
    const unknown = unknownKey(item, ITEM_KEYS);
    if (unknown !== null) invalidInput(operation, `${path}[${i}].${unknown}`, unknownKeyDetail(ITEM_KEYS));
    const role = item.role;
    if (!(TASK_ITEM_ROLES as readonly unknown[]).includes(role)) {
      invalidInput(operation, `${path}[${i}].role`, `must be one of ${TASK_ITEM_ROLES.join(', ')}`);
    }
    const requestId = item.requestId;
    const idIssue = idProblem(requestId);
    if (idIssue !== null) invalidInput(operation, `${path}[${i}].requestId`, idIssue);
    let content: TaskItem['content'];
    try {
      content = copyJson(item.content, counter);
    } catch (error) {
      throw locate(error, `${path}[${i}].content`);
    }
    const createdAt = dateMs(item.createdAt);
    if (typeof createdAt === 'string') invalidInput(operation, `${path}[${i}].createdAt`, createdAt);
    out[i] = {
      requestId: requestId as string,
      role: role as TaskItem['role'],
      content,
      createdAt: new Date(createdAt),
    };
    counter.bytes +=
      ITEM_FRAME_BYTES +
      stringSize(requestId as string) +
      (role as string).length +
      2 +
      numberSize(createdAt);
  }
  // A comma between each two items.
  if (out.length > 0) counter.bytes += out.length - 1;
  return out;
}

/** Limits a store applies while validating. */
export interface ValidationLimits {
  /** Largest serialized task accepted, in bytes. */
  maxTaskBytes: number;
}

export function checkSize(
  operation: TaskStoreOperation,
  taskId: string,
  bytes: number,
  limits: ValidationLimits,
): void {
  if (bytes > limits.maxTaskBytes) {
    invalidInput(
      operation,
      'task',
      `serialized size ${bytes} bytes exceeds maxTaskBytes ${limits.maxTaskBytes}; move large blobs out of the task`,
      taskId,
    );
  }
}

const NEW_TASK_KEYS = [
  'taskId',
  'status',
  'sessionId',
  'userId',
  'items',
  'data',
  'createdAt',
  'ttlMs',
  'expiresAt',
];

/**
 * Checks and copies the input of `create`. Fills defaults: status `pending`, no session or
 * user, no items, empty data, createdAt = now, expiry from `expiresAt`, `ttlMs`, or the
 * store's default TTL (in that order; `expiresAt: null` means "never", overriding the default).
 */
export function validateNewTask(
  input: unknown,
  now: Date,
  defaultTtlMs: number | null,
  limits: ValidationLimits,
): { task: AgentTask; bytes: number } {
  const op = 'create';
  const t = checkObject(op, 'task', input);
  const taskId = checkId(op, 'taskId', t.taskId);
  checkKnownKeys(op, '', t, NEW_TASK_KEYS);
  if (t.ttlMs !== undefined && t.expiresAt !== undefined) {
    invalidInput(op, 'ttlMs', 'give either ttlMs or expiresAt, not both', taskId);
  }
  let expiresAt: Date | null = defaultTtlMs === null ? null : new Date(now.getTime() + defaultTtlMs);
  if (t.ttlMs !== undefined) {
    if (typeof t.ttlMs !== 'number' || !Number.isFinite(t.ttlMs) || t.ttlMs <= 0) {
      invalidInput(op, 'ttlMs', 'must be a positive number of milliseconds', taskId);
    }
    const at = now.getTime() + Math.ceil(t.ttlMs);
    if (at > MAX_DATE_MS) invalidInput(op, 'ttlMs', 'lands past the end of year 9999', taskId);
    expiresAt = new Date(at);
  }
  if (t.expiresAt !== undefined) expiresAt = checkFutureExpiry(op, 'expiresAt', t.expiresAt, now.getTime());
  const counter: ByteCounter = { bytes: 0 };
  let task: AgentTask;
  // caught here rather than through withJsonProblems: no closure on every create
  try {
    task = {
      taskId,
      status: t.status === undefined ? 'pending' : checkStatus(op, 'status', t.status),
      sessionId: t.sessionId === undefined ? null : checkNullableId(op, 'sessionId', t.sessionId),
      userId: t.userId === undefined ? null : checkNullableId(op, 'userId', t.userId),
      items: t.items === undefined ? [] : copyItems(op, 'items', t.items, counter),
      data: t.data === undefined ? emptyData(counter) : copyJsonObject(t.data, 'data', counter),
      createdAt:
        t.createdAt === undefined ? new Date(now.getTime()) : checkDate(op, 'createdAt', t.createdAt),
      updatedAt: new Date(now.getTime()),
      expiresAt,
      version: 1,
    };
  } catch (error) {
    throw asInvalidInput(op, taskId, error);
  }
  const bytes = counter.bytes + taskHeadSize(task);
  checkSize(op, taskId, bytes, limits);
  return { task, bytes };
}

/** The default `data`, `{}`: two bytes as stored. */
function emptyData(counter: ByteCounter): JsonObject {
  counter.bytes += 2;
  return {};
}

/** The fields `update` replaces, checked and copied. */
export interface TaskReplacement {
  taskId: string;
  status: TaskStatus;
  sessionId: string | null;
  userId: string | null;
  items: TaskItem[];
  data: JsonObject;
  expiresAt: Date | null;
}

export const TASK_KEYS = [
  'taskId',
  'status',
  'sessionId',
  'userId',
  'items',
  'data',
  'createdAt',
  'updatedAt',
  'expiresAt',
  'version',
];

/** Checks a version number given by a caller. */
export function checkVersion(
  operation: TaskStoreOperation,
  path: string,
  value: unknown,
  taskId?: string,
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    invalidInput(
      operation,
      path,
      `must be a positive integer, got ${JSON.stringify(value) ?? describeType(value)}`,
      taskId,
    );
  }
  return value;
}

/**
 * Checks and copies the task given to `update`. Every field SPEC says `update` replaces must be
 * present; `createdAt` and `updatedAt` are ignored (the store keeps its own).
 */
export function validateReplacement(
  input: unknown,
  now: Date,
  limits: ValidationLimits,
): { replacement: TaskReplacement; version: number; bytes: number } {
  const op = 'update';
  const t = checkObject(op, 'task', input);
  const taskId = checkId(op, 'taskId', t.taskId);
  checkKnownKeys(op, '', t, TASK_KEYS);
  const version = checkVersion(op, 'version', t.version, taskId);
  const counter: ByteCounter = { bytes: 0 };
  let replacement: TaskReplacement;
  // caught here rather than through withJsonProblems: no closure on every update
  try {
    replacement = {
      taskId,
      status: checkStatus(op, 'status', t.status),
      sessionId: checkNullableId(op, 'sessionId', t.sessionId),
      userId: checkNullableId(op, 'userId', t.userId),
      items: copyItems(op, 'items', t.items, counter),
      data: copyJsonObject(t.data, 'data', counter),
      expiresAt:
        t.expiresAt === undefined
          ? invalidInput(op, 'expiresAt', 'must be a Date or null', taskId)
          : checkFutureExpiry(op, 'expiresAt', t.expiresAt, now.getTime()),
    };
  } catch (error) {
    throw asInvalidInput(op, taskId, error);
  }
  // The stored task keeps its createdAt and gets version + 1: counted with the createdAt and
  // version the caller holds, which are the stored ones unless the update is forced. Counted from
  // the fields, not from a task built for it: that object was a measurable share of an update.
  const given = t.createdAt;
  const givenMs = given instanceof Date ? given.getTime() : Number.NaN;
  const nowMs = now.getTime();
  const expiresAt = replacement.expiresAt;
  const bytes =
    counter.bytes +
    headSize(
      taskId,
      replacement.status,
      replacement.sessionId,
      replacement.userId,
      Number.isNaN(givenMs) ? nowMs : givenMs,
      nowMs,
      expiresAt === null ? null : expiresAt.getTime(),
      version + 1,
    );
  checkSize(op, taskId, bytes, limits);
  return { replacement, version, bytes };
}

/** A checked, copied patch. Absent fields are `undefined`; `data` keys are to be merged shallowly. */
export interface NormalizedPatch {
  status?: TaskStatus;
  sessionId?: string | null;
  userId?: string | null;
  data?: JsonObject;
  appendItems?: TaskItem[];
  expiresAt?: Date | null;
}

const PATCH_KEYS = ['status', 'sessionId', 'userId', 'data', 'appendItems', 'expiresAt'];

/**
 * The exact size parts of a patch, from which a backend works out the patched task's size on the
 * server: old size, plus `items` (minus 1 when the task had no items), minus the members `data`
 * replaces, plus each patched member (and a comma for each new member after the first), plus the
 * change in size of the head fields (status, ids, times, version) as JSON prints them.
 */
export interface PatchSize {
  /** Bytes of the appended items' stored JSON, each with one comma; 0 when none are appended. */
  items: number;
  /** Per patched data key: the bytes of the member `"<key>":<value JSON>`, without a comma. */
  data: [key: string, bytes: number][];
}

/** Checks and copies a patch; `bytes` is what its items and data members add (see `size`). */
export function validatePatch(
  taskId: unknown,
  input: unknown,
  expectedVersion: unknown,
  now: Date,
  limits: ValidationLimits,
): {
  taskId: string;
  patch: NormalizedPatch;
  expectedVersion: number | null;
  bytes: number;
  size: PatchSize;
} {
  const op = 'patch';
  const id = checkId(op, 'taskId', taskId);
  const p = checkObject(op, 'patch', input);
  checkKnownKeys(op, 'patch', p, PATCH_KEYS);
  const patch: NormalizedPatch = {};
  const size: PatchSize = { items: 0, data: [] };
  withJsonProblems(op, id, () => {
    if (p.status !== undefined) patch.status = checkStatus(op, 'patch.status', p.status);
    if (p.sessionId !== undefined) patch.sessionId = checkNullableId(op, 'patch.sessionId', p.sessionId);
    if (p.userId !== undefined) patch.userId = checkNullableId(op, 'patch.userId', p.userId);
    if (p.data !== undefined) patch.data = copyDataMembers(p.data, 'patch.data', size.data);
    if (p.appendItems !== undefined) {
      const counter: ByteCounter = { bytes: 0 };
      patch.appendItems = copyItems(op, 'patch.appendItems', p.appendItems, counter);
      // copyItems counts commas between the items; one more joins them to the stored ones.
      if (patch.appendItems.length > 0) size.items = counter.bytes + 1;
    }
    if (p.expiresAt !== undefined)
      patch.expiresAt = checkFutureExpiry(op, 'patch.expiresAt', p.expiresAt, now.getTime());
  });
  let bytes = size.items;
  for (const [, member] of size.data) bytes += member + 1;
  checkSize(op, id, bytes, limits);
  const version =
    expectedVersion === undefined ? null : checkVersion(op, 'expectedVersion', expectedVersion, id);
  return { taskId: id, patch, expectedVersion: version, bytes, size };
}

/** Copies a patch's `data` like `copyJsonObject`, recording each member's exact size. */
function copyDataMembers(value: unknown, path: string, sizes: [string, number][]): JsonObject {
  const copied = copyJsonObject(value, path, { bytes: 0 });
  for (const key in copied) {
    if (hasOwnKey(copied, key)) sizes.push([key, memberSize(key, copied[key]!)]);
  }
  return copied;
}

export { isPlainObject };
