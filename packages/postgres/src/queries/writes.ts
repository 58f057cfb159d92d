/**
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
 *
 * Adding request-id rows is safe from the statement itself (`ON CONFLICT DO NOTHING` sees every
 * committed row). Removing them is not: rows added by a writer that committed after this
 * statement's snapshot was taken are invisible to a DELETE here. `update` therefore removes
 * them through the `forget_requests` function, whose DELETE takes a fresh snapshot after the
 * row lock is held.
 */
import type { AgentTask } from '@taskvault/core';
import type { NormalizedPatch, PatchSize, TaskReplacement } from '@taskvault/core/adapter';
import { type Expression, type QueryCreator, sql } from 'kysely';
import {
  insertValues,
  itemsJson,
  msOrNull,
  replacementValues,
  requestIdsOf,
  TASK_COLUMNS,
  type TaskRow,
} from '../rows.js';
import type { TaskvaultDatabase } from '../schema.js';
import { jsonBytes } from '../sizes.js';
import { live, markStoreWriter, taskKey } from './common.js';
import { counterSlot, statusDeltas, upsertCounters } from './counters.js';
import {
  exactPatchedBytes,
  type PatchShape,
  type PatchSizeValues,
  patchedDataSizes,
  printedTaskBytes,
} from './patch-size.js';
import { rowHasTaskShape } from './shape.js';
import type { Bind, QueryLayer } from './template.js';

type InsertRow = ReturnType<typeof insertValues>;
interface CreateValues extends InsertRow {
  now: number;
}

/**
 * Inserts the task with its request-id rows and counts; a row with its id that has expired is
 * replaced (its request-id rows and count go with it).
 * @returns false when a live task has the id (nothing changed)
 */
export async function insertTaskRow(
  q: QueryLayer,
  namespace: string,
  task: AgentTask,
  nowMs: number,
): Promise<boolean> {
  const values: CreateValues = { ...insertValues(namespace, task), now: nowMs };
  if (await insertNewTaskRow(q, values)) return true;
  return insertOrReplaceExpired(q, values);
}

/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = '23505';

/**
 * The guard "the stored status is `status`", written so that no index can serve it. As a plain
 * `status = $1` next to the key, the planner can take the (namespace, status, created_at,
 * task_id) index for three equalities against the primary key's two, and walk every task of
 * that status to find the one id (seen on small tables, where both look like one row).
 */
function statusStays(status: string) {
  return sql<boolean>`${sql.ref('tasks.status')} is not distinct from ${status}::text`;
}

/** The columns `create` writes, in order: a task row's columns and its key and request ids. */
const INSERT_COLUMNS = ['namespace', ...TASK_COLUMNS, 'request_ids', 'bytes', 'data_sizes'] as const;

/** The columns of a request-id row, in order. */
const REQUEST_COLUMNS = ['namespace', 'request_id', 'created_at', 'task_id'] as const;

/** The request-id rows a write adds: one per id of `requestIds` for each row of `from`. */
interface RequestRows {
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
function insertRequestRows<DB>(qb: QueryCreator<DB>, rows: RequestRows, onDuplicate: 'fail' | 'skip') {
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
function countStatusChange<DB extends TaskvaultDatabase>(qb: QueryCreator<DB>, namespace: string) {
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
          .where(sql<boolean>`(${sql.ref('tasks.expires_at')} <= ${b('now')}) is true`)
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
                version: eb.ref('excluded.version'),
                request_ids: eb.ref('excluded.request_ids'),
                data: eb.ref('excluded.data'),
                items: eb.ref('excluded.items'),
                bytes: eb.ref('excluded.bytes'),
                data_sizes: eb.ref('excluded.data_sizes'),
              }))
              .where('tasks.expires_at', '<=', b('now')),
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

/** Outcome of a versioned write: the new row, or why there is none. */
export type WriteOutcome<T> =
  | { kind: 'written'; row: T }
  | { kind: 'missing' }
  | { kind: 'conflict'; actualVersion: number }
  | { kind: 'too-large'; bytes: number }
  /** The stored row is not a task: nothing was written (the caller quarantines it). */
  | { kind: 'corrupt' };

type ReplacementRow = ReturnType<typeof replacementValues>;
interface ReplaceValues extends ReplacementRow {
  namespace: string;
  task_id: string;
  now: number;
  expected: number;
}

