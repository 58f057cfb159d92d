/**
 * `patch` as SQL: data merged and items appended in the statement, a lean UPDATE when the status
 * and request ids stay, else the general statement that moves counters and adds request-id rows
 * (see write-parts.ts).
 */
import type { NormalizedPatch, PatchSize } from '@taskvault/core/adapter';
import { type Expression, sql } from 'kysely';
import { itemsJson, msOrNull, requestIdsOf, TASK_COLUMNS, type TaskRow } from '../rows.js';
import { jsonBytes } from '../sizes.js';
import { live, markStoreWriter, taskKey } from './common.js';
import {
  exactPatchedBytes,
  type PatchShape,
  type PatchSizeValues,
  patchedDataSizes,
  printedTaskBytes,
} from './patch-size.js';
import type { Bind, QueryLayer } from './template.js';
import {
  countStatusChange,
  idsExcept,
  insertRequestRows,
  nextVersion,
  statusStays,
  type WriteOutcome,
} from './write-parts.js';

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

/**
 * The retention of each terminal status under the store's policy, ms (null: kept). Parameters of
 * every patch, so the statement text stays the same whatever the policy.
 */
export interface RetentionDurations {
  completed: number | null;
  failed: number | null;
  cancelled: number | null;
}

interface PatchValues extends PatchSizeValues {
  namespace: string;
  keep_completed: number | null;
  keep_failed: number | null;
  keep_cancelled: number | null;
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
 * `items || appended`, the given fields, version + 1, updated_at = now, and the retention
 * deadline of the resulting status (`now` + its duration in `retention`, or null). New request
 * ids get their index rows in the same statement. With data or items in the patch, the merged
 * task's size is checked against `maxTaskBytes` in the same statement, so a patch that would make
 * the task too large changes nothing.
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
  retention: RetentionDurations,
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
    keep_completed: retention.completed,
    keep_failed: retention.failed,
    keep_cancelled: retention.cancelled,
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
 * `now + <retention of the resulting status>`: the patched task's retention deadline, null when
 * its status (the patch's, else the stored one) has none. The server picks the duration, since
 * only it knows the stored status; an active status never has one, so an active task's value
 * stays null and its patch stays HOT.
 */
function retainUntil(b: Bind<PatchValues>, has: PatchShape) {
  const status = has.status ? sql`${b('status')}::text` : sql.ref('tasks.status');
  return sql<number | null>`${b('now')}::bigint + case ${status}
    when 'completed' then ${b('keep_completed')}::bigint
    when 'failed' then ${b('keep_failed')}::bigint
    when 'cancelled' then ${b('keep_cancelled')}::bigint end`;
}

/**
 * The SET of `patch`, lean and general: version + 1, updated_at, the retention deadline, the
 * fields the patch has, and data and items set to `merged` (the values {@link mergedValues}
 * computes) when it has them.
 */
function patchAssignments(
  b: Bind<PatchValues>,
  has: PatchShape,
  merged: { data: Expression<string>; items: Expression<string>; bytes: Expression<number | null> },
) {
  return {
    version: nextVersion,
    updated_at: b('now'),
    retain_until: retainUntil(b, has),
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
