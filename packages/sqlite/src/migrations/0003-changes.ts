/**
 * The change feed (SPEC "Changes"): one row per change, written by the same `BEGIN IMMEDIATE`
 * transaction as the write it records, so a write and its change commit together or not at all.
 * `AUTOINCREMENT` makes an id never reused, even after the newest rows are deleted, and since
 * every write holds the file's write lock from its first statement to its commit, ids are handed
 * out in commit order: a reader that sees id n has seen every change below it. Trimming deletes a
 * namespace's oldest changes and notes the highest id it deleted, so a watcher resuming from an
 * id below it is told to re-list instead of missing changes silently.
 */
import type { SchemaObject } from './index.js';

export const CHANGES_OBJECTS: readonly SchemaObject[] = [
  {
    kind: 'table',
    name: 'taskvault_changes_trimmed',
    // the highest change id trimming deleted from the namespace: resuming below it is a gap
    sql: `CREATE TABLE IF NOT EXISTS taskvault_changes_trimmed (
  namespace TEXT NOT NULL PRIMARY KEY,
  through   INTEGER NOT NULL
) WITHOUT ROWID`,
  },
  {
    kind: 'table',
    name: 'taskvault_changes',
    // type: created | updated | deleted | expired; at and created_at in epoch ms; version, status,
    // session_id and user_id are the task's after the change (for removals, the last it had)
    sql: `CREATE TABLE IF NOT EXISTS taskvault_changes (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace  TEXT NOT NULL,
  type       TEXT NOT NULL,
  task_id    TEXT NOT NULL,
  version    INTEGER NOT NULL,
  status     TEXT NOT NULL,
  at         INTEGER NOT NULL,
  session_id TEXT,
  user_id    TEXT,
  created_at INTEGER NOT NULL
)`,
    // Run when the table is made: on a new file it deletes nothing; when `migrate()` re-creates a
    // table dropped behind the store, its ids start again at 1, and marks of the old ids would
    // make every new position look trimmed.
    fill: 'DELETE FROM taskvault_changes_trimmed',
  },
  // a namespace's changes after a position, oldest first (readers), and its oldest (trimming)
  {
    kind: 'index',
    name: 'taskvault_changes_namespace',
    sql: 'CREATE INDEX IF NOT EXISTS taskvault_changes_namespace ON taskvault_changes (namespace, id)',
  },
];