/**
 * Replaces the fields `update` replaces, checking the version unless `expectedVersion` is null.
 * Keeps created_at; sets updated_at and version + 1; adds and removes request-id rows so they
 * match the new items; moves the counters if the status changed.
 */
export async function replaceTaskRow(
  q: QueryLayer,
  namespace: string,
  replacement: TaskReplacement,
  expectedVersion: number | null,
  nowMs: number,
): Promise<WriteOutcome<{ created_at: number; version: number }>> {
  const values: ReplaceValues = {
    ...replacementValues(replacement, nowMs),
    namespace,
    task_id: replacement.taskId,
    now: nowMs,
    expected: expectedVersion ?? 0,
  };
  const versioned = expectedVersion !== null;
  const kept = await replaceKeepingIndexes(q, values, versioned);
  if (kept !== undefined) return { kind: 'written', row: kept };
  return replaceAnyRow(q, values, versioned);
}

/** `version + 1`: every write's new version. */
const nextVersion = sql<number>`${sql.ref('tasks.version')} + 1`;

/**
 * The SET of `update`, lean and general: the replaced fields, updated_at and version + 1.
 * `indexed` adds status and request ids, which the lean statement's guard keeps as they are.
 */
function replacementAssignments(b: Bind<ReplaceValues>, indexed: boolean) {
  return {
    ...(indexed ? { status: b('status'), request_ids: b('request_ids') } : {}),
    session_id: b('session_id'),
    user_id: b('user_id'),
    expires_at: b('expires_at'),
    data: b('data'),
    items: b('items'),
    updated_at: b('now'),
    version: nextVersion,
    // the digits of the kept created_at and of the new version complete the size
    bytes: sql<number>`${b('bytes_base')}::bigint + length(${sql.ref('tasks.created_at')}::text)
      + length((${sql.ref('tasks.version')} + 1)::text)`,
    data_sizes: b('data_sizes'),
  };
}

/**
 * The lean update: only when the stored status and request ids are those of the replacement,
 * so no counter and no request-id row changes (a plain UPDATE by primary key).
 * @returns the written row's created_at and version, or undefined when nothing was written
 */
async function replaceKeepingIndexes(
  q: QueryLayer,
  values: ReplaceValues,
  versioned: boolean,
): Promise<{ created_at: number; version: number } | undefined> {
  const binder = q.template<ReplaceValues, { created_at: number; version: number }>(
    `replace:same:${versioned}`,
    (b) => {
      let u = q.db
        .updateTable('tasks')
        .set(replacementAssignments(b, false))
        .where(taskKey(b('namespace'), b('task_id')))
        .where(live(b('now')))
        .where(statusStays(b('status')))
        .where(sql<boolean>`${sql.ref('tasks.request_ids')} = ${b('request_ids')}::text[]`)
        .where(rowHasTaskShape());
      if (versioned) u = u.where('tasks.version', '=', b('expected'));
      return u.returning(['tasks.created_at', 'tasks.version']);
    },
  );
  return q.first(binder(values));
}

/**
 * The general update: any change of status and items, and the reason when nothing was written.
 */
