/** `delete` as SQL: one statement that removes a live or expired task row, never a corrupt live one. */
import { sql } from 'kysely';
import { dead, taskKey } from './common.js';
import { rowHasTaskShape } from './shape.js';
import type { QueryLayer } from './template.js';

/** What `delete` found: a live task it removed, nothing (or an expired row, removed), or a row that is no task. */
export type DeleteOutcome = 'deleted' | 'missing' | 'corrupt';

/**
 * Deletes the task row (the DELETE trigger removes its request-id rows and counts, with a fresh
 * snapshot). An expired row is removed too, but reported as missing: it did not exist. A row
 * that fails the shape check stays (the caller moves it to the quarantine).
 */
export async function deleteTaskRow(
  q: QueryLayer,
  namespace: string,
  taskId: string,
  nowMs: number,
): Promise<DeleteOutcome> {
  const binder = q.template<
    { namespace: string; task_id: string; now: number },
    { sound: boolean; deleted: boolean | null; was_live: boolean | null }
  >('delete', (b) =>
    q.db
      .with('cur', (qb) =>
        qb
          .selectFrom('tasks')
          // an expired row (or one past its retention) is no task either way: it goes, whatever its shape
          .select(sql<boolean>`(${rowHasTaskShape()} or ${dead('tasks', b('now'))} is true)`.as('sound'))
          .where(taskKey(b('namespace'), b('task_id')))
          .forUpdate(),
      )
      .with('gone', (qb) =>
        qb
          .deleteFrom('tasks')
          .where(taskKey(b('namespace'), b('task_id')))
          .where(({ exists, selectFrom }) =>
            exists(selectFrom('cur').select('cur.sound').where('cur.sound', '=', true)),
          )
          .returning([
            sql<boolean>`${dead('tasks', b('now'))} is not true`.as('was_live'),
            sql<boolean>`true`.as('deleted'),
          ]),
      )
      .selectFrom('cur')
      .leftJoin('gone', (join) => join.onTrue())
      .select(['cur.sound', 'gone.deleted', 'gone.was_live']),
  );
  const row = await q.first(binder({ namespace, task_id: taskId, now: nowMs }));
  if (row === undefined) return 'missing';
  if (!row.sound) return 'corrupt';
  return row.deleted === true && row.was_live === true ? 'deleted' : 'missing';
}
