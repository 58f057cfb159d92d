export type { AppliedOperation, HistoryTransactionArgs } from './history-transaction.js';
export { OPERATIONS_KEY } from './history-transaction.js';
export { requestIdOf, roleOf } from './items.js';
export { DEFAULT_TASK_ID_PREFIX, TaskvaultSession, type TaskvaultSessionOptions } from './session.js';
