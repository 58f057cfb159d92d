/**
 * The status counters a write changes, upserted in the same statement. Each connection adds to
 * its own slot row (backend pid modulo the slot count), so concurrent writers seldom wait on
 * one another's counter row; readers sum the slots.
 */
import { TASK_STATUSES, type TaskStatus } from '@taskvault/core';
import { type Expression, type InsertQueryBuilder, type InsertResult, type QueryCreator, sql } from 'kysely';
import { COUNTER_SLOTS } from '../migrations/0001-init.js';
import type { TaskvaultDatabase } from '../schema.js';

/** `(new = 'pending')::int - (old = 'pending')::int, ...`; a null side counts 0. */
export function statusDeltas(
  newStatus: Expression<string | null> | null,
  oldStatus: Expression<string | null> | null,
) {
  return TASK_STATUSES.map((s) => {
    const plus = newStatus === null ? sql`0` : sql`coalesce((${newStatus} = ${sql.lit(s)})::int, 0)`;
    const minus = oldStatus === null ? sql`0` : sql`coalesce((${oldStatus} = ${sql.lit(s)})::int, 0)`;
    return sql<number>`${plus} - ${minus}`.as(s);
  });
}

/** This connection's counter slot. */
export const counterSlot = sql<number>`pg_backend_pid() % ${sql.lit(COUNTER_SLOTS)}`;

/**
 * `INSERT INTO task_counts (...) <select of namespace, slot, six deltas> ON CONFLICT DO UPDATE
 * SET pending = pending + excluded.pending, ...`.
 */
export function upsertCounters<DB extends TaskvaultDatabase>(
  qb: QueryCreator<DB>,
  deltas: Expression<unknown>,
): InsertQueryBuilder<DB, 'task_counts', InsertResult> {
  return (qb as unknown as QueryCreator<TaskvaultDatabase>)
    .insertInto('task_counts')
    .columns(['namespace', 'slot', ...TASK_STATUSES])
    .expression(deltas as Expression<never>)
    .onConflict((oc) =>
      oc.columns(['namespace', 'slot']).doUpdateSet((eb) => {
        const set: Partial<Record<TaskStatus, unknown>> = {};
        for (const s of TASK_STATUSES) set[s] = eb(`task_counts.${s}`, '+', eb.ref(`excluded.${s}`));
        return set as never;
      }),
    ) as unknown as InsertQueryBuilder<DB, 'task_counts', InsertResult>;
}
