/**
 * `update` as SQL: a lean UPDATE when the status and request ids stay, else the general statement
 * that moves counters and request-id rows and says why a write was refused (see write-parts.ts).
 *
 * Adding request-id rows is safe from the statement itself (`ON CONFLICT DO NOTHING` sees every
 * committed row). Removing them is not: rows added by a writer that committed after this
 * statement's snapshot was taken are invisible to a DELETE here. `update` therefore removes
 * them through the `forget_requests` function, whose DELETE takes a fresh snapshot after the
 * row lock is held.
 */
import type { TaskReplacement } from '@taskvault/core/adapter';
import { sql } from 'kysely';
import { replacementValues } from '../rows.js';
import { live, markStoreWriter, taskKey } from './common.js';
import { rowHasTaskShape } from './shape.js';
import type { Bind, QueryLayer } from './template.js';
import {
  countStatusChange,
  idsExcept,
  insertRequestRows,
  nextVersion,
  statusStays,
  type WriteOutcome,
} from './write-parts.js';

type ReplacementRow = ReturnType<typeof replacementValues>;
interface ReplaceValues extends ReplacementRow {
  namespace: string;
  task_id: string;
  now: number;
  expected: number;
}

/**
 * Replaces the fields `update` replaces, checking the version unless `expectedVersion` is null.
 * Keeps created_at; sets updated_at and version + 1, and the retention deadline `retainUntil`
 * (see {@link replacementValues}); adds and removes request-id rows so they match the new items;
 * moves the counters if the status changed.
 */
export async function replaceTaskRow(
  q: QueryLayer,
  namespace: string,
  replacement: TaskReplacement,
  expectedVersion: number | null,
  retainUntil: number | null,
  nowMs: number,
): Promise<WriteOutcome<{ created_at: number; version: number }>> {
  const values: ReplaceValues = {
    ...replacementValues(replacement, nowMs, retainUntil),
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

/**
 * The SET of `update`, lean and general: the replaced fields, updated_at, version + 1 and the
 * retention deadline (null, so unchanged, for an active task). `indexed` adds status and request
 * ids, which the lean statement's guard keeps as they are.
 */
function replacementAssignments(b: Bind<ReplaceValues>, indexed: boolean) {
  return {
    ...(indexed ? { status: b('status'), request_ids: b('request_ids') } : {}),
    session_id: b('session_id'),
    user_id: b('user_id'),
    expires_at: b('expires_at'),
    retain_until: b('retain_until'),
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
