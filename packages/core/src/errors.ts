/**
 * Every error a store throws is a `TaskStoreError` with a `code`. One subclass per operation
 * family keeps the shape of the source systems' per-operation exceptions. Errors are built
 * here, from a code and its context, so adapters never compose message strings.
 */

/** What went wrong, independent of the backend. */
export type TaskStoreErrorCode =
  | 'TASK_EXISTS'
  | 'TASK_NOT_FOUND'
  | 'VERSION_CONFLICT'
  | 'INVALID_INPUT'
  | 'CORRUPT_DATA'
  | 'BACKEND_UNAVAILABLE'
  | 'BACKEND_ERROR'
  | 'STORE_CLOSED'
  | 'CONFIG_INVALID';

/** Every code, for exhaustive tests and mapping tables. */
export const TASK_STORE_ERROR_CODES: readonly TaskStoreErrorCode[] = Object.freeze([
  'TASK_EXISTS',
  'TASK_NOT_FOUND',
  'VERSION_CONFLICT',
  'INVALID_INPUT',
  'CORRUPT_DATA',
  'BACKEND_UNAVAILABLE',
  'BACKEND_ERROR',
  'STORE_CLOSED',
  'CONFIG_INVALID',
]);

/** The store method (or factory step) that failed. */
export type TaskStoreOperation =
  | 'create'
  | 'load'
  | 'loadByRequestId'
  | 'update'
  | 'patch'
  | 'delete'
  | 'clear'
  | 'list'
  | 'count'
  | 'countActive'
  | 'cleanup'
  | 'verify'
  | 'restore'
  | 'watch'
  | 'healthCheck'
  | 'migrate'
  | 'close'
  | 'config';

/** Context an error is built from. Every field is optional; the message uses what is given. */
export interface TaskStoreErrorContext {
  taskId?: string | undefined;
  /** The offending input path (`data.stats.total`) or environment variable (`TASKVAULT_TTL`). */
  path?: string | undefined;
  /** A short explanation; never contains a password or a connection string. */
  detail?: string | undefined;
  /** The backend name, for BACKEND_* messages. */
  backend?: string | undefined;
  expectedVersion?: number | undefined;
  actualVersion?: number | undefined;
  cause?: unknown;
}

const BRAND = Symbol.for('taskvault.TaskStoreError');

/**
 * Operations that change stored data. Only their BACKEND_UNAVAILABLE says the change may have
 * been applied; a read that failed changed nothing.
 */
const WRITES: ReadonlySet<TaskStoreOperation> = new Set([
  'create',
  'update',
  'patch',
  'delete',
  'clear',
  'cleanup',
  'verify',
  'restore',
  'migrate',
]);

const MESSAGES: {
  [C in TaskStoreErrorCode]: (c: TaskStoreErrorContext, operation: TaskStoreOperation) => string;
} = {
  TASK_EXISTS: (c) => `task ${quote(c.taskId)} already exists; load it, or create with another taskId`,
  TASK_NOT_FOUND: (c) =>
    `task ${quote(c.taskId)} does not exist (it was never created, was deleted, or expired)`,
  VERSION_CONFLICT: (c) =>
    `task ${quote(c.taskId)} was changed by another writer` +
    (c.expectedVersion !== undefined ? `: expected version ${c.expectedVersion}` : '') +
    (c.actualVersion !== undefined ? `, stored version is ${c.actualVersion}` : '') +
    '; load it again, reapply the change and retry',
  INVALID_INPUT: (c) => `${c.path ?? 'input'}: ${c.detail ?? 'invalid'}`,
  CORRUPT_DATA: (c) =>
    `stored task ${quote(c.taskId)} is unreadable${c.detail ? ` (${c.detail})` : ''}; ` +
    'it was moved aside for inspection and the rest of the store keeps working',
  BACKEND_UNAVAILABLE: (c, operation) =>
    `${c.backend ?? 'the backend'} is unavailable${c.detail ? ` (${c.detail})` : ''}; retry later` +
    (WRITES.has(operation)
      ? `. This ${operation} may or may not have been applied: read it back, or retry with expectedVersion`
      : ''),
  BACKEND_ERROR: (c) =>
    `${c.backend ?? 'the backend'} answered with an error${c.detail ? `: ${c.detail}` : ''}`,
  STORE_CLOSED: () => 'the store is closed; build a new one with createTaskStore() to keep working',
  CONFIG_INVALID: (c) => `${c.path ? `${c.path}: ` : ''}${c.detail ?? 'invalid configuration'}`,
};

function quote(id: string | undefined): string {
  return id === undefined ? '(unknown)' : JSON.stringify(id);
}

