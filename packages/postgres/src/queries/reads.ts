/**
 * Reads. Each is one statement served by an index: load by primary key, loadByRequestId by the
 * request-id index (first live entry in (created_at, task_id) order), list by keyset on
 * (created_at, task_id) — a row comparison the index answers, never OFFSET over skipped pages.
 */
import type { NormalizedFilter, NormalizedListQuery } from '@taskvault/core/adapter';
import { type ExpressionBuilder, sql } from 'kysely';
import { TASK_COLUMNS, type TaskRow } from '../rows.js';
import type { TaskvaultDatabase } from '../schema.js';
import { live, taskKey } from './common.js';
import type { Bind, QueryLayer } from './template.js';

/** The live task row, if any. */
export async function readTaskRow(
  q: QueryLayer,
  namespace: string,
  taskId: string,
  nowMs: number,
): Promise<TaskRow | undefined> {
  const binder = q.template<{ namespace: string; task_id: string; now: number }, TaskRow>('load', (b) =>
    q.db
      .selectFrom('tasks')
      .select(TASK_COLUMNS)
      .where(taskKey(b('namespace'), b('task_id')))
      .where(live(b('now'))),
  );
  return q.first(binder({ namespace, task_id: taskId, now: nowMs }));
}

/** The earliest-created live task holding an item with `requestId` (ties: smallest task id). */
export async function readRowByRequestId(
  q: QueryLayer,
  namespace: string,
  requestId: string,
  nowMs: number,
): Promise<TaskRow | undefined> {
  const binder = q.template<{ namespace: string; request_id: string; now: number }, TaskRow>(
    'loadByRequestId',
    (b) =>
      q.db
        .selectFrom('task_requests as r')
        .innerJoin('tasks', (join) =>
          join
            .onRef('tasks.namespace', '=', 'r.namespace')
            .onRef('tasks.task_id', '=', 'r.task_id')
            .onRef('tasks.created_at', '=', 'r.created_at'),
        )
        .select(TASK_COLUMNS.map((c) => `tasks.${c}` as const))
        .where('r.namespace', '=', b('namespace'))
        .where('r.request_id', '=', b('request_id'))
        .where(live(b('now')))
        .orderBy('r.created_at')
        .orderBy('r.task_id')
        .limit(1),
  );
  return q.first(binder({ namespace, request_id: requestId, now: nowMs }));
}

/** Values a filter binds. */
export interface FilterValues {
  namespace: string;
  now: number;
  session_id: string | null;
  user_id: string | null;
  created_after: number | null;
  created_before: number | null;
}

/** A key naming which filter conditions are present (the query's shape). */
export function filterShape(filter: NormalizedFilter): string {
  return [
    filter.sessionId !== null ? 's' : '',
    filter.userId !== null ? 'u' : '',
    filter.createdAfter !== null ? 'a' : '',
    filter.createdBefore !== null ? 'b' : '',
  ].join('');
}

export function filterValues(namespace: string, filter: NormalizedFilter, nowMs: number): FilterValues {
  return {
    namespace,
    now: nowMs,
    session_id: filter.sessionId,
    user_id: filter.userId,
    created_after: filter.createdAfter,
    created_before: filter.createdBefore,
  };
}

/** The filter's conditions other than status, plus liveness and the namespace. */
export function filterConditions<V extends FilterValues>(filter: NormalizedFilter, b: Bind<V>) {
  return (eb: ExpressionBuilder<TaskvaultDatabase, 'tasks'>) => {
    const conditions = [eb('tasks.namespace', '=', b('namespace')), live(b('now'))(eb)];
    if (filter.sessionId !== null) conditions.push(eb('tasks.session_id', '=', b('session_id') as string));
    if (filter.userId !== null) conditions.push(eb('tasks.user_id', '=', b('user_id') as string));
    if (filter.createdAfter !== null)
      conditions.push(eb('tasks.created_at', '>', b('created_after') as number));
    if (filter.createdBefore !== null) {
      conditions.push(eb('tasks.created_at', '<', b('created_before') as number));
    }
    return eb.and(conditions);
  };
}

interface ListValues extends FilterValues {
  status: string;
  statuses: string[];
  after_created_at: number;
  after_task_id: string;
  take: number;
  inner_take: number;
  offset: number;
}

/**
 * One page: up to `limit + 1` rows after the cursor position, skipping `offset`. With several
 * statuses, each status range is read in order by its own index scan (LATERAL, limited), and the
 * few rows merged: the cost stays that of a page, not of every task with those statuses.
 */
export async function listTaskRows(
  q: QueryLayer,
  namespace: string,
  query: NormalizedListQuery,
  nowMs: number,
): Promise<TaskRow[]> {
  const { filter, order, after } = query;
  const statuses = filter.statuses;
  const statusMode = statuses === null ? 'any' : statuses.length === 1 ? 'one' : 'many';
  const key = `list:${order}:${statusMode}:${after === null ? '' : 'after'}:${filterShape(filter)}`;
  // a session, user or creation-range filter: how selective it is depends on the value
  const planPerCall = filterShape(filter) !== '';
  const binder = q.template<ListValues, TaskRow>(
    key,
    (b) => {
      const cmp = order === 'desc' ? '<' : '>';
      const pageOf = () => {
        let p = q.db.selectFrom('tasks').select(TASK_COLUMNS).where(filterConditions(filter, b));
        if (after !== null) {
          p = p.where((eb) =>
            eb(
              eb.refTuple('tasks.created_at', 'tasks.task_id'),
              cmp,
              eb.tuple(b('after_created_at'), b('after_task_id')),
            ),
          );
        }
        return p.orderBy('tasks.created_at', order).orderBy('tasks.task_id', order);
      };
      if (statusMode !== 'many') {
        const page = statusMode === 'one' ? pageOf().where('tasks.status', '=', b('status')) : pageOf();
        return page.limit(b('take')).offset(b('offset'));
      }
      return q.db
        .selectFrom(sql<{ s: string }>`unnest(${b('statuses')}::text[])`.as('s'))
        .innerJoinLateral(
          () => pageOf().whereRef('tasks.status', '=', sql.ref('s')).limit(b('inner_take')).as('t'),
          (join) => join.onTrue(),
        )
        .select(TASK_COLUMNS.map((c) => `t.${c}` as const))
        .orderBy('t.created_at', order)
        .orderBy('t.task_id', order)
        .limit(b('take'))
        .offset(b('offset'));
    },
    { planPerCall },
  );
  const take = query.limit + 1;
  return q.rows(
    binder({
      ...filterValues(namespace, filter, nowMs),
      status: statuses?.[0] ?? '',
      statuses: statuses ?? [],
      after_created_at: after?.createdAt ?? 0,
      after_task_id: after?.taskId ?? '',
      take,
      inner_take: query.offset + take,
      offset: query.offset,
    }),
  );
}
