/** `TaskvaultA2APushNotificationStore`: the A2A SDK's `PushNotificationStore` on a taskvault store. */
import { resolveUserScope } from '@a2a-js/sdk/server';
import {
  type AgentTask,
  type JsonObject,
  type JsonValue,
  MAX_ID_BYTES,
  type TaskStore,
} from '@taskvault/core';
import {
  type CONTENDED,
  contended,
  idProblem,
  retryWhileContended,
  taskStoreError,
  utf8Length,
} from '@taskvault/core/adapter';
import { decodeValue, encodeValue } from './codec.js';
import { maxAttemptsOption, type ScopeOptions, Scopes } from './scope.js';
import type {
  PushNotificationStore,
  ServerCallContext,
  StoredPushNotificationConfig,
  TaskPushNotificationConfig,
} from './sdk-types.js';

/** The taskvault task id of a task's push notification configs is this prefix + the A2A task id. */
export const PUSH_TASK_PREFIX = 'a2a-push:';

/** The wire version of a config saved by a call that named none (the SDK's legacy version). */
const LEGACY_WIRE_VERSION = '0.3';

/** What `data` holds for a task's push notification configs. */
interface PushData extends JsonObject {
  a2aPush: { format: 1; configs: { config: JsonValue; wireVersion: string }[] };
}

/** Options of {@link TaskvaultA2APushNotificationStore}. */
export interface TaskvaultA2APushNotificationStoreOptions extends ScopeOptions {
  /** How often a write that keeps losing races is tried before it fails with `VERSION_CONFLICT`. Default 64. */
  maxAttempts?: number;
}

/**
 * The A2A SDK's `PushNotificationStore` on any taskvault store, with the semantics of its
 * `InMemoryPushNotificationStore`: `save` assigns a missing config id in place and replaces a
 * config with the same id (moving it last), `load` returns the configs in that order,
 * `loadWithMetadata` adds the wire version each was registered over, `delete` removes one config
 * (the one whose id is the task id when no `configId` is given).
 *
 * A task's configs are one taskvault task, `a2a-push:<taskId>`, in the tenant's store, owned by
 * the caller (`userId`); every change is a compare-and-set, so concurrent saves and deletes never
 * lose one another. Scoping is the task store's: tenant → store, owner → `userId`, and a caller
 * never sees or changes another owner's configs.
 */
export class TaskvaultA2APushNotificationStore implements PushNotificationStore {
  readonly #scopes: Scopes;
  readonly #maxAttempts: number;

  /**
   * @param store The store of calls without a tenant; it stays the caller's to close.
   * @throws TaskStoreError `CONFIG_INVALID` for a bad option.
   */
  constructor(store: TaskStore, options: TaskvaultA2APushNotificationStoreOptions = {}) {
    this.#scopes = new Scopes(store, options, resolveUserScope);
    this.#maxAttempts = maxAttemptsOption(options.maxAttempts);
  }

