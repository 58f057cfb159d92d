/**
 * `verify` for the memory store: walks the tasks in batches (yielding between them, so other
 * calls run) and checks that every index holds exactly what the tasks say. Each batch runs
 * without awaiting, so it sees one consistent state, as a server-side step would.
 */
import type { VerifyRequest } from '@taskvault/core/adapter';
import type { TaskEntry } from './entry.js';
import type { NamespaceTable } from './namespace-table.js';
import type { OrderedIndex } from './ordered-index.js';

/** Called for each unreadable record found, to move it aside and report it. */
export type MoveAside = (entry: TaskEntry) => void;

export async function verifyTable(
  table: NamespaceTable,
  request: VerifyRequest,
  moveAside: MoveAside,
): Promise<void> {
  const { report, repair, batchSize } = request;
  const ids = [...table.tasks.keys()];
  let rebuild = false;
  for (let start = 0; start < ids.length; start += batchSize) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    let checked = 0;
    for (const taskId of ids.slice(start, start + batchSize)) {
      const entry = table.tasks.get(taskId);
      if (entry === undefined) continue; // removed since the walk began
      checked++;
      if (entry.unreadable !== undefined) {
        report.problem({ kind: 'corrupt-record', taskId, index: null, detail: entry.unreadable }, repair);
        if (repair) moveAside(entry);
        continue;
      }
      for (const problem of entryProblems(table, entry)) {
        report.problem({ ...problem, taskId }, repair);
        rebuild = true;
      }
    }
    report.checked(checked);
  }
  for (const problem of orphanProblems(table)) {
    report.problem(problem, repair);
    rebuild = true;
  }
  if (repair && rebuild) table.rebuildIndexes();
}

type Found = { kind: 'missing-index-entry'; index: string; detail: string };

function entryProblems(table: NamespaceTable, entry: TaskEntry): Found[] {
  const found: Found[] = [];
  if (!holds(table.all, entry)) {
    found.push({ kind: 'missing-index-entry', index: 'list', detail: 'not in the list order' });
  }
  if (!holds(table.byStatus[entry.task.status], entry)) {
    found.push({
      kind: 'missing-index-entry',
      index: 'status',
      detail: `not under status ${entry.task.status}`,
    });
  }
  for (const item of entry.task.items) {
    const holders = table.byRequestId.get(item.requestId);
    if (holders !== entry && !(holders instanceof Set && holders.has(entry))) {
      found.push({
        kind: 'missing-index-entry',
        index: 'request-id',
        detail: `request id ${JSON.stringify(item.requestId)} does not lead to it`,
      });
    }
  }
  return found;
}

/** Whether an ordered index holds this entry at its place: a binary search, not a scan. */
function holds(index: OrderedIndex, entry: TaskEntry): boolean {
  return index.entries[index.firstAfterOrAt(entry)] === entry;
}

function orphanProblems(table: NamespaceTable) {
  const found: {
    kind: 'orphan-index-entry' | 'count-mismatch';
    taskId: string | null;
    index: string;
    detail: string;
  }[] = [];
  const stale = (entry: TaskEntry) => !entry.live || table.tasks.get(entry.taskId) !== entry;
  for (const entry of table.all.entries) {
    if (stale(entry))
      found.push({ kind: 'orphan-index-entry', taskId: entry.taskId, index: 'list', detail: 'no such task' });
  }
  let statusTotal = 0;
  for (const [status, index] of Object.entries(table.byStatus)) {
    statusTotal += index.size;
    for (const entry of index.entries) {
      if (stale(entry) || entry.task.status !== status) {
        found.push({
          kind: 'orphan-index-entry',
          taskId: entry.taskId,
          index: 'status',
          detail: `listed under ${status}`,
        });
      }
    }
  }
  for (const [requestId, holders] of table.byRequestId) {
    for (const entry of holders instanceof Set ? holders : [holders]) {
      if (stale(entry) || !entry.requestIds.has(requestId)) {
        found.push({
          kind: 'orphan-index-entry',
          taskId: entry.taskId,
          index: 'request-id',
          detail: `request id ${JSON.stringify(requestId)} leads to a task that does not hold it`,
        });
      }
    }
  }
  if (statusTotal !== table.tasks.size) {
    found.push({
      kind: 'count-mismatch',
      taskId: null,
      index: 'status',
      detail: `status indexes hold ${statusTotal} tasks, the namespace ${table.tasks.size}`,
    });
  }
  return found;
}
