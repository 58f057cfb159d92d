import type { AgentTask } from '@taskvault/core';

/**
 * One stored task and what its indexes need. The position key (`createdAt`, `taskId`) never
 * changes for the life of a task (update keeps createdAt), so an entry keeps its place in every
 * ordered index; writes swap `task` for a new object instead of mutating the old one.
 */
export interface TaskEntry {
  readonly taskId: string;
  /** `task.createdAt` in epoch ms: the first half of the ordering key. */
  readonly createdAt: number;
  /**
   * The stored task. Never handed out: readers get a copy. Replaced on write; a patch appends to
   * its items array in place (the one part of it a write may change without a copy).
   */
  task: AgentTask;
  /** Serialized size as core counts it, for the `maxTaskBytes` check of `patch`. */
  bytes: number;
  /**
   * When the task stops existing, epoch ms: its expiresAt, or earlier its retention deadline
   * (core's `liveUntil`); null for never. Fixed by the write that stored the task.
   */
  liveUntil: number | null;
  /** Distinct request ids of the task's items, as indexed. */
  requestIds: Set<string>;
  /** False once removed: stale expiry-heap nodes recognise it. */
  live: boolean;
  /**
   * Why the stored task can no longer be read, when it cannot. Memory holds objects, not bytes,
   * so only `NamespaceTable.damage` sets it: it stands in for the storage faults of other
   * backends, so the corrupt-record behaviour is the same — and tested the same — everywhere.
   */
  unreadable?: string;
}
