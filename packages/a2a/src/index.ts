/**
 * `@taskvault/a2a`: the A2A JavaScript SDK's `TaskStore` and `PushNotificationStore` on any
 * taskvault store, so an A2A server's tasks survive restarts:
 * `new DefaultRequestHandler(card, new TaskvaultA2ATaskStore(await createTaskStore()), executor)`.
 */
export { A2A_STATE_TO_STATUS } from './mapping.js';
export type { TaskvaultA2APushNotificationStoreOptions } from './push-store.js';
export { PUSH_TASK_PREFIX, TaskvaultA2APushNotificationStore } from './push-store.js';
export type { ScopeOptions, TenantStoreFactory } from './scope.js';
export type { TaskvaultA2ATaskStoreOptions } from './task-store.js';
export { TaskvaultA2ATaskStore } from './task-store.js';
