/**
 * What every store takes, whatever its backend: the options `TaskStoreBase` reads (a backend adds
 * its own beside them), and the checks of the ones every backend shares.
 */
import { type TaskStoreError, taskStoreError } from './errors.js';
import { idProblem } from './ids.js';
import type { RetentionOption } from './retention.js';
import type { SweepEvent, SweepOption } from './sweeper.js';
import type { CorruptRecordReport } from './task.js';
import type { StoreTelemetryOption } from './telemetry/api.js';

/** Options every store takes. */
export interface BaseStoreOptions {
  /** Scope of the store: nothing in one namespace is visible from another. Default `'default'`. */
  namespace?: string;
  /** Default time to live of new tasks, in ms; `null` or absent for none. */
  ttlMs?: number | null;
  /** Largest serialized task accepted; default 8 MiB. */
  maxTaskBytes?: number;
  /**
   * Hears of every record the store moved aside because it could not be read (a `list` page or
   * `loadByRequestId` answers without it; other calls reject with `CORRUPT_DATA`). Default: one
   * warning line on the console. It must not throw; what it throws is ignored.
   */
  onCorrupt?: (report: CorruptRecordReport) => void;
  /**
   * Where the store reports spans and metrics (SPEC "Observability"). Default: the providers
   * registered with `@opentelemetry/api` when it is installed (start the SDK before creating
   * stores), else nowhere, at no cost. `false` turns reporting off; given providers are used
   * instead of the global ones.
   */
  telemetry?: StoreTelemetryOption;
  /**
   * How long tasks in a terminal status are kept after their last write (SPEC "Retention"), e.g.
   * `{ completed: '7d', failed: '30d' }`: past it a task is gone for every read, as if expired,
   * and a sweep deletes it. A status left out is kept; active tasks are never removed by it.
   * Every process writing a namespace should use the same policy: each write fixes the removal
   * time of the task it stores with its own store's policy. Default: none.
   */
  retention?: RetentionOption | null;
  /**
   * The background sweeper: one per namespace across all processes (a lease in the backend).
   * Default: on when `retention` or `ttlMs` is set. `false` leaves removal to `cleanup`.
   */
  sweep?: SweepOption;
  /**
   * Hears of each batch of the background sweeper and of `cleanup`, and of their end. It must not
   * throw; what it throws is ignored.
   */
  onSweep?: (event: SweepEvent) => void;
  /**
   * The change feed (SPEC "Changes"): how long changes are kept for watchers that resume with
   * `after`, in ms. Default one hour; a watcher resuming from an older id gets INVALID_INPUT.
   */
  changeFeed?: { retainMs?: number };
}

/**
 * The option names {@link BaseStoreOptions} holds, for a backend that refuses unknown options:
 * its own names plus these, so an option added here is never refused by a backend's check.
 */
export const BASE_STORE_OPTION_NAMES: readonly (keyof BaseStoreOptions)[] = [
  'namespace',
  'ttlMs',
  'maxTaskBytes',
  'onCorrupt',
  'telemetry',
  'retention',
  'sweep',
  'onSweep',
  'changeFeed',
];

/** How long the change feed keeps changes by default: an hour. */
export const DEFAULT_FEED_RETAIN_MS = 3_600_000;

/** A store option that cannot work: CONFIG_INVALID naming the option. */
export function configInvalid(option: string, detail: string): TaskStoreError {
  return taskStoreError('config', 'CONFIG_INVALID', { path: option, detail });
}

/** Checks a namespace by the id rules. @throws TaskStoreConfigError CONFIG_INVALID */
export function checkNamespace(namespace: unknown): string {
  const problem = idProblem(namespace);
  if (problem !== null) throw configInvalid('namespace', problem);
  return namespace as string;
}