/**
 * The base of every error a store or the factory throws.
 *
 * `instanceof` works across duplicated copies of `@taskvault/core` (ESM and CJS builds loaded
 * side by side): classes are recognised by a global symbol brand and their `name`.
 */
export class TaskStoreError extends Error {
  /** What went wrong. */
  readonly code: TaskStoreErrorCode;
  /** Which method failed. */
  readonly operation: TaskStoreOperation;
  /** The task concerned, when there is one. */
  readonly taskId?: string;
  /** The offending input path or configuration variable, for INVALID_INPUT and CONFIG_INVALID. */
  readonly path?: string;
  readonly [BRAND] = true;

  /** The class name, set explicitly so bundlers that rename classes cannot change it. */
  static readonly errorName: string = 'TaskStoreError';

  constructor(code: TaskStoreErrorCode, operation: TaskStoreOperation, context: TaskStoreErrorContext = {}) {
    super(
      scrubSecrets(MESSAGES[code](context, operation)),
      context.cause === undefined ? undefined : { cause: context.cause },
    );
    this.name = (new.target as typeof TaskStoreError).errorName;
    this.code = code;
    this.operation = operation;
    if (context.taskId !== undefined) this.taskId = context.taskId;
    if (context.path !== undefined) this.path = context.path;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || (value as { [BRAND]?: unknown })[BRAND] !== true) {
      return false;
    }
    if (this === TaskStoreError) return true;
    // A subclass matches its own name, and so do errors of subclasses further down.
    let proto: unknown = Object.getPrototypeOf(value);
    while (proto !== null && proto !== Object.prototype) {
      const ctor = (proto as { constructor?: { errorName?: string } }).constructor;
      if (ctor?.errorName === (this as typeof TaskStoreError).errorName) return true;
      proto = Object.getPrototypeOf(proto);
    }
    return false;
  }
}

/** `create` or `restore` failed. */
export class TaskCreateError extends TaskStoreError {
  static override readonly errorName: string = 'TaskCreateError';
}
/** `load` or `loadByRequestId` failed. */
export class TaskLoadError extends TaskStoreError {
  static override readonly errorName: string = 'TaskLoadError';
}
/** `update` or `patch` failed. */
export class TaskUpdateError extends TaskStoreError {
  static override readonly errorName: string = 'TaskUpdateError';
}
/** `delete` or `clear` failed. */
export class TaskDeleteError extends TaskStoreError {
  static override readonly errorName: string = 'TaskDeleteError';
}
/** `list`, `count`, `countActive`, `cleanup` or `verify` failed. */
export class TaskQueryError extends TaskStoreError {
  static override readonly errorName: string = 'TaskQueryError';
}
/** The factory or a store constructor was given a bad configuration. */
export class TaskStoreConfigError extends TaskStoreError {
  static override readonly errorName: string = 'TaskStoreConfigError';
}

const ERROR_CLASS: { [O in TaskStoreOperation]: typeof TaskStoreError } = {
  create: TaskCreateError,
  load: TaskLoadError,
  loadByRequestId: TaskLoadError,
  update: TaskUpdateError,
  patch: TaskUpdateError,
  delete: TaskDeleteError,
  clear: TaskDeleteError,
  list: TaskQueryError,
  count: TaskQueryError,
  countActive: TaskQueryError,
  cleanup: TaskQueryError,
  verify: TaskQueryError,
  restore: TaskCreateError,
  watch: TaskQueryError,
  healthCheck: TaskStoreError,
  migrate: TaskStoreError,
  close: TaskStoreError,
  config: TaskStoreConfigError,
};

/** Builds the error of the right subclass for `operation`. The one way adapters make errors. */
export function taskStoreError(
  operation: TaskStoreOperation,
  code: TaskStoreErrorCode,
  context: TaskStoreErrorContext = {},
): TaskStoreError {
  const ErrorClass = ERROR_CLASS[operation];
  return new ErrorClass(code, operation, context);
}

/** True when `value` is a `TaskStoreError`, optionally with the given code. */
export function isTaskStoreError(value: unknown, code?: TaskStoreErrorCode): value is TaskStoreError {
  return value instanceof TaskStoreError && (code === undefined || value.code === code);
}

/**
 * Removes credentials and everything past host:port from every URL in `text`
 * (`redis://:secret@host:6379/0?x` -> `redis://host:6379`), and `password=...` pairs.
 * Messages built from driver errors go through it, so a message never holds a secret.
 */
export function scrubSecrets(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s/@'"]*@)?([^\s/?#'"]*)[^\s'"]*/gi, '$1$2')
    .replace(/\b(password|pwd|pass)\s*=\s*[^\s&;'"]+/gi, '$1=***');
}

/** `host:port` of a URL, for messages; `(unparseable URL)` when it is not one. */
export function describeEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(unparseable URL)';
  }
}
