/**
 * The SDK's types, imported as ESM whatever module kind the importer is: `@a2a-js/sdk` ships its
 * declarations as ESM only, so without `resolution-mode` this package's CommonJS declarations
 * (`index.d.cts`) would not type-check under `module: node16`.
 */
import type {
  ListTasksRequest,
  ListTasksResponse,
  Task,
  TaskPushNotificationConfig,
} from '@a2a-js/sdk' with { 'resolution-mode': 'import' };
import type {
  TaskStore as A2ATaskStore,
  OwnerResolver,
  PushNotificationStore,
  ServerCallContext,
  StoredPushNotificationConfig,
} from '@a2a-js/sdk/server' with { 'resolution-mode': 'import' };

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
