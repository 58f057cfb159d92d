/**
 * Kysely's view of the tables. Queries use these logical names (`tasks`, `task_requests`, ...);
 * {@link TableNamesPlugin} rewrites them to the configured schema and prefix at compile time, so
 * the typed query layer stays the same whatever the tables are called.
 */
import type { ColumnType } from 'kysely';

/** An int8 column: parsed to a JS number by the driver (every value fits in 2^53). */
type Int8 = ColumnType<number, number, number>;
/** A jsonb column: written as JSON text, read back parsed. */
type Jsonb = ColumnType<unknown, string, string>;

/** One row per task. */
export interface TasksTable {
  namespace: string;
  /** `COLLATE "C"`: ties on created_at order by code point. */
  task_id: string;
  status: string;
  session_id: string | null;
  user_id: string | null;
  /** Epoch milliseconds. */
  created_at: Int8;
  updated_at: Int8;
  expires_at: ColumnType<number | null, number | null, number | null>;
  /**
   * `updated_at` + the retention of the task's status, epoch ms; null when none applies. The
   * task's live-until instant is the earlier of this and `expires_at` (migration 0004).
   */
  retain_until: ColumnType<number | null, number | null, number | null>;
  version: Int8;
  /** Distinct request ids of `items`, in first-seen order; the triggers keep `task_requests` equal to it. */
  request_ids: ColumnType<string[], string[], string[]>;
  /** The application's own fields: a JSON object. */
  data: Jsonb;
  /** The item history: a JSON array of `{ requestId, role, content, createdAt }`. */
  items: Jsonb;
  /** Exact bytes of the task's serialized stored form; null when not known yet (see sizes.ts). */
  bytes: ColumnType<number | null, number | null, number | null>;
  /** `{ key: bytes of the data member "key":value }`; null exactly when `bytes` is. */
  data_sizes: Jsonb;
}

/** One row per (task, distinct request id), maintained by triggers on `tasks`. */
export interface TaskRequestsTable {
  namespace: string;
  request_id: string;
  /** The task's created_at, so the earliest task holding a request id is the first index entry. */
  created_at: Int8;
  task_id: string;
}

/** Per-namespace task counts by status, striped over a few slots to spread row-lock contention. */
export interface TaskCountsTable {
  namespace: string;
  slot: number;
  pending: Int8;
  running: Int8;
  paused: Int8;
  completed: Int8;
  failed: Int8;
  cancelled: Int8;
}

/** Rows that could not be read, moved aside for inspection. */
export interface TaskQuarantineTable {
  id: ColumnType<number, never, never>;
  namespace: string;
  task_id: string;
  reason: string;
  quarantined_at: ColumnType<string, never, never>;
  row_data: Jsonb;
}

/** The sweep lease of each namespace that has had a sweeper (migration 0004). */
export interface SweepLeasesTable {
  namespace: string;
  /** The store instance holding (or that last held) the lease. */
  holder: string;
  /** The fencing token: grows each time the lease changes hands. */
  token: Int8;
  /** When the lease runs out, by the server's clock. */
  expires_at: ColumnType<Date, Date, Date>;
}

/** The logical database. */
export interface TaskvaultDatabase {
  tasks: TasksTable;
  task_requests: TaskRequestsTable;
  task_counts: TaskCountsTable;
  task_quarantine: TaskQuarantineTable;
  sweep_leases: SweepLeasesTable;
}

/** The logical table names, as used in queries. */
export const LOGICAL_TABLES = [
  'tasks',
  'task_requests',
  'task_counts',
  'task_quarantine',
  'sweep_leases',
] as const;
export type LogicalTable = (typeof LOGICAL_TABLES)[number];
