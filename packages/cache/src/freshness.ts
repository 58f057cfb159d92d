/**
 * When a change makes a held task stale. Versions alone do not say it: they start again at 1
 * when a task is deleted and created anew, and a restore writes the version it is given. A
 * change leaves a held task fresh only when it is a write the task already contains: a created
 * or updated change of a lower version, or of the same version and status made at (about) the
 * task's `updatedAt` — a change's `at` is the writer's clock at the write, which some backends
 * read a moment after the task's `updatedAt`, so "about" is {@link SAME_WRITE_MS}. A removal, a
 * later version, or a same-numbered version written at another time (a restore of an older copy)
 * evicts. Every removal comes as a change before any change of a new task on the same id (or the
 * old one is past its expiry, which a hit checks), so a lower version always belongs to the held
 * task's own past. A wrong "stale" costs one read of the store; a wrong "fresh" would be a stale
 * answer, so every doubt evicts.
 */
import type { AgentTask, TaskChangeType } from '@taskvault/core';

/** How far a change's `at` may be from the task's `updatedAt` and still be the same write, ms. */
export const SAME_WRITE_MS = 1000;

/** What a freshness check needs of a change (a feed change, or a write this process made). */
export interface ChangeMark {
  type: TaskChangeType;
  version: number;
  status: string;
  /** Epoch ms of the change (a write's `updatedAt`). */
  at: number;
}

/** True when `task` already contains `change` (so the change leaves it fresh). */
export function contains(task: AgentTask, change: ChangeMark): boolean {
  if (change.type === 'deleted' || change.type === 'expired') return false;
  if (change.version < task.version) return true;
  return (
    change.version === task.version &&
    change.status === task.status &&
    Math.abs(change.at - task.updatedAt.getTime()) <= SAME_WRITE_MS
  );
}
