/**
 * The first schema: tasks, the request-id index, status counters and the quarantine. The store's
 * own statements keep the index and the counters in step with the task rows, inside the same
 * `BEGIN IMMEDIATE` transaction as the row (see writes.ts); `verify({ repair: true })` rebuilds
 * them from the rows.
 */
import type { SchemaObject } from './index.js';

export const INIT_OBJECTS: readonly SchemaObject[] = [
  {
    kind: 'table',
    name: 'taskvault_tasks',
    // A rowid table (not WITHOUT ROWID): rows hold whole tasks, up to megabytes, which SQLite
    // keeps best in a rowid table with a separate unique index for the key.
    sql: `CREATE TABLE IF NOT EXISTS taskvault_tasks (
  id         INTEGER PRIMARY KEY,
  namespace  TEXT NOT NULL,
  task_id    TEXT NOT NULL,
  status     TEXT NOT NULL,
  session_id TEXT,
  user_id    TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER,
  version    INTEGER NOT NULL,
  data       TEXT NOT NULL,
  items      TEXT NOT NULL,
  UNIQUE (namespace, task_id)
)`,
  },
  // list, newest or oldest first; keyset on (created_at, task_id)
  {
    kind: 'index',
    name: 'taskvault_tasks_created',
    sql: 'CREATE INDEX IF NOT EXISTS taskvault_tasks_created ON taskvault_tasks (namespace, created_at, task_id)',
  },
  // list and count by status
  {
    kind: 'index',
    name: 'taskvault_tasks_status_created',
    sql: 'CREATE INDEX IF NOT EXISTS taskvault_tasks_status_created ON taskvault_tasks (namespace, status, created_at, task_id)',
  },
  // cleanup by age: the tasks of a status last written before a cutoff are one range
  {
    kind: 'index',
    name: 'taskvault_tasks_status_updated',
    sql: 'CREATE INDEX IF NOT EXISTS taskvault_tasks_status_updated ON taskvault_tasks (namespace, status, updated_at)',
  },
  // expired rows: the sweeper, cleanup, and the expired rows counts subtract from the counters
  // (retired by 0002-live-until, which indexes live_until instead)
  {
    kind: 'index',
    name: 'taskvault_tasks_expiry',
    sql: 'CREATE INDEX IF NOT EXISTS taskvault_tasks_expiry ON taskvault_tasks (namespace, expires_at, status) WHERE expires_at IS NOT NULL',
  },
  {
    kind: 'table',
    name: 'taskvault_requests',
    sql: `CREATE TABLE IF NOT EXISTS taskvault_requests (
  namespace  TEXT NOT NULL,
  request_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  task_id    TEXT NOT NULL,
  PRIMARY KEY (namespace, request_id, created_at, task_id)
) WITHOUT ROWID`,
  },
  // a task's entries, for update (which ids to drop), delete and verify
  {
    kind: 'index',
    name: 'taskvault_requests_task',
    sql: 'CREATE INDEX IF NOT EXISTS taskvault_requests_task ON taskvault_requests (namespace, task_id, request_id)',
  },
  {
    kind: 'table',
    name: 'taskvault_counts',
    sql: `CREATE TABLE IF NOT EXISTS taskvault_counts (
  namespace TEXT NOT NULL,
  status    TEXT NOT NULL,
  n         INTEGER NOT NULL,
  PRIMARY KEY (namespace, status)
) WITHOUT ROWID`,
  },
  {
    kind: 'table',
    name: 'taskvault_quarantine',
    sql: `CREATE TABLE IF NOT EXISTS taskvault_quarantine (
  id             INTEGER PRIMARY KEY,
  namespace      TEXT NOT NULL,
  task_id        TEXT NOT NULL,
  reason         TEXT NOT NULL,
  quarantined_at INTEGER NOT NULL,
  row_data       TEXT NOT NULL
)`,
  },
];