async function replaceAnyRow(
  q: QueryLayer,
  values: ReplaceValues,
  versioned: boolean,
): Promise<WriteOutcome<{ created_at: number; version: number }>> {
  const forget = sql.raw(q.naming.qualified(`${q.naming.tasks}_forget_requests`));
  const binder = q.template<
    ReplaceValues,
    { current_version: number; sound: boolean; created_at: number | null; version: number | null }
  >(`replace:${versioned}`, (b) =>
    q.db
      .with('cur', (qb) =>
        qb
          .selectFrom('tasks')
          .select([
            'tasks.version',
            'tasks.status',
            'tasks.created_at',
            'tasks.request_ids',
            rowHasTaskShape().as('sound'),
            markStoreWriter().as('mark'),
          ])
          .where(taskKey(b('namespace'), b('task_id')))
          .where(live(b('now')))
          .forUpdate(),
      )
      .with('upd', (qb) => {
        let u = qb
          .updateTable('tasks')
          .from('cur')
          .set(replacementAssignments(b, true))
          .where(taskKey(b('namespace'), b('task_id')))
          .where('cur.sound', '=', true);
        if (versioned) u = u.where('cur.version', '=', b('expected'));
        return u.returning(['tasks.created_at', 'tasks.version', 'tasks.status']);
      })
      .with('req', (qb) =>
        insertRequestRows(
          qb,
          {
            from: ['upd', 'cur'],
            namespace: b('namespace'),
            taskId: sql`${b('task_id')}::text`,
            createdAt: sql.ref('upd.created_at'),
            requestIds: idsExcept(sql`${b('request_ids')}::text[]`, sql.ref('cur.request_ids')),
          },
          'skip',
        ),
      )
      .with('forgot', (qb) =>
        qb
          .selectFrom([
            'upd',
            'cur',
            sql<{
              ids: string[];
            }>`lateral (select ${idsExcept(sql.ref('cur.request_ids'), sql`${b('request_ids')}::text[]`)} as ids)`.as(
              'gone',
            ),
          ])
          .select(
            sql<number>`${forget}(${b('namespace')}, ${b('task_id')}, cur.created_at, gone.ids)`.as(
              'removed',
            ),
          )
          .where(sql<boolean>`cardinality(gone.ids) > 0`),
      )
      .with('cnt', (qb) => countStatusChange(qb, b('namespace')))
      .selectFrom('cur')
      .leftJoin('upd', (join) => join.onTrue())
      .select([
        'cur.version as current_version',
        'cur.sound',
        'upd.created_at',
        'upd.version',
        (eb) =>
          eb
            .selectFrom('forgot')
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('forgot'),
      ]),
  );
  const result = await q.first(binder(values));
  if (result === undefined) return { kind: 'missing' };
  if (!result.sound) return { kind: 'corrupt' };
  if (result.version === null || result.created_at === null) {
    return { kind: 'conflict', actualVersion: result.current_version };
  }
  return { kind: 'written', row: { created_at: result.created_at, version: result.version } };
}

/**
 * `stored || <ids of added not in stored, in their order>`: the request ids after an append, in
 * first-seen order. Grouped (hashed or sorted) rather than tested pairwise: O(|stored| + |added|).
 */
function appendNewIds(stored: Expression<string[]>, added: Expression<string[]>) {
  return sql<string[]>`${stored} || array(
    select s.rid from (select unnest(${stored}) as rid, 0::bigint as n
                       union all select a.rid, a.n from unnest(${added}) with ordinality as a(rid, n)) as s
    group by s.rid having min(s.n) > 0 order by min(s.n))`;
}

interface PatchValues extends PatchSizeValues {
  namespace: string;
  task_id: string;
  now: number;
  expected: number;
  max_bytes: number;
  status: string;
  session_id: string | null;
  user_id: string | null;
  expires_at: number | null;
  data: string;
  items: string;
  request_ids: string[];
}

/**
 * Applies a patch in SQL: `data || patch` (shallow merge; a key set to null stays null),
 * `items || appended`, the given fields, version + 1, updated_at = now. New request ids get
 * their index rows in the same statement. With data or items in the patch, the merged task's
 * size is checked against `maxTaskBytes` in the same statement, so a patch that would make the
 * task too large changes nothing.
 */
export async function patchTaskRow(
  q: QueryLayer,
  namespace: string,
  taskId: string,
  patch: NormalizedPatch,
  expectedVersion: number | null,
  nowMs: number,
  maxTaskBytes: number,
  size: PatchSize,
): Promise<WriteOutcome<TaskRow>> {
  const has: PatchShape = {
    status: patch.status !== undefined,
    session: patch.sessionId !== undefined,
    user: patch.userId !== undefined,
    expiry: patch.expiresAt !== undefined,
    data: patch.data !== undefined,
    items: patch.appendItems !== undefined && patch.appendItems.length > 0,
    version: expectedVersion !== null,
  };
  const shape = Object.entries(has)
    .filter(([, on]) => on)
    .map(([k]) => k)
    .join(',');
  const items = patch.appendItems ?? [];
  const itemsText = has.items ? itemsJson(items) : '[]';
  const dataJson = has.data ? JSON.stringify(patch.data) : '{}';
  const values_expires = patch.expiresAt === undefined ? null : msOrNull(patch.expiresAt);
  const values: PatchValues = {
    namespace,
    task_id: taskId,
    now: nowMs,
    expected: expectedVersion ?? 0,
    max_bytes: maxTaskBytes,
    status: patch.status ?? 'pending',
    session_id: patch.sessionId ?? null,
    user_id: patch.userId ?? null,
    expires_at: values_expires,
    data: dataJson,
    items: itemsText,
    request_ids: requestIdsOf(items),
    status_bytes: jsonBytes(patch.status ?? null),
    session_bytes: jsonBytes(patch.sessionId ?? null),
    user_bytes: jsonBytes(patch.userId ?? null),
    expires_bytes: jsonBytes(values_expires),
    // core's exact parts: each appended item plus a comma, and each patched data member
    items_bytes: size.items,
    data_sizes: JSON.stringify(Object.fromEntries(size.data)),
  };
  const kept = await patchKeepingIndexes(q, values, has, shape);
  if (kept !== undefined) return { kind: 'written', row: kept };
  return patchAnyRow(q, values, has, shape);
}

