/**
 * `create` as SQL: a lean plain insert for an id that has no row, else the general statement that
 * also replaces an expired row with the id (see write-parts.ts for why every write is one
 * statement and tries a lean one first). "Expired" here and below: past its live-until instant,
 * by its expiry or its retention deadline.
 */
import type { AgentTask } from '@taskvault/core';
import { sql } from 'kysely';
import { insertValues, TASK_COLUMNS } from '../rows.js';
import { dead, markStoreWriter, taskKey } from './common.js';
import { counterSlot, statusDeltas, upsertCounters } from './counters.js';
import type { Bind, QueryLayer } from './template.js';
import { idsExcept, insertRequestRows, type RequestRows } from './write-parts.js';

type InsertRow = ReturnType<typeof insertValues>;
interface CreateValues extends InsertRow {
  now: number;
}

/**
 * Inserts the task with its request-id rows and counts; a row with its id that has expired is
 * replaced (its request-id rows and count go with it). `retainUntil`: see {@link insertValues}.
 * @returns false when a live task has the id (nothing changed)
 */
export async function insertTaskRow(
  q: QueryLayer,
  namespace: string,
  task: AgentTask,
  retainUntil: number | null,
  nowMs: number,
): Promise<boolean> {
  const values: CreateValues = { ...insertValues(namespace, task, retainUntil), now: nowMs };
  if (await insertNewTaskRow(q, values)) return true;
  return insertOrReplaceExpired(q, values);
}

/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = '23505';

/** The columns `create` writes, in order: a task row's columns and its key and request ids. */
const INSERT_COLUMNS = [
  'namespace',
  ...TASK_COLUMNS,
  'retain_until',
  'request_ids',
  'bytes',
  'data_sizes',
] as const;

/** The request-id rows of the task `create` inserts (the CTE `ins`). */
function createdRequestRows(b: Bind<CreateValues>): RequestRows {
  return {
    from: ['ins'],
    namespace: b('namespace'),
    taskId: sql`${b('task_id')}::text`,
    createdAt: sql`${b('created_at')}::bigint`,
    requestIds: sql`${b('request_ids')}::text[]`,
  };
}

/**
 * The lean create: inserts the task, its request-id rows and its count when no row has its id
 * (`ON CONFLICT DO NOTHING`: a row that exists, expired or not, makes the whole statement a no-op).
 *
 * The request-id rows go in by a plain INSERT (a third less work than one with ON CONFLICT):
 * a task that has no row has no index rows either, since every statement that removes a task
 * row removes its index rows with it. Should one be there anyway (the table edited by hand),
 * the unique violation undoes the whole statement, and the general create, which tolerates it,
 * runs instead.
 * @returns true when the task was inserted
 */
async function insertNewTaskRow(q: QueryLayer, values: CreateValues): Promise<boolean> {
  const binder = q.template<CreateValues, { one: number }>('create:new', (b) =>
    q.db
      .with('mark', (qb) => qb.selectNoFrom(markStoreWriter().as('w')))
      .with('ins', (qb) =>
        qb
          .insertInto('tasks')
          .columns(INSERT_COLUMNS)
          // from `mark`, so the mark is set before the row is (the triggers' WHEN reads it then)
          .expression((eb) => eb.selectFrom('mark').select(insertSelection(b)))
          .onConflict((oc) => oc.doNothing())
          .returning(sql<number>`1`.as('one')),
      )
      .with('req', (qb) => insertRequestRows(qb, createdRequestRows(b), 'fail'))
      .with('cnt', (qb) =>
        upsertCounters(
          qb,
          qb
            .selectFrom('ins')
            .select([
              sql<string>`${b('namespace')}`.as('namespace'),
              counterSlot.as('slot'),
              ...statusDeltas(sql`${b('status')}::text`, null),
            ]),
        ),
      )
      .selectFrom('ins')
      .select('ins.one'),
  );
  try {
    return (await q.first(binder(values))) !== undefined;
  } catch (error) {
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return false;
    throw error;
  }
}

/** The SQL type of each inserted column: parameters in an INSERT ... SELECT need a cast. */
const INSERT_TYPES: Record<(typeof INSERT_COLUMNS)[number], string> = {
  namespace: 'text',
  task_id: 'text',
  status: 'text',
  session_id: 'text',
  user_id: 'text',
  created_at: 'bigint',
  updated_at: 'bigint',
  expires_at: 'bigint',
  retain_until: 'bigint',
  version: 'bigint',
  data: 'jsonb',
  items: 'jsonb',
  request_ids: 'text[]',
  bytes: 'bigint',
  data_sizes: 'jsonb',
};

