/**
 * The task model: what a user asked, every message and tool call since, where the task
 * stands, and enough to resume it.
 */

/** Where a task stands. `pending`, `running` and `paused` are active; the rest are terminal. */
export type TaskStatus = 'pending' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';

/** Every status, in lifecycle order. */
export const TASK_STATUSES: readonly TaskStatus[] = Object.freeze([
  'pending',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
]);

/** Statuses of a task that is still going: counted by `countActive`, spared by `cleanup` by default. */
export const ACTIVE_STATUSES: readonly TaskStatus[] = Object.freeze(['pending', 'running', 'paused']);

/** Statuses of a task that has ended. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = Object.freeze(['completed', 'failed', 'cancelled']);

/** True for `pending`, `running` and `paused`. */
export function isActiveStatus(status: TaskStatus): boolean {
  return status === 'pending' || status === 'running' || status === 'paused';
}

/** True for a string that is one of the six statuses. */
export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value);
}

/** A value that survives `JSON.stringify` and `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** An object of JSON values: the shape of `AgentTask.data`. */
export type JsonObject = { [key: string]: JsonValue };

/** Who produced a task item. */
export type TaskItemRole = 'user' | 'assistant' | 'tool' | 'system';

/** Every item role. */
export const TASK_ITEM_ROLES: readonly TaskItemRole[] = Object.freeze([
  'user',
  'assistant',
  'tool',
  'system',
]);

/** One entry of a task's history: a message, a tool call or a tool result. */
export interface TaskItem {
  /** The request this item answers; `loadByRequestId` finds the task through it. */
  requestId: string;
  role: TaskItemRole;
  /** Text, multimodal parts, tool calls, tool results: any JSON. */
  content: JsonValue;
  createdAt: Date;
}

/** A persisted agent task. `TData` holds the application's own fields. */
export interface AgentTask<TData extends JsonObject = JsonObject> {
  taskId: string;
  status: TaskStatus;
  sessionId: string | null;
  userId: string | null;
  items: TaskItem[];
  /** The application's own fields: query, maxSteps, finalState, executionStatistics, ... */
  data: TData;
  createdAt: Date;
  updatedAt: Date;
  /** Past this instant the task no longer exists. */
  expiresAt: Date | null;
  /** 1 after create, +1 after every successful write. */
  version: number;
}

/** What `create` takes: only `taskId` is required. */
export interface NewTask<TData extends JsonObject = JsonObject> {
  taskId: string;
  /** Defaults to `'pending'`. */
  status?: TaskStatus;
  sessionId?: string | null;
  userId?: string | null;
  items?: TaskItem[];
  data?: TData;
  /** May be given, for imports; defaults to now. */
  createdAt?: Date;
  /** Time to live from now, in ms. Overrides the store's default TTL. Exclusive with `expiresAt`. */
  ttlMs?: number;
  /** An absolute expiry. Overrides the store's default TTL. Exclusive with `ttlMs`. */
  expiresAt?: Date | null;
}

/** Changes `patch` applies atomically on the server side. */
export interface TaskPatch<TData extends JsonObject = JsonObject> {
  status?: TaskStatus;
  sessionId?: string | null;
  userId?: string | null;
  /** Shallow merge into `data`; a key set to `null` stays `null` (it is not removed). */
  data?: Partial<TData>;
  /** Appended atomically: concurrent appends never lose an item. */
  appendItems?: TaskItem[];
  expiresAt?: Date | null;
}

/** Selects tasks for `list`, `count`. All given fields must match. */
export interface TaskFilter {
  status?: TaskStatus | TaskStatus[];
  sessionId?: string;
  userId?: string;
  /** Tasks created strictly after this instant. */
  createdAfter?: Date;
  /** Tasks created strictly before this instant. */
  createdBefore?: Date;
}

/** A `list` query: a filter plus paging. */
export interface ListQuery extends TaskFilter {
  /** Page size; default 50, at most 1000. */
  limit?: number;
  /** The `nextCursor` of the previous page. Opaque. */
  cursor?: string;
  /** Tasks to skip; for callers that need numbered pages. Exclusive with `cursor`. */
  offset?: number;
  /** By `createdAt`, then `taskId`; default `'desc'` (newest first). */
  order?: 'desc' | 'asc';
}

