/** Pieces every query shares. */
import { type ExpressionBuilder, type Kysely, type RawBuilder, sql } from 'kysely';
import type { TaskvaultDatabase } from '../schema.js';

/** The store's typed query layer (logical table names; see TableNamesPlugin). */
export type Db = Kysely<TaskvaultDatabase>;

/** Rows per cleanup/clear/sweep statement: short enough to never hold locks for long. */
export const BATCH_SIZE = 1000;

/** `expires_at IS NULL OR expires_at > now`: the row is a task that exists. */
export function live(nowMs: number) {
  return (eb: ExpressionBuilder<TaskvaultDatabase, 'tasks'>) =>
    eb.or([eb('tasks.expires_at', 'is', null), eb('tasks.expires_at', '>', nowMs)]);
}

/** `namespace = $1 AND task_id = $2`. */
export function taskKey(namespace: string, taskId: string) {
  return (eb: ExpressionBuilder<TaskvaultDatabase, 'tasks'>) =>
    eb.and([eb('tasks.namespace', '=', namespace), eb('tasks.task_id', '=', taskId)]);
}

/**
 * Marks the statement as the store's own for the rest of its transaction (one statement: the
 * store runs in autocommit). The INSERT and UPDATE row triggers, which keep the request-id index
 * and counters right for SQL written by hand, skip rows changed while it is set; so it must be
 * evaluated in a CTE the write reads from, before the first row changes.
 */
export function markStoreWriter(): RawBuilder<string> {
  return sql<string>`set_config('taskvault.writer', 'store', true)`;
}
