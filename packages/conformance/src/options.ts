import type {
  CorruptRecordReport,
  RetentionOption,
  StoreTelemetryOption,
  SweepEvent,
  SweepOption,
  TaskStore,
} from '@taskvault/core';

/** What the suite asks a store factory for. Every call wants a new store instance. */
export interface StoreFactoryOptions {
  /** A namespace no other test uses (random suffix); the store must keep to it. */
  namespace: string;
  /** Default TTL of new tasks in ms; `null` or absent for none. */
  ttlMs?: number | null;
  /** Largest serialized task the store accepts; absent for the default (8 MiB). */
  maxTaskBytes?: number;
  /** Hears of records the store moved aside; absent for the store's default. */
  onCorrupt?: (report: CorruptRecordReport) => void;
  /** Where the store reports spans and metrics; absent for the store's default. */
  telemetry?: StoreTelemetryOption;
  /** Retention per terminal status; absent for none. */
  retention?: RetentionOption | null;
  /** The background sweeper (`false`, `true` or settings); absent for the store's default. */
  sweep?: SweepOption;
  /** Hears of sweeper and cleanup batches; absent for none. */
  onSweep?: (event: SweepEvent) => void;
  /** The change feed's settings; absent for the store's default. */
  changeFeed?: { retainMs?: number };
}

/** How {@link describeTaskStore} builds, and throws away, the stores it tests. */
export interface DescribeTaskStoreOptions {
  /** Used in the `describe()` titles. */
  name: string;
  /** Builds a NEW store instance on each call, scoped to `options.namespace`. */
  create(options: StoreFactoryOptions): TaskStore | Promise<TaskStore>;
  /**
   * Throws away a store a test made, once the test is over; called for every store, including
   * ones the test closed. Default: `clear()` then `close()`; for a store the test closed, a new
   * store on the same namespace is made to clear it, so nothing is left on a shared server.
   */
  destroy?(store: TaskStore): Promise<void>;
  /**
   * Makes the stored record of `taskId` unreadable behind the store's back (unparseable or of the
   * wrong shape), as a disk fault or a stray write would. With it, the suite checks the
   * corrupt-record behaviour and `verify`'s report of it; without it those cases are skipped and
   * say so. Every bundled backend supplies it.
   */
  damage?(store: TaskStore, taskId: string): Promise<void>;
  /**
   * Whether two stores made on the same namespace share its tasks, as stores on one server do.
   * Default true; false (a store whose tasks are private to the instance) skips, saying why, the
   * cases that need two stores on one namespace.
   */
  sharedNamespaces?: boolean;
  /**
   * Whether the store answers `load` and `loadByRequestId` from an in-process cache in front of a
   * backend (as `@taskvault/cache`'s `withCache` does). Default false; true skips, saying why, the
   * telemetry cases that count a backend's spans call by call, as a read served from memory
   * reaches no backend.
   */
  cachedReads?: boolean;
  /** vitest timeout per test, in ms; default 20000. */
  timeoutMs?: number;
  /** fast-check runs of each property test; default 50. */
  numRuns?: number;
}

/** Options with their defaults filled in. */
export interface SuiteOptions extends DescribeTaskStoreOptions {
  timeoutMs: number;
  numRuns: number;
  sharedNamespaces: boolean;
  cachedReads: boolean;
}

export function withDefaults(options: DescribeTaskStoreOptions): SuiteOptions {
  return {
    ...options,
    timeoutMs: options.timeoutMs ?? 20_000,
    numRuns: options.numRuns ?? 50,
    sharedNamespaces: options.sharedNamespaces ?? true,
    cachedReads: options.cachedReads ?? false,
  };
}
