/**
 * `taskvault copy`: the export walk of one store piped into `restore` of another, in bounded
 * memory (one page of the walk, one batch of the restore), resumable like import.
 */
import type { RestoreConflict, RestoreReport, TaskStore } from '@taskvault/core';
import { type WalkFilter, walkTasks } from '../walk.js';

/** Options of {@link copyTasks}. */
export interface CopyOptions extends WalkFilter {
  /** Default `'skip'`, so a stopped copy resumes when run again. */
  onConflict?: RestoreConflict;
  batchSize?: number;
  onProgress?: (report: RestoreReport & { read: number }) => void;
}

/** What a copy did. */
export interface CopySummary extends RestoreReport {
  /** Tasks read from the source. */
  read: number;
}

/**
 * Copies every matching task of `from` into `to`, exactly.
 * @throws TaskQueryError from the source walk; TaskCreateError from the target's restore.
 */
export async function copyTasks(
  from: TaskStore,
  to: TaskStore,
  options: CopyOptions = {},
): Promise<CopySummary> {
  let read = 0;
  async function* counted() {
    for await (const task of walkTasks(from, options)) {
      read++;
      yield task;
    }
  }
  const report = await to.restore(counted(), {
    onConflict: options.onConflict ?? 'skip',
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.onProgress !== undefined
      ? { onProgress: (p: RestoreReport) => options.onProgress?.({ ...p, read }) }
      : {}),
  });
  return { ...report, read };
}
