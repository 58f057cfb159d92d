/**
 * The statements of `verify`: each reads or repairs one bounded batch, found by keyset through
 * an index (never OFFSET), so no statement grows with the namespace. Every repair re-checks, in
 * the statement that changes an entry, that the entry is still wrong: a task written meanwhile
 * is never "repaired" into a wrong state.
 */
import { TASK_STATUSES } from '@taskvault/core';
import { sql } from 'kysely';
import { TASK_COLUMNS, type TaskRow } from '../rows.js';
import type { QueryLayer } from './template.js';

/** A task row with what verify checks beside the task. */
export interface VerifiedRow extends TaskRow {
  request_ids: string[];
}

/** One request-id index entry. */
export interface IndexEntry {
  request_id: string;
  created_at: number;
  task_id: string;
}

const t = (q: QueryLayer) => sql.raw(q.naming.qualified(q.naming.tasks));
const r = (q: QueryLayer) => sql.raw(q.naming.qualified(q.naming.requests));
const c = (q: QueryLayer) => sql.raw(q.naming.qualified(q.naming.counts));

/** Up to `limit` task rows of the namespace after `afterTaskId`, by primary key. */
export async function taskBatch(q: QueryLayer, ns: string, afterTaskId: string, limit: number) {
  // as json: the store's type parsers read json, not text[]
  const { rows } =
    await sql<VerifiedRow>`select ${sql.raw(TASK_COLUMNS.join(', '))}, to_json(request_ids) as request_ids from ${t(q)}
    where namespace = ${ns} and task_id > ${afterTaskId} order by task_id limit ${limit}`.execute(q.db);
  return rows.map((row) => ({ ...row, created_at: Number(row.created_at), version: Number(row.version) }));
}

/**
 * The (task, request id) pairs of `taskIds` that have no index entry; with `repair`, inserted
 * from the task rows as they stand (ON CONFLICT: an entry a writer added meanwhile stays).
 */
export async function missingEntries(q: QueryLayer, ns: string, taskIds: string[], repair: boolean) {
  const missing = sql`select t.namespace, x as request_id, t.created_at, t.task_id
    from ${t(q)} t, unnest(t.request_ids) as x
    where t.namespace = ${ns} and t.task_id = any (${taskIds}::text[])
      and not exists (select 1 from ${r(q)} e where e.namespace = t.namespace and e.request_id = x
                      and e.created_at = t.created_at and e.task_id = t.task_id)`;
  const { rows } = await (repair
    ? sql<IndexEntry>`insert into ${r(q)} (namespace, request_id, created_at, task_id) ${missing}
        on conflict do nothing returning request_id, created_at, task_id`
    : sql<IndexEntry>`select request_id, created_at, task_id from (${missing}) as m`
  ).execute(q.db);
  return rows;
}

/** Up to `limit` index entries of the namespace after `after`, in key order. */
export async function entryBatch(q: QueryLayer, ns: string, after: IndexEntry | null, limit: number) {
  const a = after ?? { request_id: '', created_at: Number.MIN_SAFE_INTEGER, task_id: '' };
  const { rows } = await sql<IndexEntry>`select request_id, created_at, task_id from ${r(q)}
    where namespace = ${ns} and (request_id, created_at, task_id) > (${a.request_id}, ${a.created_at}::bigint, ${a.task_id})
    order by request_id, created_at, task_id limit ${limit}`.execute(q.db);
  return rows.map((e) => ({ ...e, created_at: Number(e.created_at) }));
}

/**
 * The entries of `entries` that no task holds (no row with that id and created_at, or one whose
 * request ids lack it): a set difference against the ids of the tasks the entries name, hashed
 * or sorted, never tested per id. With `repair` they are deleted, each re-checked in the DELETE.
 */
