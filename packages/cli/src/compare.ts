/**
 * `copy --verify`: both stores walked side by side in the one order every backend keeps
 * (createdAt, then taskId in code point order), comparing a SHA-256 of each task's canonical
 * JSON. Memory stays at one page per side, however many tasks there are.
 */
import type { AgentTask, TaskStore } from '@taskvault/core';
import { compareIds } from '@taskvault/core/adapter';
import { taskChecksum } from './ndjson.js';
import { countFor, type WalkFilter, walkTasks } from './walk.js';

/** One difference between the two stores. */
export interface Difference {
  taskId: string;
  kind: 'missing-in-target' | 'extra-in-target' | 'different';
}

/** What a comparison found. */
export interface CompareReport {
  ok: boolean;
  sourceCount: number;
  targetCount: number;
  compared: number;
  missing: number;
  extra: number;
  different: number;
  /** The first differences (at most {@link MAX_LISTED}). */
  differences: Difference[];
}

/** How many differences a report lists; the counts cover all of them. */
export const MAX_LISTED = 20;

function order(a: AgentTask, b: AgentTask): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || compareIds(a.taskId, b.taskId);
}

/**
 * Compares the matching tasks of `source` and `target`: counts, then every task's checksum.
 * @throws TaskQueryError from either walk.
 */
export async function compareStores(
  source: TaskStore,
  target: TaskStore,
  filter: WalkFilter = {},
  onProgress?: (compared: number) => void,
): Promise<CompareReport> {
  const [sourceCount, targetCount] = await Promise.all([countFor(source, filter), countFor(target, filter)]);
  const report: CompareReport = {
    ok: true,
    sourceCount,
    targetCount,
    compared: 0,
    missing: 0,
    extra: 0,
    different: 0,
    differences: [],
  };
  const note = (taskId: string, kind: Difference['kind']) => {
    if (kind === 'missing-in-target') report.missing++;
    else if (kind === 'extra-in-target') report.extra++;
    else report.different++;
    if (report.differences.length < MAX_LISTED) report.differences.push({ taskId, kind });
  };
  const left = walkTasks(source, filter);
  const right = walkTasks(target, filter);
  let a = await left.next();
  let b = await right.next();
  while (!a.done || !b.done) {
    const cmp = a.done ? 1 : b.done ? -1 : order(a.value, b.value);
    if (cmp < 0 && !a.done) {
      note(a.value.taskId, 'missing-in-target');
      a = await left.next();
    } else if (cmp > 0 && !b.done) {
      note(b.value.taskId, 'extra-in-target');
      b = await right.next();
    } else if (!a.done && !b.done) {
      if (taskChecksum(a.value) !== taskChecksum(b.value)) note(a.value.taskId, 'different');
      report.compared++;
      onProgress?.(report.compared);
      [a, b] = await Promise.all([left.next(), right.next()]);
    }
  }
  report.ok =
    report.missing === 0 && report.extra === 0 && report.different === 0 && sourceCount === targetCount;
  return report;
}
