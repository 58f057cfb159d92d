/**
 * Retention (SPEC "Retention"): each task row gets its live-until instant, the earlier of its
 * `expires_at` and its retention deadline, which every read, count and sweep checks instead of
 * `expires_at`; the expiry index moves to it. Rows written before hold no retention deadline, so
 * their live-until is their `expires_at`, filled in by this migration in the same transaction.
 * The namespace's sweep lease (one row per namespace) lives in the file too.
 */
import type { SchemaObject } from './index.js';

export const LIVE_UNTIL_OBJECTS: readonly SchemaObject[] = [
  {
    kind: 'column',
    name: 'taskvault_tasks.live_until',
    // epoch ms, NULL while the task has neither an expiry nor a retention deadline
    sql: 'ALTER TABLE taskvault_tasks ADD COLUMN live_until INTEGER',
    // rows that held no retention deadline: live until they expire (a no-op on a fresh file)
    fill: 'UPDATE taskvault_tasks SET live_until = expires_at WHERE live_until IS NULL AND expires_at IS NOT NULL',
  },
  // what is past live-until: the sweeper, cleanup, and the rows counts subtract from the counters
  {
    kind: 'index',
    name: 'taskvault_tasks_live_until',
    sql: 'CREATE INDEX IF NOT EXISTS taskvault_tasks_live_until ON taskvault_tasks (namespace, live_until, status) WHERE live_until IS NOT NULL',
  },
  {
    kind: 'table',
    name: 'taskvault_sweep_lease',
    // holder NULL: given up (the token stays, so the next holder's is larger still)
    sql: `CREATE TABLE IF NOT EXISTS taskvault_sweep_lease (
  namespace  TEXT NOT NULL PRIMARY KEY,
  holder     TEXT,
  token      INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID`,
  },
];

/** What this migration replaces: the index on `expires_at` (nothing reads it any more). */
export const LIVE_UNTIL_RETIRED: readonly SchemaObject[] = [
  {
    kind: 'index',
    name: 'taskvault_tasks_expiry',
    sql: 'DROP INDEX IF EXISTS taskvault_tasks_expiry',
  },
];
