/**
 * Writes over many tasks, in bounded batches: each batch is one short `BEGIN IMMEDIATE`
 * transaction, so other connections (and other processes) get the write lock between batches
 * and a cleanup of a million tasks never holds it for long. "Dead" rows are those past their
 * live-until instant (expired, or past their retention).
 */
import { ACTIVE_STATUSES, TERMINAL_STATUSES } from '@taskvault/core';
import { CorruptRecord } from '@taskvault/core/adapter';
import { taskFromRow } from './rows.js';
import { isLive, type NamespaceTable, VICTIM_COLUMNS, type Victim } from './table.js';

/** Rows per batch of cleanup and clear. */
export const BATCH_ROWS = 500;

/**
 * Moves the row of `taskId` aside if it still holds no task (a writer may have replaced it since
 * it was read); returns true when it did.
 */
export function moveAside(t: NamespaceTable, taskId: string, detail: string, now: number): boolean {
  return t.write(() => {
    const row = t.find(taskId);
    if (row === undefined) return false;
    try {
      taskFromRow(row);
      return false;
    } catch (error) {
      if (!(error instanceof CorruptRecord)) throw error;
      t.quarantine(row, detail, now);
      return true;
    }
  });
}

/** A row to remove, and the change its removal is: `expired` past its live-until, else `deleted`. */
type Doomed = Victim & { live_until: number | null };

/**
 * Removes the rows `select` picks, batch by batch, until it picks none; returns how many.
 * `onBatch` hears of each batch that removed some.
 */
function removeInBatches(
  t: NamespaceTable,
  now: number,
  select: () => Doomed[],
  onBatch: (removed: number) => void = () => {},
): number {
  let removed = 0;
  for (;;) {
    const n = t.write(() => {
      const rows = select();
      for (const row of rows) t.remove(row, isLive(row.live_until, now) ? 'deleted' : 'expired', now);
      return rows.length;
    });
    removed += n;
    if (n > 0) onBatch(n);
    if (n < BATCH_ROWS) break;
  }
  return removed;
}

/** Up to `limit` rows past their live-until at `now` (a range of the live-until index). */
export function deadRows(t: NamespaceTable, now: number, limit: number): Doomed[] {
  return t
    .stmt(
      `SELECT ${VICTIM_COLUMNS}, live_until FROM taskvault_tasks
       WHERE namespace = ? AND live_until IS NOT NULL AND live_until <= ? LIMIT ?`,
    )
    .all(t.namespace, now, limit) as Doomed[];
}

/**
 * `cleanup`: dead rows first, then, status by status, rows last written before `cutoff` (a range
 * of the (status, updated_at) index); active statuses only with `includeActive`. `onBatch` hears
 * of each batch that removed some.
 */
export function cleanupRows(
  t: NamespaceTable,
  cutoff: number,
  includeActive: boolean,
  now: number,
  onBatch?: (removed: number) => void,
): number {
  let removed = removeInBatches(t, now, () => deadRows(t, now, BATCH_ROWS), onBatch);
  const select = t.stmt(
    `SELECT ${VICTIM_COLUMNS}, live_until FROM taskvault_tasks
     WHERE namespace = ? AND status = ? AND updated_at < ? LIMIT ${BATCH_ROWS}`,
  );
  const statuses = includeActive ? [...TERMINAL_STATUSES, ...ACTIVE_STATUSES] : TERMINAL_STATUSES;
  for (const status of statuses) {
    removed += removeInBatches(t, now, () => select.all(t.namespace, status, cutoff) as Doomed[], onBatch);
  }
  return removed;
}

/** `clear`: every row of the namespace (a `deleted` change each; `expired` for the dead); returns how many were live. */
export function clearRows(t: NamespaceTable, now: number): number {
  const select = t.stmt(
    `SELECT ${VICTIM_COLUMNS}, live_until FROM taskvault_tasks WHERE namespace = ? LIMIT ${BATCH_ROWS}`,
  );
  let live = 0;
  removeInBatches(t, now, () => {
    const rows = select.all(t.namespace) as Doomed[];
    for (const row of rows) if (isLive(row.live_until, now)) live++;
    return rows;
  });
  // Counter rows of statuses no task has any more: nothing to keep.
  t.write(() => {
    t.stmt('DELETE FROM taskvault_counts WHERE namespace = ? AND n = 0').run(t.namespace);
  });
  return live;
}