  /**
   * Adds `config` to the task's configs, replacing one with the same id; sets `config.id` to a
   * new UUID when it is empty.
   * @throws TaskStoreError `INVALID_INPUT` for a task id taskvault cannot hold, one whose configs
   *   another owner holds, or a value that cannot be stored; `BACKEND_UNAVAILABLE`.
   */
  async save(taskId: string, context: ServerCallContext, config: TaskPushNotificationConfig): Promise<void> {
    const recordId = pushTaskId(taskId, 'update');
    if (!config.id) config.id = crypto.randomUUID();
    const entry = {
      config: encodeValue(config, 'pushNotificationConfig', 'update'),
      wireVersion: context.requestedVersion || LEGACY_WIRE_VERSION,
    };
    await this.#change(
      taskId,
      recordId,
      context,
      (configs) => [...configs.filter((stored) => configIdOf(stored.config) !== config.id), entry],
      true,
    );
  }

  /** The task's configs, in the order they were saved; `[]` when there are none. */
  async load(taskId: string, context: ServerCallContext): Promise<TaskPushNotificationConfig[]> {
    return (await this.loadWithMetadata(taskId, context)).map((stored) => stored.config);
  }

  /** The task's configs with the wire version each was registered over. */
  async loadWithMetadata(
    taskId: string,
    context: ServerCallContext,
  ): Promise<StoredPushNotificationConfig[]> {
    if (!validTaskId(taskId)) return [];
    const scope = await this.#scopes.resolve(context, 'load');
    try {
      const record = ownRecord(await scope.store.load(PUSH_TASK_PREFIX + taskId), scope.owner);
      return (record?.data.a2aPush.configs ?? []).map((stored) => ({
        config: decodeValue(stored.config) as TaskPushNotificationConfig,
        wireVersion: stored.wireVersion,
      }));
    } finally {
      scope.release();
    }
  }

  /** Removes the config with `configId` (default: the task id, as the SDK's in-memory store does). */
  async delete(taskId: string, context: ServerCallContext, configId?: string): Promise<void> {
    if (!validTaskId(taskId)) return;
    const id = configId === undefined ? taskId : configId;
    await this.#change(
      taskId,
      PUSH_TASK_PREFIX + taskId,
      context,
      (configs) => configs.filter((stored) => configIdOf(stored.config) !== id),
      false,
    );
  }

  /** Closes the tenant stores this opened (never the store given to the constructor). */
  async close(): Promise<void> {
    await this.#scopes.close();
  }

  /** Replaces the task's configs with `change(configs)` over the version read. */
  async #change(
    taskId: string,
    recordId: string,
    context: ServerCallContext,
    change: (configs: PushData['a2aPush']['configs']) => PushData['a2aPush']['configs'],
    creates: boolean,
  ): Promise<void> {
    const scope = await this.#scopes.resolve(context, 'update');
    const { store, owner } = scope;
    const attempt = async (): Promise<true | typeof CONTENDED> => {
      const stored = await store.load(recordId);
      const record = ownRecord(stored, owner);
      if (stored !== null && record === null) {
        // nothing of the caller's to delete; a save must not start a second record under the id
        if (!creates) return true;
        throw taskStoreError('update', 'INVALID_INPUT', {
          path: 'taskId',
          taskId,
          detail: 'another owner (or another application) holds this task id in this tenant',
        });
      }
      const configs = change(record?.data.a2aPush.configs ?? []);
      const data: PushData = { a2aPush: { format: 1, configs } };
      try {
        if (record === null) {
          if (configs.length > 0) await store.create({ taskId: recordId, userId: owner, data });
        } else {
          // kept when it empties: deleting it could not be made conditional on the version read,
          // and would then drop a config saved in between
          await store.patch(recordId, { data }, { expectedVersion: record.version });
        }
        return true;
      } catch (error) {
        return contended(error);
      }
    };
    try {
      await retryWhileContended(this.#maxAttempts, attempt, () =>
        taskStoreError('update', 'VERSION_CONFLICT', { taskId: recordId }),
      );
    } finally {
      scope.release();
    }
  }
}

function pushTaskId(taskId: string, operation: 'update'): string {
  if (!validTaskId(taskId)) {
    const problem =
      idProblem(taskId) ?? `must be at most ${MAX_ID_BYTES - PUSH_TASK_PREFIX.length} UTF-8 bytes`;
    throw taskStoreError(operation, 'INVALID_INPUT', { path: 'taskId', detail: `the task id ${problem}` });
  }
  return PUSH_TASK_PREFIX + taskId;
}

function validTaskId(taskId: string): boolean {
  return idProblem(taskId) === null && utf8Length(taskId) <= MAX_ID_BYTES - PUSH_TASK_PREFIX.length;
}

function ownRecord(stored: AgentTask | null, owner: string): AgentTask<PushData> | null {
  if (stored === null || stored.userId !== owner) return null;
  const push = stored.data.a2aPush;
  if (typeof push !== 'object' || push === null || Array.isArray(push) || push.format !== 1) return null;
  return stored as AgentTask<PushData>;
}

function configIdOf(config: JsonValue): unknown {
  return typeof config === 'object' && config !== null && !Array.isArray(config) ? config.id : undefined;
}