/**
 * The task's data and items after the patch, from the stored ones: `data || $data` (shallow
 * merge) and `items || $items` (append), or the stored value where the patch has none. The lean
 * patch writes and measures them; the general one computes them once, in its locking CTE.
 */
function mergedValues(b: Bind<PatchValues>, has: PatchShape) {
  const data = sql.ref('tasks.data');
  const items = sql.ref('tasks.items');
  return {
    data: has.data ? sql<string>`${data} || ${b('data')}::jsonb` : sql<string>`${data}`,
    items: has.items ? sql<string>`${items} || ${b('items')}::jsonb` : sql<string>`${items}`,
  };
}

/**
 * The SET of `patch`, lean and general: version + 1, updated_at, the fields the patch has, and
 * data and items set to `merged` (the values {@link mergedValues} computes) when it has them.
 */
function patchAssignments(
  b: Bind<PatchValues>,
  has: PatchShape,
  merged: { data: Expression<string>; items: Expression<string>; bytes: Expression<number | null> },
) {
  return {
    version: nextVersion,
    updated_at: b('now'),
    bytes: merged.bytes,
    ...(has.data ? { data_sizes: patchedDataSizes(b) } : {}),
    ...(has.session ? { session_id: b('session_id') } : {}),
    ...(has.user ? { user_id: b('user_id') } : {}),
    ...(has.expiry ? { expires_at: b('expires_at') } : {}),
    ...(has.data ? { data: merged.data } : {}),
    ...(has.items ? { items: merged.items } : {}),
  };
}

/**
 * The lean patch: an UPDATE of the row that merges data and appends items in SQL, only when
 * the status stays (the patch sets none, or the one stored) and every request id of the
 * appended items is already the task's, so no counter and no request-id row changes. The size
 * check and the version check sit in its WHERE.
 * @returns the written row, or undefined when nothing was written
 */
async function patchKeepingIndexes(
  q: QueryLayer,
  values: PatchValues,
  has: PatchShape,
  shape: string,
): Promise<TaskRow | undefined> {
  const binder = q.template<PatchValues, TaskRow>(`patch:same:${shape}`, (b) => {
    const merged = { ...mergedValues(b, has), bytes: exactPatchedBytes(b, has) };
    let u = q.db
      .updateTable('tasks')
      .set(patchAssignments(b, has, merged))
      .where(taskKey(b('namespace'), b('task_id')))
      .where(live(b('now')));
    if (has.status) u = u.where(statusStays(b('status')));
    if (has.items) {
      // every appended id is held already (`@>` would compare every pair: ids × ids)
      u = u.where(
        sql<boolean>`cardinality(${idsExcept(sql`${b('request_ids')}::text[]`, sql.ref('tasks.request_ids'))}) = 0`,
      );
    }
    if (has.version) u = u.where('tasks.version', '=', b('expected'));
    if (has.data || has.items) {
      // exact when the row keeps its size; a patch that does not grow the task always passes
      const size = sql<number>`coalesce(${merged.bytes}, ${printedTaskBytes(sql.ref('tasks.task_id'), merged.data, merged.items)})`;
      u = u.where(
        sql<boolean>`(${size} <= ${b('max_bytes')} or ${merged.bytes} <= ${sql.ref('tasks.bytes')})`,
      );
    }
    return u.returning(TASK_COLUMNS.map((c) => `tasks.${c}` as const));
  });
  return q.first(binder(values));
}

