/**
 * What the write statements (insert.ts, replace.ts, patch.ts, delete.ts) share: the CTE that adds
 * request-id rows, the counter move of a status change, the status guard, `version + 1`, and
 * what a versioned write reports.
 *
 * Every write is ONE statement, so it is one round trip and one transaction: the task row, its
 * request-id rows and the status counters change together or not at all. Version checks sit in
 * the statement, never in a read-then-write in Node.
 *
 * Each write first tries a lean statement for its common case, which applies only when its
 * guard holds and otherwise changes nothing; only then the general statement runs, which handles
 * every case and tells why a write was refused. At most one of the two applies the write, and
 * the lean one never leaves anything half done (it is one statement too):
 * - `create`: a plain insert, for an id that has no row. The general one also replaces an
 *   expired row with the id.
 * - `update` and `patch`: an UPDATE of the row guarded by "the status stays and no request id
 *   comes or goes", so neither the counters nor the request-id index move (and the hand-written
 *   SQL triggers skip it by their WHEN clause). PostgreSQL re-checks the WHERE on the newest
 *   row version when a concurrent writer got there first, so the guard, the version check and
 *   the size check hold for the version actually written.
 * Why: PostgreSQL sets up the whole plan of a statement on every execution, CTEs that end up
 * doing nothing included, and for the general statements that set-up cost about as much server
 * time as running them. The lean update costs about what a plain UPDATE by primary key costs.
 *
 * The general `update` and `patch` lock the row in a first CTE (`SELECT ... FOR UPDATE`). In
 * READ COMMITTED that returns the newest committed version of the row, so the version reported
 * on conflict, the old status the counters move from, the merged data the size check measures,
 * and the row the UPDATE writes are all the same one.
 */
import { type Expression, type QueryCreator, sql } from 'kysely';
import type { TaskvaultDatabase } from '../schema.js';
import { counterSlot, statusDeltas, upsertCounters } from './counters.js';

/** Outcome of a versioned write: the new row, or why there is none. */
export type WriteOutcome<T> =
  | { kind: 'written'; row: T }
  | { kind: 'missing' }
  | { kind: 'conflict'; actualVersion: number }
  | { kind: 'too-large'; bytes: number }
  /** The stored row is not a task: nothing was written (the caller quarantines it). */
  | { kind: 'corrupt' };

/** `version + 1`: every write's new version. */
export const nextVersion = sql<number>`${sql.ref('tasks.version')} + 1`;

/**
 * The guard "the stored status is `status`", written so that no index can serve it. As a plain
 * `status = $1` next to the key, the planner can take the (namespace, status, created_at,
 * task_id) index for three equalities against the primary key's two, and walk every task of
 * that status to find the one id (seen on small tables, where both look like one row).
 */
export function statusStays(status: string) {
  return sql<boolean>`${sql.ref('tasks.status')} is not distinct from ${status}::text`;
}

/** The columns of a request-id row, in order. */
const REQUEST_COLUMNS = ['namespace', 'request_id', 'created_at', 'task_id'] as const;

/** The request-id rows a write adds: one per id of `requestIds` for each row of `from`. */
export interface RequestRows {
  /** The CTEs selected from, the one holding the written task row first: no row, no rows added. */
  from: readonly string[];
  namespace: string;
  taskId: Expression<string>;
  createdAt: Expression<number>;
  requestIds: Expression<string[]>;
}

/**
 * `INSERT INTO task_requests SELECT ... FROM <from>, unnest(requestIds)`: the CTE every write
 * adds its request-id rows with. `onDuplicate: 'fail'` is a plain INSERT (cheaper; a duplicate
 * undoes the statement), `'skip'` adds `ON CONFLICT DO NOTHING`.
 */
export function insertRequestRows<DB>(qb: QueryCreator<DB>, rows: RequestRows, onDuplicate: 'fail' | 'skip') {
  const insert = (qb as unknown as QueryCreator<TaskvaultDatabase>)
    .insertInto('task_requests')
    .columns(REQUEST_COLUMNS)
    .expression(
      sql`select ${rows.namespace}::text, rid, ${rows.createdAt}, ${rows.taskId}
        from ${sql.join(rows.from.map((cte) => sql.table(cte)))}, unnest(${rows.requestIds}) as rid`,
    );
  return onDuplicate === 'skip' ? insert.onConflict((oc) => oc.doNothing()) : insert;
}

/**
 * `array(select unnest(a) except select unnest(b))`: the ids of `a` not in `b`, in no order.
 * EXCEPT hashes or sorts, so this costs O(|a| + |b|) whatever the planner estimates; a test of
 * `id = any (b)` per id of `a` would cost |a| × |b|.
 */
export function idsExcept(a: Expression<string[]>, b: Expression<string[]>) {
  return sql<string[]>`array(select unnest(${a}) except select unnest(${b}))`;
}

/** The CTEs of a general update or patch that {@link countStatusChange} reads. */
interface StatusChangeTables {
  /** The row as it was, locked. */
  cur: { status: string };
  /** The row as written (no row: nothing written). */
  upd: { status: string };
}

/**
 * The counter upsert of a general update or patch: moves the task's count from the status it had
 * (`cur`) to the one written (`upd`); nothing when the status stayed or nothing was written.
 */
export function countStatusChange<DB extends TaskvaultDatabase>(qb: QueryCreator<DB>, namespace: string) {
  const tables = qb as unknown as QueryCreator<StatusChangeTables>;
  return upsertCounters(
    qb,
    tables
      .selectFrom(['upd', 'cur'])
      .select([
        sql<string>`${namespace}::text`.as('namespace'),
        counterSlot.as('slot'),
        ...statusDeltas(sql.ref('upd.status'), sql.ref('cur.status')),
      ])
      .whereRef('upd.status', '<>', 'cur.status'),
  );
}
