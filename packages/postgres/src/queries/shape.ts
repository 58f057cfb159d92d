/**
 * The server-side shape check that `update` and `delete` make before they overwrite or remove a
 * row: a row failing it is not a task (core's codec would reject it too), so the write changes
 * nothing and the store moves the row to the quarantine instead (SPEC: corrupt data is
 * `CORRUPT_DATA` on every write, never silently overwritten or destroyed).
 *
 * Every condition here is one the codec also requires, so a readable task always passes; the
 * codec may still find more (it is the reference). The item walk is linear in the stored items,
 * the same order of work as the write itself.
 */
import { TASK_ITEM_ROLES, TASK_STATUSES } from '@taskvault/core';
import { type RawBuilder, sql } from 'kysely';

const list = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/** `jsonb_typeof(x) = 'number'` and the number is a safe integer (epoch ms, version). */
function safeInteger(value: RawBuilder<unknown>) {
  return sql`(case when jsonb_typeof(${value}) = 'number'
    then (${value})::numeric % 1 = 0 and abs((${value})::numeric) <= 9007199254740991 else false end)`;
}

/** True when the row of `tasks` (the table or an alias of it) has the shape of a task. */
export function rowHasTaskShape(table: 'tasks' | 'cur' = 'tasks'): RawBuilder<boolean> {
  const col = (name: string) => sql.ref(`${table}.${name}`);
  const item = sql.raw('e');
  return sql<boolean>`(${col('status')} in (${list(TASK_STATUSES)}) and ${col('version')} >= 1
    and jsonb_typeof(${col('data')}) = 'object' and jsonb_typeof(${col('items')}) = 'array'
    and not exists (select 1 from jsonb_array_elements(case when jsonb_typeof(${col('items')}) = 'array'
        then ${col('items')} else '[]'::jsonb end) as e
      where not (jsonb_typeof(${item}) = 'object' and jsonb_typeof(${item}->'requestId') = 'string'
        and coalesce(${item}->>'role' in (${list(TASK_ITEM_ROLES)}), false)
        and ${safeInteger(sql`${item}->'createdAt'`)} and ${item} ? 'content')))`;
}
