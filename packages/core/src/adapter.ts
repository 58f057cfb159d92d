/**
 * `@taskvault/core/adapter`: the kit a backend is built with. An application needs none of it;
 * it imports `@taskvault/core`. A backend extends {@link TaskStoreBase}, which runs every check
 * the contract asks for (validation, limits, cursors, closed state, error wrapping, corrupt-record
 * reports, verify and restore bookkeeping), and implements its hooks, each one server-side step;
 * the codec, sizes and helpers below are what those hooks need. `@taskvault/conformance` then
 * proves the result.
 */
export { TaskStoreBase } from './base-store.js';
export type {
  ChangeFeedHooks,
  NormalizedWatchFilter,
  ReadChangesRequest,
  StoredChange,
} from './changes.js';
export { changeMatches, publicChange, validateWatchFilter, validateWatchOptions } from './changes.js';
export type { StoredItem, StoredTask } from './codec.js';
export {
  CorruptRecord,
  itemToStored,
  parseStoredTask,
  serializeTask,
  taskFromStored,
  taskToStored,
} from './codec.js';
export type { RedisNode, ResolvedTaskStoreConfig } from './config.js';
export { BACKEND_NAMES, parseRedisNode, resolveConfig } from './config.js';
export { CONTENDED, contended, retryWhileContended } from './contention.js';
export { decodeCursor, encodeCursor } from './cursor.js';
export type { TaskStoreErrorContext, TaskStoreOperation } from './errors.js';
export { describeEndpoint, scrubSecrets, taskStoreError } from './errors.js';
export type { CreateFromConfig } from './factory.js';
export type {
  CleanupRequest,
  PatchRequest,
  ReplaceRequest,
  RestoreBatchResult,
  RestoreRequest,
  SweepBatchRequest,
  SweepLeaseRequest,
  VerifyRequest,
} from './hook-requests.js';
export { compareIds, idProblem, stringProblem, utf8Length } from './ids.js';
export type { ByteCounter } from './json-copy.js';
export { copyJsonObject, copyJsonValue, JsonProblem, MAX_JSON_DEPTH, setOwnKey } from './json-copy.js';
export type { NormalizedRestoreOptions, RestoredTask } from './restore.js';
export {
  DEFAULT_RESTORE_BATCH,
  MAX_RESTORE_BATCH,
  validateRestoredTask,
  validateRestoreOptions,
} from './restore.js';
export type { RetentionPolicy } from './retention.js';
export {
  checkRetention,
  formatRetention,
  liveUntil,
  parseRetention,
  RETAINED_STATUSES,
  retentionOf,
} from './retention.js';
export {
  escapeBytes,
  ITEM_FRAME_BYTES,
  itemSize,
  itemsSize,
  jsonSize,
  memberSize,
  numberSize,
  stringSize,
  TASK_FRAME_BYTES,
  taskHeadSize,
  taskSize,
} from './size.js';
export { TASK_STORE_METHODS } from './store.js';
export type { BaseStoreOptions } from './store-options.js';
export {
  BASE_STORE_OPTION_NAMES,
  checkNamespace,
  configInvalid,
  DEFAULT_FEED_RETAIN_MS,
} from './store-options.js';
export type { NormalizedSweep, SweepProgress, SweepTarget } from './sweeper.js';
export {
  checkSweep,
  DEFAULT_SWEEP_INTERVAL_MS,
  MAX_SWEEP_BATCH,
  Sweeper,
  sweepWithInterval,
} from './sweeper.js';
export { copyTask } from './task-copy.js';
export type { NormalizedPatch, PatchSize, TaskReplacement, ValidationLimits } from './validate.js';
export {
  checkId,
  MAX_DATE_MS,
  MIN_DATE_MS,
  validateNewTask,
  validatePatch,
  validateReplacement,
} from './validate.js';
export type { ListPosition, NormalizedFilter, NormalizedListQuery } from './validate-query.js';
export { validateCleanup, validateFilter, validateListQuery } from './validate-query.js';
export type { NormalizedVerifyOptions } from './verify.js';
export { DEFAULT_VERIFY_BATCH, MAX_VERIFY_BATCH, VerifyCollector, validateVerifyOptions } from './verify.js';
