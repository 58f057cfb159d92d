/**
 * The reads. Each is one statement, so it sees one snapshot (WAL readers never wait for the
 * writer). Every query walks an index range (see migrations/0001-init.ts and the EXPLAIN QUERY
 * PLAN test): `load` and `loadByRequestId` are key lookups; a `list` page with no filter or a
 * status filter reads at most offset + limit + 1 rows of an index (several statuses: that many of
 * each, merged); `count` and `countActive` with no filter or a status filter read the counter
 * rows and subtract the rows past their live-until not yet swept (a range of the live-until index).
 * A row is live while its `live_until` (the earlier of its expiry and its retention deadline, see
 * migrations/0002-live-until.ts) is NULL or in the future.
 */
import { ACTIVE_STATUSES, TASK_STATUSES, type TaskStatus } from '@taskvault/core';
import type { NormalizedFilter, NormalizedListQuery } from '@taskvault/core/adapter';
import { TASK_COLUMNS, type TaskRow } from './rows.js';
import type { NamespaceTable } from './table.js';

const LIVE = '(live_until IS NULL OR live_until > ?)';

/** The live row of `taskId`. */
export function readRow(t: NamespaceTable, taskId: string, now: number): TaskRow | undefined {
  return t
    .stmt(`SELECT ${TASK_COLUMNS} FROM taskvault_tasks WHERE namespace = ? AND task_id = ? AND ${LIVE}`)
    .get(t.namespace, taskId, now) as TaskRow | undefined;
}

/** The earliest-created live row holding `requestId` (ties: the smallest task id). */
export function readRowByRequestId(t: NamespaceTable, requestId: string, now: number): TaskRow | undefined {
  return t
    .stmt(
      `SELECT ${TASK_COLUMNS.split(', ')
        .map((c) => `t.${c}`)
        .join(', ')}
       FROM taskvault_requests r
       JOIN taskvault_tasks t ON t.namespace = r.namespace AND t.task_id = r.task_id
       WHERE r.namespace = ? AND r.request_id = ? AND (t.live_until IS NULL OR t.live_until > ?)
       ORDER BY r.created_at, r.task_id LIMIT 1`,
    )
    .get(t.namespace, requestId, now) as TaskRow | undefined;
}

/** WHERE terms and parameters of a filter other than status. */
function filterTerms(filter: NormalizedFilter, now: number): { terms: string[]; params: unknown[] } {
  const terms = ['namespace = ?', LIVE];
  const params: unknown[] = [undefined, now];
  if (filter.sessionId !== null) {
    terms.push('session_id = ?');
    params.push(filter.sessionId);
  }
  if (filter.userId !== null) {
    terms.push('user_id = ?');
    params.push(filter.userId);
  }
  if (filter.createdAfter !== null) {
    terms.push('created_at > ?');
    params.push(filter.createdAfter);
  }
  if (filter.createdBefore !== null) {
    terms.push('created_at < ?');
    params.push(filter.createdBefore);
  }
  return { terms, params };
}

/** Up to `limit` + 1 live rows after the cursor, past `offset`, in `order`. */
export function listRows(t: NamespaceTable, query: NormalizedListQuery, now: number): TaskRow[] {
  const { filter, order, after, offset } = query;
  const { terms, params } = filterTerms(filter, now);
  params[0] = t.namespace;
  const dir = order === 'desc' ? 'DESC' : 'ASC';
  if (after !== null) {
    terms.push(`(created_at, task_id) ${order === 'desc' ? '<' : '>'} (?, ?)`);
    params.push(after.createdAt, after.taskId);
  }
  const orderBy = `ORDER BY created_at ${dir}, task_id ${dir}`;
  const take = query.limit + 1;
  const statuses = filter.statuses;
  if (statuses === null || statuses.length === 1) {
    const where = statuses === null ? terms : [...terms, 'status = ?'];
    const all = statuses === null ? params : [...params, statuses[0]];
    return t
      .stmt(
        `SELECT ${TASK_COLUMNS} FROM taskvault_tasks WHERE ${where.join(' AND ')} ${orderBy} LIMIT ? OFFSET ?`,
      )
      .all(...all, take, offset) as TaskRow[];
  }
  // Several statuses: the first offset + limit + 1 rows of each status's index range, merged.
  // One `status IN (...)` would make SQLite sort every matching row.
  const part = `SELECT * FROM (SELECT ${TASK_COLUMNS} FROM taskvault_tasks WHERE ${[
    ...terms,
    'status = ?',
  ].join(' AND ')} ${orderBy} LIMIT ?)`;
  const sql = `${statuses.map(() => part).join(' UNION ALL ')} ${orderBy} LIMIT ? OFFSET ?`;
  const all: unknown[] = [];
  for (const status of statuses) all.push(...params, status, offset + take);
  return t.stmt(sql).all(...all, take, offset) as TaskRow[];
}

/** Live tasks of each of `statuses`, from the counters less the dead rows not yet swept. */
function countByStatus(t: NamespaceTable, statuses: readonly TaskStatus[], now: number): number {
  const marks = statuses.map(() => '?').join(', ');
  const counted = t
    .stmt(`SELECT coalesce(sum(n), 0) FROM taskvault_counts WHERE namespace = ? AND status IN (${marks})`)
    .pluck()
    .get(t.namespace, ...statuses) as number;
  const dead = t
    .stmt(
      `SELECT count(*) FROM taskvault_tasks
       WHERE namespace = ? AND live_until IS NOT NULL AND live_until <= ? AND status IN (${marks})`,
    )
    .pluck()
    .get(t.namespace, now, ...statuses) as number;
  return counted - dead;
}

/**
 * Live tasks matching. No filter or a status filter alone: the counters. Other filters count an
 * index range (createdAfter/createdBefore with a status) or the rows of the namespace.
 */
export function countRows(t: NamespaceTable, filter: NormalizedFilter, now: number): number {
  const plain =
    filter.sessionId === null &&
    filter.userId === null &&
    filter.createdAfter === null &&
    filter.createdBefore === null;
  if (plain) return countByStatus(t, filter.statuses ?? TASK_STATUSES, now);
  const { terms, params } = filterTerms(filter, now);
  params[0] = t.namespace;
  if (filter.statuses !== null) {
    terms.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
    params.push(...filter.statuses);
  }
  return t
    .stmt(`SELECT count(*) FROM taskvault_tasks WHERE ${terms.join(' AND ')}`)
    .pluck()
    .get(...params) as number;
}

/** Live pending, running and paused tasks. */
export function countActiveRows(t: NamespaceTable, now: number): number {
  return countByStatus(t, ACTIVE_STATUSES, now);
}
