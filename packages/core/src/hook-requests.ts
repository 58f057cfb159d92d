/**
 * What `TaskStoreBase` hands an adapter's hooks: each request is checked input, ready for one
 * server-side step.
 */
import type { RestoredTask } from './restore.js';
import type { RestoreConflict } from './task.js';
import type { NormalizedPatch, PatchSize, TaskReplacement } from './validate.js';
import type { VerifyCollector } from './verify.js';

/** A checked `update`: what to store and the version it must replace (`null` when forced). */
export interface ReplaceRequest {
  replacement: TaskReplacement;
  expectedVersion: number | null;
  now: Date;
  bytes: number;
}

/** A checked `patch`. */
export interface PatchRequest {
  taskId: string;
  patch: NormalizedPatch;
  expectedVersion: number | null;
  now: Date;
  /** What the patch's items and data members add, before what they replace (see `size`). */
  bytes: number;
  /** The exact size parts of the patch, for the backend's size check on the server. */
  size: PatchSize;
}

/** One batch of a checked `restore`: tasks whose expiry has not passed, in the order given. */
export interface RestoreRequest {
  tasks: RestoredTask[];
  onConflict: RestoreConflict;
  now: Date;
}

/** What an adapter did with one `restore` batch. */
export interface RestoreBatchResult {
  restored: number;
  replaced: number;
  skipped: number;
  /** With `onConflict: 'fail'`: the id of the live task that stopped the batch (nothing from it on was written). */
  conflict: string | null;
}

/** A checked `verify`: what the adapter's walk gets. */
export interface VerifyRequest {
  repair: boolean;
  /** Tasks per server step. */
  batchSize: number;
  now: Date;
  /** Where the walk records what it checked and found. */
  report: VerifyCollector;
}

/** A checked `cleanup`. */
export interface CleanupRequest {
  /** Tasks with updatedAt strictly before this epoch-ms instant go. */
  cutoff: number;
  includeActive: boolean;
  now: Date;
  /** Call after each batch with what it removed: the store reports progress through `onSweep`. */
  onBatch: (removed: number) => void;
}

/** A request for the namespace's sweep lease. */
export interface SweepLeaseRequest {
  /** Who asks: unique per store instance. */
  holder: string;
  /** How long the lease lasts from now unless renewed, ms. */
  leaseMs: number;
}

/** One batch of the background sweeper, under the lease's fencing token. */
export interface SweepBatchRequest {
  holder: string;
  /** The fencing token `acquireSweepLease` returned: the batch must not run once it is stale. */
  token: number;
  /** Tasks to delete at most. */
  limit: number;
  now: Date;
}
