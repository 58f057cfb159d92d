/**
 * Writing the change feed: each write records its changes as rows of `taskvault_changes` inside
 * its own transaction (see `NamespaceTable.write`), and the same transaction trims the namespace's
 * oldest changes when some are past the feed's retention. Trimming deletes a prefix of the
 * namespace's changes in id order, at most {@link TRIM_BATCH} per write, and notes the highest id
 * it deleted, so a reader can tell a position whose successors are gone (see feed.ts).
 */
import type { TaskChangeType } from '@taskvault/core';
import type Database from 'better-sqlite3';
import type { NamespaceTable, StoredRow } from './table.js';

export type ChangeType = TaskChangeType;

/** What a change says of its task: the row's columns (after the change; for removals, the last). */
export type ChangeSource = Pick<
  StoredRow,
  'task_id' | 'version' | 'status' | 'session_id' | 'user_id' | 'created_at'
>;

/** Changes deleted at most by one write's trimming step. */
export const TRIM_BATCH = 100;

/** Inserts one change row for `source` (the running transaction's). */
export function recordChange(t: NamespaceTable, type: ChangeType, source: ChangeSource, at: number): void {
  t.stmt(
    `INSERT INTO taskvault_changes (namespace, type, task_id, version, status, at, session_id, user_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    t.namespace,
    type,
    source.task_id,
    source.version,
    source.status,
    at,
    source.session_id,
    source.user_id,
    source.created_at,
  );
}

/**
 * Deletes the namespace's oldest changes recorded before `now - retainMs`, up to
 * {@link TRIM_BATCH}, stopping at the first younger one (so what is deleted is always a prefix of
 * the feed), and raises the namespace's trimmed-through mark to the last id deleted. Runs inside a
 * write's transaction. Skipped without a statement until `t.trimDueAt`: after a look, nothing is
 * due before the oldest kept change is past the retention by an eighth of it more, so one pass
 * deletes a stretch of changes at a time rather than one per write.
 */
export function trimChanges(t: NamespaceTable, now: number): void {
  if (now < t.trimDueAt) return;
  const cutoff = now - t.retainMs;
  const oldest = t
    .stmt('SELECT id, at FROM taskvault_changes WHERE namespace = ? ORDER BY id LIMIT ?')
    .all(t.namespace, TRIM_BATCH) as { id: number; at: number }[];
  let through = 0;
  let kept = 0;
  while (kept < oldest.length && oldest[kept]!.at < cutoff) through = oldest[kept++]!.id;
  if (through > 0) {
    t.stmt('DELETE FROM taskvault_changes WHERE namespace = ? AND id <= ?').run(t.namespace, through);
    t.stmt(
      `INSERT INTO taskvault_changes_trimmed (namespace, through) VALUES (?, ?)
       ON CONFLICT (namespace) DO UPDATE SET through = max(through, excluded.through)`,
    ).run(t.namespace, through);
  }
  // a full batch deleted: more may be due, look again at the next write
  t.trimDueAt = kept < oldest.length ? oldest[kept]!.at + t.retainMs + Math.ceil(t.retainMs / 8) : 0;
}

/** Readers waiting on a connection: woken when a write on it commits a change. */
const waiting = new WeakMap<Database.Database, Set<() => void>>();

/** Wakes the readers waiting on `db` (a write on it committed changes). */
export function wakeReaders(db: Database.Database): void {
  const readers = waiting.get(db);
  if (readers === undefined || readers.size === 0) return;
  for (const wake of [...readers]) wake();
}

/** Calls `wake` when a write on `db` commits a change, until the returned function is called. */
export function onCommit(db: Database.Database, wake: () => void): () => void {
  let readers = waiting.get(db);
  if (readers === undefined) {
    readers = new Set();
    waiting.set(db, readers);
  }
  readers.add(wake);
  return () => readers.delete(wake);
}