/** The general patch: any patch, and the reason when nothing was written. */
async function patchAnyRow(
  q: QueryLayer,
  values: PatchValues,
  has: PatchShape,
  shape: string,
): Promise<WriteOutcome<TaskRow>> {
  const grows = has.data || has.items;
  const binder = q.template<PatchValues, TaskRow & { current_version: number; new_bytes: number }>(
    `patch:${shape}`,
    (b) => {
      const merged = mergedValues(b, has);
      return (
        q.db
          .with('locked', (qb) =>
            qb
              .selectFrom('tasks')
              .select([
                markStoreWriter().as('mark'),
                'tasks.version',
                'tasks.status',
                'tasks.task_id',
                merged.data.as('new_data'),
                merged.items.as('new_items'),
                exactPatchedBytes(b, has).as('exact_bytes'),
                'tasks.bytes as old_bytes',
              ])
              .where(taskKey(b('namespace'), b('task_id')))
              .where(live(b('now')))
              .forUpdate(),
          )
          .with('cur', (qb) =>
            qb
              .selectFrom('locked')
              .select((eb) => [
                'locked.version',
                'locked.status',
                'locked.new_data',
                'locked.new_items',
                'locked.exact_bytes',
                'locked.old_bytes',
                (grows
                  ? sql<number>`coalesce(${eb.ref('locked.exact_bytes')}, ${printedTaskBytes(
                      eb.ref('locked.task_id'),
                      eb.ref('locked.new_data'),
                      eb.ref('locked.new_items'),
                    )})`
                  : sql<number>`0`
                ).as('new_bytes'),
              ]),
          )
          .with('upd', (qb) => {
            let u = qb
              .updateTable('tasks')
              .from('cur')
              .set((eb) => ({
                ...patchAssignments(b, has, {
                  data: eb.ref('cur.new_data'),
                  items: eb.ref('cur.new_items'),
                  bytes: eb.ref('cur.exact_bytes'),
                }),
                ...(has.status ? { status: b('status') } : {}),
                ...(has.items
                  ? {
                      request_ids: appendNewIds(
                        eb.ref('tasks.request_ids'),
                        sql`${b('request_ids')}::text[]`,
                      ),
                    }
                  : {}),
              }))
              .where(taskKey(b('namespace'), b('task_id')));
            if (has.version) u = u.where('cur.version', '=', b('expected'));
            if (grows) {
              u = u.where(
                sql<boolean>`(cur.new_bytes <= ${b('max_bytes')} or cur.new_bytes <= cur.old_bytes)`,
              );
            }
            return u.returning(TASK_COLUMNS.map((c) => `tasks.${c}` as const));
          })
          // no new request ids (empty array) or no status change: these insert nothing
          .with('req', (w) =>
            insertRequestRows(
              w,
              {
                from: ['upd'],
                namespace: b('namespace'),
                taskId: sql.ref('upd.task_id'),
                createdAt: sql.ref('upd.created_at'),
                requestIds: sql`${b('request_ids')}::text[]`,
              },
              'skip',
            ),
          )
          .with('cnt', (w) => countStatusChange(w, b('namespace')))
          .selectFrom('cur')
          .leftJoin('upd', (join) => join.onTrue())
          .select([
            'cur.version as current_version',
            'cur.new_bytes',
            ...TASK_COLUMNS.map((c) => `upd.${c}` as const),
          ])
      );
    },
  );

  const result = await q.first(binder(values));
  if (result === undefined) return { kind: 'missing' };
  if (result.version === null) {
    if (has.version && result.current_version !== values.expected) {
      return { kind: 'conflict', actualVersion: result.current_version };
    }
    return { kind: 'too-large', bytes: result.new_bytes };
  }
  return { kind: 'written', row: result };
}

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
    { sound: boolean; deleted: boolean | null; expires_at: number | null }
  >('delete', (b) =>
    q.db
      .with('cur', (qb) =>
        qb
          .selectFrom('tasks')
          // an expired row is no task either way: it goes, whatever its shape
          .select(
            sql<boolean>`(${rowHasTaskShape()} or ${sql.ref('tasks.expires_at')} <= ${b('now')})`.as('sound'),
          )
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
          .returning(['tasks.expires_at', sql<boolean>`true`.as('deleted')]),
      )
      .selectFrom('cur')
      .leftJoin('gone', (join) => join.onTrue())
      .select(['cur.sound', 'gone.deleted', 'gone.expires_at']),
  );
  const row = await q.first(binder({ namespace, task_id: taskId, now: nowMs }));
  if (row === undefined) return 'missing';
  if (!row.sound) return 'corrupt';
  return row.deleted === true && (row.expires_at === null || row.expires_at > nowMs) ? 'deleted' : 'missing';
}
