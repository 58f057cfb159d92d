export type {
  BaseStoreOptions,
  CleanupRequest,
  PatchRequest,
  ReplaceRequest,
  RestoreBatchResult,
  RestoreRequest,
  VerifyRequest,
} from './base-store.js';
export { checkNamespace, configInvalid, TaskStoreBase } from './base-store.js';
export type { StoredItem, StoredTask } from './codec.js';
export {
  CorruptRecord,
  itemToStored,
  parseStoredTask,
  serializeTask,
  taskFromStored,
  taskToStored,
} from './codec.js';
export type {
  BackendName,
  BuiltinBackend,
  Env,
  RedisNode,
  ResolvedTaskStoreConfig,
  TaskStoreConfig,
} from './config.js';
export { BACKEND_NAMES, parseRedisNode, resolveConfig } from './config.js';
export { decodeCursor, encodeCursor } from './cursor.js';
export { MAX_TTL_MS, parseDuration } from './duration.js';
export type { TaskStoreErrorCode, TaskStoreErrorContext, TaskStoreOperation } from './errors.js';
export {
  describeEndpoint,
  isTaskStoreError,
  scrubSecrets,
  TASK_STORE_ERROR_CODES,
  TaskCreateError,
  TaskDeleteError,
  TaskLoadError,
  TaskQueryError,
  TaskStoreConfigError,
  TaskStoreError,
  TaskUpdateError,
  taskStoreError,
} from './errors.js';
export type { CreateFromConfig, FactoryOptions } from './factory.js';
export { createTaskStore, getTaskStore, resetTaskStore } from './factory.js';
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
export type { LybicStatus, SkAgentsStatus } from './status-map.js';
export { fromLybicStatus, fromSkAgentsStatus, toLybicStatus, toSkAgentsStatus } from './status-map.js';
export type { TaskStore } from './store.js';
export { TASK_STORE_METHODS } from './store.js';
export type {
  AgentTask,
  CleanupOptions,
  CorruptRecordReport,
  HealthStatus,
  JsonObject,
  JsonValue,
  ListQuery,
  NewTask,
  PatchOptions,
  RestoreConflict,
  RestoreOptions,
  RestoreReport,
  TaskFilter,
  TaskItem,
  TaskItemRole,
  TaskPage,
  TaskPatch,
  TaskStatus,
  UpdateOptions,
  VerifyOptions,
  VerifyProblem,
  VerifyProblemKind,
  VerifyProgress,
  VerifyReport,
} from './task.js';
export {
  ACTIVE_STATUSES,
  DEFAULT_LIST_LIMIT,
  DEFAULT_MAX_TASK_BYTES,
  isActiveStatus,
  isTaskStatus,
  MAX_ID_BYTES,
  MAX_LIST_LIMIT,
  MAX_VERIFY_PROBLEMS,
  TASK_ITEM_ROLES,
  TASK_STATUSES,
  TERMINAL_STATUSES,
} from './task.js';
export type {
  ListPosition,
  NormalizedFilter,
  NormalizedListQuery,
  NormalizedPatch,
  PatchSize,
  TaskReplacement,
  ValidationLimits,
} from './validate.js';
export {
  checkId,
  MAX_DATE_MS,
  MIN_DATE_MS,
  validateCleanup,
  validateFilter,
  validateListQuery,
  validateNewTask,
  validatePatch,
  validateReplacement,
} from './validate.js';
export type { NormalizedVerifyOptions } from './verify.js';
export { DEFAULT_VERIFY_BATCH, MAX_VERIFY_BATCH, VerifyCollector, validateVerifyOptions } from './verify.js';
