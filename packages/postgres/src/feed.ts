/**
 * Reading and trimming the change feed (core's `feedEnd` and `readChanges` hooks; the changes are
 * written by triggers, see migration 0005). A position is a change id as decimal text, "0" before
 * the namespace's first change. Ids come from one sequence in statement order, not commit order,
 * so a reader delivers only ids up to a horizon it fixed with the namespace's advisory lock
 * (`<changes>_horizon()`): every writer in flight had finished when it was read.
 *
 * A reader holds a pool connection only for one short statement at a time, never across its
 * wait: while there is nothing new it probes the namespace's highest id (one index probe) every
 * {@link POLL_MS}, so watchers never keep writers from the pool.
 */
import type { TaskChangeType, TaskStatus } from '@taskvault/core';
import { type ReadChangesRequest, type StoredChange, taskStoreError } from '@taskvault/core/adapter';
import { sql } from 'kysely';
import type { QueryLayer } from './queries/template.js';

/** How often a waiting reader looks for new changes, ms. */
export const POLL_MS = 50;

/** Changes deleted at most by one trimming statement. */
export const TRIM_BATCH = 1000;

interface ChangeRow {
  through: string | null;
  last: string | null;
  id: string | null;
  type: TaskChangeType;
  task_id: string;
  version: string;
  status: TaskStatus;
  at: string;
  session_id: string | null;
  user_id: string | null;
  created_at: string;
}

function badPosition(detail: string): never {
  throw taskStoreError('watch', 'INVALID_INPUT', { path: 'opts.after', detail });
}

/** The number a position stands for. @throws INVALID_INPUT at opts.after when it is none */
function positionOf(after: string): bigint {
  if (!/^(0|[1-9]\d{0,18})$/.test(after))
    badPosition(`${JSON.stringify(after)} is not a change id of this feed`);
  const n = BigInt(after);
  if (n > 9223372036854775807n) badPosition(`${JSON.stringify(after)} is not a change id of this feed`);
  return n;
}

/**
 * The namespace's horizon: the highest change id such that every lower one is final (committed
 * or never will be). Waits for the namespace's writers in flight (one commit, usually).
 */
async function horizon(q: QueryLayer, namespace: string, known: KnownHorizon): Promise<bigint> {
  const fn = q.naming.qualified(`${q.naming.changes}_horizon`);
  const trimmed = q.naming.qualified(q.naming.changesTrimmed);
  const { rows } = await sql<{ h: string | null; through: string | null }>`
    select ${sql.raw(fn)}(${namespace}) as h,
      (select through from ${sql.raw(trimmed)} where namespace = ${namespace}) as through`.execute(q.db);
  const row = rows[0];
  const h = BigInt(row?.h ?? 0);
  const t = BigInt(row?.through ?? 0);
  const fixed = h > t ? h : t;
  if (fixed > known.value) known.value = fixed;
  return fixed;
}

/**
 * The highest horizon a store has fixed for its namespace: ids up to it stay final, so later
 * reads up to it need no barrier.
 */
export interface KnownHorizon {
  value: bigint;
}

/** The feed's end now: everything recorded after it is delivered to a reader starting there. */
export async function feedEnd(q: QueryLayer, namespace: string, known: KnownHorizon): Promise<string> {
  return String(await horizon(q, namespace, known));
}

/**
 * One snapshot: the trimmed-through mark, the highest id committed, and the changes in
 * `(after, through]`, oldest first (none when `through <= after`).
 */
