/** `taskvault export`: every task of a namespace as NDJSON, by a consistent cursor walk. */
import type { Writable } from 'node:stream';
import type { TaskStore } from '@taskvault/core';
import { write } from '../io.js';
import { taskToLine } from '../ndjson.js';
import { type WalkFilter, walkTasks } from '../walk.js';

/** What an export wrote. */
export interface ExportSummary {
  exported: number;
  elapsedMs: number;
}

/** Options of {@link exportTasks}. */
export interface ExportOptions extends WalkFilter {
  /** Called after every task with the number written so far. */
  onProgress?: (exported: number) => void;
}

/**
 * Writes every matching task of `store` to `out`, one NDJSON line each, waiting for `out` to
 * drain so memory stays at one page whatever the size of the namespace.
 * @throws TaskQueryError from the walk; the stream's own write errors.
 */
export async function exportTasks(
  store: TaskStore,
  out: Writable,
  options: ExportOptions = {},
): Promise<ExportSummary> {
  const started = Date.now();
  let exported = 0;
  for await (const task of walkTasks(store, options)) {
    const waiting = write(out, `${taskToLine(task)}\n`);
    if (waiting !== undefined) await waiting;
    exported++;
    options.onProgress?.(exported);
  }
  return { exported, elapsedMs: Date.now() - started };
}
