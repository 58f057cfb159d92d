/**
 * What both legacy imports share: records read from the source in bounded batches, turned into
 * tasks, and restored; a record that cannot become a task names its source key and field, and
 * stops the import unless `--skip-invalid` (then it is counted and listed). Default conflict
 * handling is `skip`, so an import stopped half-way resumes when run again.
 */
import {
  type AgentTask,
  DEFAULT_MAX_TASK_BYTES,
  isTaskStoreError,
  type RestoreConflict,
  type RestoreReport,
  type TaskStore,
} from '@taskvault/core';
import { MAX_RESTORE_BATCH, validateRestoredTask } from '@taskvault/core/adapter';
import { CliError } from '../errors.js';
import { Positions } from '../positions.js';
import { LegacyProblem } from './problem.js';

/** One source record: where it is (a Redis key, a table row id) and how to make it a task. */
export interface LegacyRecord {
  origin: string;
  toTask(): AgentTask;
}

/** Options every legacy import takes. */
export interface LegacyImportOptions {
  /** `'skip'` (default) or `'replace'`. */
  onConflict?: Exclude<RestoreConflict, 'fail'>;
  batchSize?: number;
  /** Skip records that cannot become tasks (counted, the first ones listed) instead of stopping. */
  skipInvalid?: boolean;
  onProgress?: (report: RestoreReport & { read: number }) => void;
}

/** What a legacy import did. */
export interface LegacyImportSummary extends RestoreReport {
  /** Source records read. */
  read: number;
  /** Records skipped as invalid (with `skipInvalid`). */
  invalid: number;
  /** The first invalid records, `origin: field: why`. */
  invalidRecords: string[];
}

const LISTED = 20;

/** A store check's rejection of a record, in the record's own terms (no `tasks[0]` prefix). */
function asProblem(error: unknown): LegacyProblem {
  if (error instanceof LegacyProblem) return error;
  if (!isTaskStoreError(error, 'INVALID_INPUT')) throw error;
  const field = (error.path ?? '').replace(/^tasks\[0\]\.?/, '') || 'task';
  return new LegacyProblem(field, error.message.replace(/^tasks\[0\][^:]*: /, ''));
}

/**
 * Restores the tasks of `records` into `store`.
 * @throws CliError INVALID_INPUT naming the record and field; TaskCreateError from restore.
 */
export async function restoreLegacy(
  store: TaskStore,
  records: AsyncIterable<LegacyRecord>,
  options: LegacyImportOptions = {},
): Promise<LegacyImportSummary> {
  const positions = new Positions<string>();
  const summary = { read: 0, invalid: 0, invalidRecords: [] as string[] };
  // A source can return a record twice (Redis SCAN during a rehash): drop a repeat within reach
  // of one batch; one further apart meets `skip`/`replace` in the store, which absorb it.
  const recent = new Set<string>();
  const order: string[] = [];
  async function* tasks(): AsyncGenerator<AgentTask> {
    for await (const record of records) {
      summary.read++;
      let task: AgentTask;
      try {
        task = record.toTask();
        // The store's own checks, per record, so a bad one is named (and skippable) by itself
        // rather than failing the batch it would land in. The target's size limit still applies.
        validateRestoredTask(task, 0, { maxTaskBytes: DEFAULT_MAX_TASK_BYTES });
      } catch (caught) {
        const error = asProblem(caught);
        if (!options.skipInvalid) {
          throw new CliError(
            'INVALID_INPUT',
            `${record.origin}: ${error.message}; nothing of it was written (--skip-invalid skips such records)`,
          );
        }
        summary.invalid++;
        if (summary.invalidRecords.length < LISTED)
          summary.invalidRecords.push(`${record.origin}: ${error.message}`);
        continue;
      }
      if (recent.has(task.taskId)) continue;
      recent.add(task.taskId);
      order.push(task.taskId);
      if (order.length > 2 * MAX_RESTORE_BATCH) recent.delete(order.shift()!);
      positions.add(record.origin);
      yield task;
    }
  }
  try {
    const report = await store.restore(tasks(), {
      onConflict: options.onConflict ?? 'skip',
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      onProgress: (p) => options.onProgress?.({ ...p, read: summary.read }),
    });
    return { ...report, ...summary };
  } catch (error) {
    const at = positions.locate(error);
    if (at === undefined) throw error;
    throw new CliError(
      'INVALID_INPUT',
      `${at.origin ?? '(unknown record)'}: ${at.field ? `${at.field}: ` : ''}${at.reason}; nothing of its batch was written; run the same command again once it is fixed`,
      { cause: error },
    );
  }
}
