/**
 * The SDK's types, all imported here. `@a2a-js/sdk` ships its declarations as ESM only, so the
 * build marks these imports `resolution-mode: 'import'` in the CommonJS declarations
 * (`scripts/cjs-declarations.mjs`); otherwise they would not type-check under `module: node16`.
 */
import type { ListTasksRequest, ListTasksResponse, Task, TaskPushNotificationConfig } from '@a2a-js/sdk';
import type {
  TaskStore as A2ATaskStore,
  OwnerResolver,
  PushNotificationStore,
  ServerCallContext,
  StoredPushNotificationConfig,
} from '@a2a-js/sdk/server';

export type {
  A2ATaskStore,
  ListTasksRequest,
  ListTasksResponse,
  OwnerResolver,
  PushNotificationStore,
  ServerCallContext,
  StoredPushNotificationConfig,
  Task,
  TaskPushNotificationConfig,
};
