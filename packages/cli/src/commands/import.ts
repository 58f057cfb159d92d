/**
 * `taskvault import`: NDJSON lines streamed into `store.restore`. A line that is not a task stops
 * the import with its line number; nothing of it (or of the batch it was in) is written, and the
 * batches before it stay. With the default `--on-conflict skip`, running the same command again
 * resumes: what landed is skipped.
 */
import type { Readable } from 'node:stream';
import type { AgentTask, RestoreConflict, RestoreReport, TaskStore } from '@taskvault/core';
import { CliError } from '../errors.js';
import { readLines } from '../lines.js';
import { LineProblem, lineToTask } from '../ndjson.js';
import { Positions } from '../positions.js';

/** What an import did, with the lines it read. */
export interface ImportSummary extends Omit<RestoreReport, 'elapsedMs'> {
  lines: number;
  elapsedMs: number;
}

/** Options of {@link importTasks}. */
export interface ImportOptions {
  /** Default `'skip'`: a re-run after a stop resumes instead of failing on what landed. */
  onConflict?: RestoreConflict;
  batchSize?: number;
  /** Called after every batch with the totals so far. */
  onProgress?: (report: RestoreReport) => void;
}

/** The tasks of NDJSON `input`, blank lines skipped; a line that is not a task throws with its number. */
async function* tasksOf(
  input: Readable,
  index: Positions<number>,
  counter: { lines: number },
): AsyncGenerator<AgentTask> {
  for await (const { number, text } of readLines(input)) {
    counter.lines = number;
    if (text.trim() === '') continue;
    let task: AgentTask;
    try {
      task = lineToTask(text);
    } catch (error) {
      if (error instanceof LineProblem)
        throw new CliError('INVALID_INPUT', `line ${number}: ${error.message}`);
      throw error;
    }
    index.add(number);
    yield task;
  }
}

/**
 * Restores every task of NDJSON `input` into `store`, exactly (createdAt, updatedAt, version and
 * expiresAt kept), holding one batch at a time.
 * @throws CliError INVALID_INPUT `line <n>: <field>: <why>`; TaskCreateError TASK_EXISTS (with
 *   `'fail'`), BACKEND_UNAVAILABLE.
 */
export async function importTasks(
  store: TaskStore,
  input: Readable,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const index = new Positions<number>();
  const counter = { lines: 0 };
  let sofar: RestoreReport | undefined;
  try {
    const report = await store.restore(tasksOf(input, index, counter), {
      onConflict: options.onConflict ?? 'skip',
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      onProgress: (p) => {
        sofar = p;
        options.onProgress?.(p);
      },
    });
    return { ...report, lines: counter.lines };
  } catch (error) {
    const written = sofar === undefined ? 0 : sofar.restored + sofar.replaced;
    const resume = `${written} task(s) in earlier batches were written; fix it and run the same command again (tasks already there are skipped)`;
    if (error instanceof CliError) throw new CliError(error.code, `${error.message}; ${resume}`);
    const at = index.locate(error);
    if (at !== undefined) {
      throw new CliError(
        'INVALID_INPUT',
        `line ${at.origin ?? '?'}${at.field ? `: ${at.field}` : ''}: ${at.reason}; nothing of that line was written; ${resume}`,
        { cause: error },
      );
    }
    throw error;
  }
}
