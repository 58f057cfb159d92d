/**
 * Pins what `@taskvault/core` offers an application, and what `@taskvault/core/adapter` offers a
 * backend author. A name added to or dropped from either is a decision: change the list here (and
 * the changeset) on purpose. The application API stays small; the kit may grow.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as adapter from '../src/adapter.js';
import * as api from '../src/index.js';

const APPLICATION_VALUES = [
  'ACTIVE_STATUSES',
  'DEFAULT_LIST_LIMIT',
  'DEFAULT_MAX_TASK_BYTES',
  'MAX_ID_BYTES',
  'MAX_LIST_LIMIT',
  'MAX_TTL_MS',
  'MAX_VERIFY_PROBLEMS',
  'TASK_ITEM_ROLES',
  'TASK_STATUSES',
  'TASK_STORE_ERROR_CODES',
  'TERMINAL_STATUSES',
  'TaskCreateError',
  'TaskDeleteError',
  'TaskLoadError',
  'TaskQueryError',
  'TaskStoreConfigError',
  'TaskStoreError',
  'TaskUpdateError',
  'createTaskStore',
  'fromLybicStatus',
  'fromSkAgentsStatus',
  'getTaskStore',
  'isActiveStatus',
  'isTaskStatus',
  'isTaskStoreError',
  'parseDuration',
  'resetTaskStore',
  'toLybicStatus',
  'toSkAgentsStatus',
];

const APPLICATION_TYPES = [
  'ChangeStream',
  'TaskChange',
  'TaskChangeType',
  'WatchFilter',
  'WatchOptions',
  'AgentTask',
  'BackendName',
  'BuiltinBackend',
  'CleanupOptions',
  'CorruptRecordReport',
  'Env',
  'FactoryOptions',
  'HealthStatus',
  'JsonObject',
  'JsonValue',
  'ListQuery',
  'LybicStatus',
  'MeterProviderLike',
  'NewTask',
  'PatchOptions',
  'RestoreConflict',
  'RestoreOptions',
  'RestoreReport',
  'RetainedStatus',
  'RetentionOption',
  'SkAgentsStatus',
  'StoreTelemetryOption',
  'SweepEvent',
  'SweepOption',
  'SweepSettings',
  'SweepStatus',
  'TaskFilter',
  'TaskItem',
  'TaskItemRole',
  'TaskPage',
  'TaskPatch',
  'TaskStatus',
  'TaskStore',
  'TaskStoreConfig',
  'TaskStoreErrorCode',
  'TracerProviderLike',
  'UpdateOptions',
  'VerifyOptions',
  'VerifyProblem',
  'VerifyProblemKind',
  'VerifyProgress',
  'VerifyReport',
];

/** Every name an entry file exports, values and types, read from its export lists. */
function exportedNames(file: string): string[] {
  const text = readFileSync(new URL(file, import.meta.url), 'utf8');
  const names: string[] = [];
  for (const match of text.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of match[1]!.split(',')) if (part.trim()) names.push(part.trim());
  }
  return names.sort();
}

describe('the public API', () => {
  it('@taskvault/core exports exactly the application API', () => {
    expect(Object.keys(api).sort()).toEqual([...APPLICATION_VALUES].sort());
    expect(exportedNames('../src/index.ts')).toEqual([...APPLICATION_VALUES, ...APPLICATION_TYPES].sort());
  });

  it('@taskvault/core/adapter holds the kit and repeats none of the application API', () => {
    const kit = exportedNames('../src/adapter.ts');
    for (const name of [
      'TaskStoreBase',
      'serializeTask',
      'parseStoredTask',
      'taskStoreError',
      'VerifyCollector',
    ]) {
      expect(kit).toContain(name);
    }
    for (const name of [...APPLICATION_VALUES, ...APPLICATION_TYPES]) expect(kit).not.toContain(name);
    expect(typeof adapter.TaskStoreBase).toBe('function');
  });

  it('the application API types what a store returns', () => {
    expectTypeOf(api.createTaskStore).returns.resolves.toEqualTypeOf<api.TaskStore>();
  });
});
