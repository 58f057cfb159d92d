/** Pieces every query shares. */
import { type ExpressionBuilder, type Kysely, type RawBuilder, sql } from 'kysely';
import type { TaskvaultDatabase } from '../schema.js';

/** The store's typed query layer (logical table names; see TableNamesPlugin). */
export type Db = Kysely<TaskvaultDatabase>;

/** Rows per cleanup/clear/sweep statement: short enough to never hold locks for long. */
export const BATCH_SIZE = 1000;

/**
 * The row is a task that exists: neither its expiry nor its retention deadline has passed (its
 * live-until instant, the earlier of the two, is later than now or there is none).
 */
export function live(nowMs: number) {
  return (eb: ExpressionBuilder<TaskvaultDatabase, 'tasks'>) =>
    eb.and([
      eb.or([eb('tasks.expires_at', 'is', null), eb('tasks.expires_at', '>', nowMs)]),
      eb.or([eb('tasks.retain_until', 'is', null), eb('tasks.retain_until', '>', nowMs)]),
    ]);
}

/**
 * `(<alias>.expires_at <= now OR <alias>.retain_until <= now)`: the row's live-until instant has
 * passed (true), or it has not (false or null, which a WHERE also rejects).
 */
export function dead(alias: string, now: unknown): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(`${alias}.expires_at`)} <= ${now} or ${sql.ref(`${alias}.retain_until`)} <= ${now})`;
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