async function readWindow(q: QueryLayer, namespace: string, after: bigint, through: bigint, limit: number) {
  const changes = q.naming.qualified(q.naming.changes);
  const trimmed = q.naming.qualified(q.naming.changesTrimmed);
  const { rows } = await sql<ChangeRow>`
    select m.through, m.last, c.* from (select
        (select through from ${sql.raw(trimmed)} where namespace = ${namespace}) as through,
        (select max(id) from ${sql.raw(changes)} where namespace = ${namespace}) as last) as m
      left join lateral (
        select id, type, task_id, version, status, at, session_id, user_id, created_at
        from ${sql.raw(changes)}
        where namespace = ${namespace} and id > ${String(after)}::bigint and id <= ${String(through)}::bigint
        order by id limit ${limit}) as c on true`.execute(q.db);
  const head = rows[0];
  const trimmedThrough = BigInt(head?.through ?? 0);
  const last = BigInt(head?.last ?? 0);
  const found = rows.filter((r) => r.id !== null).map(changeOf);
  return { trimmedThrough, last: last > trimmedThrough ? last : trimmedThrough, found };
}

function changeOf(row: ChangeRow): StoredChange {
  return {
    id: String(row.id),
    type: row.type,
    taskId: row.task_id,
    version: Number(row.version),
    status: row.status,
    at: Number(row.at),
    sessionId: row.session_id,
    userId: row.user_id,
    createdAt: Number(row.created_at),
  };
}

/**
 * Up to `request.limit` changes after `request.after`; with none, polls for up to
 * `request.waitMs` (or until `request.signal`) for some.
 * @throws INVALID_INPUT at opts.after: not an id, an id past the feed's end, or one whose
 *   successors were trimmed; the driver's errors (wrapped by the caller)
 */
export async function readChanges(
  q: QueryLayer,
  namespace: string,
  known: KnownHorizon,
  request: ReadChangesRequest,
): Promise<StoredChange[]> {
  const after = positionOf(request.after);
  const deadline = performance.now() + request.waitMs;
  let fixed = 0n;
  for (;;) {
    const window = await readWindow(q, namespace, after, known.value, request.limit);
    if (after < window.trimmedThrough)
      badPosition('that change is older than the feed keeps; list the tasks again, then watch from now');
    if (after > window.last)
      badPosition(`${after} is not a change id of this feed (it is past the feed's end)`);
    if (window.found.length > 0) return window.found;
    if (window.last > after && window.last > fixed) {
      // committed ids past the position and the horizon: fix a new one, then read up to it
      fixed = await horizon(q, namespace, known);
      continue;
    }
    const left = deadline - performance.now();
    if (left <= 0 || request.signal.aborted) return [];
    await pause(Math.min(POLL_MS, left), request.signal);
    if (request.signal.aborted) return [];
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Deletes the namespace's oldest changes recorded before `cutoffMs`, up to {@link TRIM_BATCH},
 * stopping at the first younger one (what goes is always a prefix of the feed), and raises the
 * namespace's trimmed-through mark to the last id deleted, in one statement.
 * @returns the `at` of the oldest change kept (null: none), and whether a full batch went
 */
export async function trimChanges(
  q: QueryLayer,
  namespace: string,
  cutoffMs: number,
): Promise<{ oldestKept: number | null; more: boolean }> {
  const changes = q.naming.qualified(q.naming.changes);
  const trimmed = q.naming.qualified(q.naming.changesTrimmed);
  const { rows } = await sql<{ deleted: string; oldest: string | null }>`
    with head as (
      select id, at from ${sql.raw(changes)} where namespace = ${namespace} order by id limit ${TRIM_BATCH}),
    run as (select id, at, bool_and(at < ${cutoffMs}::bigint) over (order by id) as old from head),
    cut as (select max(id) as through from run where old),
    del as (
      delete from ${sql.raw(changes)} c using cut
      where c.namespace = ${namespace} and c.id <= cut.through returning 1),
    mark as (
      insert into ${sql.raw(trimmed)} as t (namespace, through)
      select ${namespace}, through from cut where through is not null
      on conflict (namespace) do update set through = greatest(t.through, excluded.through)
      returning 1)
    select (select count(*) from del) as deleted,
      (select min(at) from run where not old) as oldest,
      (select count(*) from mark) as marked`.execute(q.db);
  const row = rows[0];
  return {
    oldestKept: row?.oldest == null ? null : Number(row.oldest),
    more: Number(row?.deleted ?? 0) >= TRIM_BATCH,
  };
}
