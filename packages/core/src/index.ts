/**
 * `@taskvault/core`: what an application needs — the factory, the `TaskStore` interface, the task
 * model, the errors and their codes, and the source systems' status words. Backend authors build
 * on `@taskvault/core/adapter`, the kit kept apart from this API so internals can change without
 * breaking applications.
 */
export type {
  ChangeStream,
  TaskChange,
  TaskChangeType,
  WatchFilter,
  WatchOptions,
} from './changes.js';
export type { BackendName, BuiltinBackend, Env, TaskStoreConfig } from './config.js';
export { MAX_TTL_MS, parseDuration } from './duration.js';
export type { TaskStoreErrorCode } from './errors.js';
export {
  isTaskStoreError,
  TASK_STORE_ERROR_CODES,
  TaskCreateError,
  TaskDeleteError,
  TaskLoadError,
  TaskQueryError,
  TaskStoreConfigError,
  TaskStoreError,
  TaskUpdateError,
} from './errors.js';
export type { FactoryOptions } from './factory.js';
export { createTaskStore, getTaskStore, resetTaskStore } from './factory.js';
export type { RetainedStatus, RetentionOption } from './retention.js';
export type { LybicStatus, SkAgentsStatus } from './status-map.js';
export { fromLybicStatus, fromSkAgentsStatus, toLybicStatus, toSkAgentsStatus } from './status-map.js';
export type { TaskStore } from './store.js';
export type { SweepEvent, SweepOption, SweepSettings, SweepStatus } from './sweeper.js';
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
  MeterProviderLike,
  StoreTelemetryOption,
  TracerProviderLike,
} from './telemetry/api.js';