/** One page of `list`. */
export interface TaskPage<TData extends JsonObject = JsonObject> {
  tasks: AgentTask<TData>[];
  /** Pass as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

/** What `cleanup` takes. */
export interface CleanupOptions {
  /** Tasks whose `updatedAt` is before this Date, or older than this many ms, are removed. */
  olderThan: Date | number;
  /** Also remove `pending`, `running` and `paused` tasks. Default false. */
  includeActive?: boolean;
}

/** What `healthCheck` returns; it never throws for an unreachable server. */
export interface HealthStatus {
  ok: boolean;
  backend: string;
  latencyMs: number;
  detail?: string;
}

/** Options of `update`. */
export interface UpdateOptions {
  /** Skip the version check: last writer wins. */
  force?: boolean;
}

/** Options of `patch`. */
export interface PatchOptions {
  /** Apply only if the stored version equals this (compare-and-set). */
  expectedVersion?: number;
}

/** Default and ceiling of `ListQuery.limit`. */
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;
/** Default `maxTaskBytes`: 8 MiB of serialized task. */
export const DEFAULT_MAX_TASK_BYTES = 8 * 1024 * 1024;
/** Longest id, in UTF-8 bytes. */
export const MAX_ID_BYTES = 512;

/** Options of `verify`. */
export interface VerifyOptions {
  /** Rebuild what is wrong from the tasks themselves (and move corrupt records aside). Default false. */
  repair?: boolean;
  /** Tasks read per server step; 1..10000, default 500. Each step stays short on a busy server. */
  batchSize?: number;
  /** Called after every batch, so a long walk shows progress. */
  onProgress?: (progress: VerifyProgress) => void;
}

/** How far a `verify` walk has come. */
export interface VerifyProgress {
  /** Tasks checked so far. */
  checked: number;
  /** Problems found so far. */
  problems: number;
  /** Problems repaired so far. */
  repaired: number;
  elapsedMs: number;
}

/**
 * What `verify` can find: a task missing from an index it belongs in, an index entry pointing at
 * no task (or at one that no longer holds it), a count that disagrees with the tasks, a record
 * that cannot be read.
 */
export type VerifyProblemKind =
  | 'missing-index-entry'
  | 'orphan-index-entry'
  | 'count-mismatch'
  | 'corrupt-record';

/** One problem `verify` found. */
export interface VerifyProblem {
  kind: VerifyProblemKind;
  /** The task concerned, when there is one. */
  taskId: string | null;
  /** The index concerned (`request-id`, `status`, `expiry`, `list`, ...), when there is one. */
  index: string | null;
  detail: string;
  /** True when `repair` fixed it. */
  repaired: boolean;
}

/** What `verify` found. */
export interface VerifyReport {
  /** True when nothing was wrong, or everything wrong was repaired. */
  ok: boolean;
  /** Tasks checked. */
  checked: number;
  /** Problems found (all of them, also past the ones listed). */
  problemCount: number;
  /** Problems repaired. */
  repaired: number;
  /** The first {@link MAX_VERIFY_PROBLEMS} problems. */
  problems: VerifyProblem[];
  elapsedMs: number;
}

/** How many problems a `VerifyReport` lists at most; `problemCount` counts them all. */
export const MAX_VERIFY_PROBLEMS = 1000;

/** A record a store moved aside because it could not be read, as `onCorrupt` hears of it. */
export interface CorruptRecordReport {
  backend: string;
  namespace: string;
  taskId: string;
  /** The call that met it. */
  operation: string;
  /** What is wrong with it. */
  detail: string;
  /** Where the record was moved (a key or table name), or null when it could not be kept. */
  movedTo: string | null;
}

/** What `restore` does with a task whose id a live task already has. */
export type RestoreConflict = 'skip' | 'fail' | 'replace';

/** Options of `restore`. */
export interface RestoreOptions {
  /**
   * A task whose id is taken by a live task: `'fail'` (the default) rejects with `TASK_EXISTS`
   * and stops there, `'skip'` keeps the stored one, `'replace'` overwrites it with the given one.
   */
  onConflict?: RestoreConflict;
  /** Tasks written per server step; 1..1000, default 100. */
  batchSize?: number;
  /** Called after every batch, so a long restore shows progress. */
  onProgress?: (progress: RestoreReport) => void;
}

/** What `restore` did (so far, when passed to `onProgress`). */
export interface RestoreReport {
  /** Tasks written that did not exist. */
  restored: number;
  /** Tasks that existed and were replaced (`onConflict: 'replace'`). */
  replaced: number;
  /** Tasks that existed and were kept (`onConflict: 'skip'`). */
  skipped: number;
  /** Tasks not written because their `expiresAt` had already passed. */
  expired: number;
  elapsedMs: number;
}