/** `$namespace::text AS namespace, ...`: the inserted row, typed for INSERT ... SELECT. */
function insertSelection(b: Bind<CreateValues>) {
  return INSERT_COLUMNS.map((column) => sql`${b(column)}::${sql.raw(INSERT_TYPES[column])}`.as(column));
}

/**
 * The general create: inserts the task with its request-id rows and counts; a row with its id
 * that has expired is replaced in the same statement (its request-id rows and count go with it).
 * @returns false when a live task has the id (nothing changed)
 */
async function insertOrReplaceExpired(q: QueryLayer, values: CreateValues): Promise<boolean> {
  const binder = q.template<CreateValues, { inserted: boolean | null }>('create', (b) =>
    q.db
      .with('mark', (qb) => qb.selectNoFrom(markStoreWriter().as('w')))
      .with('old', (qb) =>
        qb
          .selectFrom('tasks')
          .select(['tasks.status', 'tasks.created_at', 'tasks.request_ids'])
          .where(taskKey(b('namespace'), b('task_id')))
          // `IS TRUE`: no index serves this, so the one id is found by the primary key; as a
          // plain `<=`, the planner may walk every expired row of the namespace in the expiry
          // index to find it, when its statistics say there are few
          .where(sql<boolean>`${dead('tasks', b('now'))} is true`)
          .forUpdate(),
      )
      .with('ins', (qb) =>
        qb
          .insertInto('tasks')
          .columns(INSERT_COLUMNS)
          // Selecting from `mark` and `old` makes them run before the insert (sibling CTEs run in
          // no set order): the mark must be set before a row changes (the triggers' WHEN reads
          // it then), and old's FOR UPDATE would not find the row once the upsert changed it.
          .expression((eb) =>
            eb
              .selectFrom([
                eb
                  .selectFrom('old')
                  .select((e) => e.fn.countAll().as('n'))
                  .as('locked'),
                'mark',
              ])
              .select(insertSelection(b)),
          )
          .onConflict((oc) =>
            oc
              .columns(['namespace', 'task_id'])
              .doUpdateSet((eb) => ({
                status: eb.ref('excluded.status'),
                session_id: eb.ref('excluded.session_id'),
                user_id: eb.ref('excluded.user_id'),
                created_at: eb.ref('excluded.created_at'),
                updated_at: eb.ref('excluded.updated_at'),
                expires_at: eb.ref('excluded.expires_at'),
                retain_until: eb.ref('excluded.retain_until'),
                version: eb.ref('excluded.version'),
                request_ids: eb.ref('excluded.request_ids'),
                data: eb.ref('excluded.data'),
                items: eb.ref('excluded.items'),
                bytes: eb.ref('excluded.bytes'),
                data_sizes: eb.ref('excluded.data_sizes'),
              }))
              .where(dead('tasks', b('now'))),
          )
          .returning(sql<boolean>`xmax = 0`.as('inserted')),
      )
      // the expired row's index rows, unless the new task has the very same entry
      .with('gone', (qb) =>
        qb
          .deleteFrom('task_requests')
          .where('task_requests.namespace', '=', b('namespace'))
          .where('task_requests.task_id', '=', b('task_id'))
          .where(({ exists, selectFrom }) =>
            exists(selectFrom('ins').select('ins.inserted').where('ins.inserted', '=', false)),
          )
          .where(
            // one index descent per id of the old row that the new task does not keep
            sql<boolean>`(${sql.ref('task_requests.created_at')}, ${sql.ref('task_requests.request_id')}) in (
              select old.created_at, x from old, unnest(case when old.created_at = ${b('created_at')}
                then ${idsExcept(sql.ref('old.request_ids'), sql`${b('request_ids')}::text[]`)}
                else old.request_ids end) as x)`,
          ),
      )
      .with('req', (qb) => insertRequestRows(qb, createdRequestRows(b), 'skip'))
      .with('cnt', (qb) =>
        upsertCounters(
          qb,
          qb
            .selectFrom('ins')
            .leftJoin('old', (join) => join.on('ins.inserted', '=', false))
            .select([
              sql<string>`${b('namespace')}`.as('namespace'),
              counterSlot.as('slot'),
              ...statusDeltas(sql`${b('status')}::text`, sql.ref('old.status')),
            ]),
        ),
      )
      .selectFrom(sql<{ one: number }>`(select 1)`.as('one'))
      .leftJoin('ins', (join) => join.onTrue())
      .select('ins.inserted'),
  );
  const row = await q.first(binder(values));
  return row !== undefined && row.inserted !== null;
}