export async function orphanEntries(q: QueryLayer, ns: string, entries: IndexEntry[], repair: boolean) {
  const given = sql`unnest(${entries.map((e) => e.request_id)}::text[], ${entries.map((e) => e.created_at)}::bigint[],
    ${entries.map((e) => e.task_id)}::text[]) as u(request_id, created_at, task_id)`;
  const tasks = [...new Set(entries.map((e) => e.task_id))];
  const { rows } = await sql<IndexEntry>`select u.request_id, u.created_at, u.task_id from ${given}
    except select x, h.created_at, h.task_id from ${t(q)} h, unnest(h.request_ids) as x
      where h.namespace = ${ns} and h.task_id = any (${tasks}::text[])`.execute(q.db);
  const orphans = rows.map((e) => ({ ...e, created_at: Number(e.created_at) }));
  if (!repair || orphans.length === 0) return { orphans, removed: new Set<string>() };
  const gone = await sql<IndexEntry>`delete from ${r(q)} e
    using unnest(${orphans.map((o) => o.request_id)}::text[], ${orphans.map((o) => o.created_at)}::bigint[],
                 ${orphans.map((o) => o.task_id)}::text[]) as u(request_id, created_at, task_id)
    where e.namespace = ${ns} and e.request_id = u.request_id and e.created_at = u.created_at and e.task_id = u.task_id
      and not exists (select 1 from ${t(q)} h where h.namespace = e.namespace and h.task_id = e.task_id
                      and h.created_at = e.created_at and e.request_id = any (h.request_ids))
    returning e.request_id, e.created_at, e.task_id`.execute(q.db);
  return { orphans, removed: new Set(gone.rows.map(entryKey)) };
}

/** A key of an index entry, for sets. */
export const entryKey = (e: IndexEntry) => `${e.task_id}\u0000${e.request_id}\u0000${Number(e.created_at)}`;

/** Counted and actual tasks per status of the namespace, in one snapshot (index-only scans). */
export async function statusCounts(q: QueryLayer, ns: string) {
  const { rows } = await sql<{ status: string; counted: number; actual: number }>`
    select s.status,
      coalesce((select sum(case s.status ${sql.raw(TASK_STATUSES.map((x) => `when '${x}' then ${x}`).join(' '))} end)
                from ${c(q)} where namespace = ${ns}), 0)::bigint as counted,
      (select count(*) from ${t(q)} where namespace = ${ns} and status = s.status)::bigint as actual
    from unnest(${[...TASK_STATUSES]}::text[]) as s(status)`.execute(q.db);
  return rows.map((row) => ({
    status: row.status,
    counted: Number(row.counted),
    actual: Number(row.actual),
  }));
}

/**
 * Sets the namespace's counters to the tasks as they are. Writers of the tasks table wait for
 * the few milliseconds this takes (SHARE lock), so no write lands between the count and the reset.
 */
export async function recount(q: QueryLayer, ns: string): Promise<void> {
  const byStatus = TASK_STATUSES.map((x) => `count(*) filter (where status = '${x}')`).join(', ');
  await q.db.transaction().execute(async (trx) => {
    await sql`lock table ${t(q)} in share mode`.execute(trx);
    await sql`delete from ${c(q)} where namespace = ${ns}`.execute(trx);
    await sql`insert into ${c(q)} (namespace, slot, ${sql.raw(TASK_STATUSES.join(', '))})
      select ${ns}, 0, ${sql.raw(byStatus)} from ${t(q)} where namespace = ${ns}`.execute(trx);
  });
}

/**
 * Sets a task's request ids to `ids` (those of its items), unless it changed since it was read:
 * the hand-written-SQL UPDATE trigger then moves its index entries.
 */
export async function setRequestIds(
  q: QueryLayer,
  ns: string,
  taskId: string,
  version: number,
  ids: string[],
) {
  const result = await sql`update ${t(q)} set request_ids = ${ids}::text[]
    where namespace = ${ns} and task_id = ${taskId} and version = ${version}`.execute(q.db);
  return Number(result.numAffectedRows ?? 0) > 0;
}
