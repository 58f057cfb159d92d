/**
 * Counting without scanning. The store's writes keep per-namespace counters by status (in a few
 * slots, summed here), which include dead rows the sweeper or cleanup has not removed yet: past
 * their expiry or their retention deadline. Those are subtracted in the same statement, found
 * through the partial expiry and retention indexes — small whenever dead rows are cleaned up.
 * Filters the counters cannot answer (session, user, creation range) count matching rows with an
 * indexed query.
 *
 * Most of the time nothing has died (no TTL or retention, or the sweeper keeps up), so a first
 * statement, prepared once, sums the counters and reads the earliest expiry and retention
 * deadline (one index probe each): when both are still in the future, it is the whole answer.
 * Only with dead rows present the counting statement runs, planned for its values on every call
 * (a generic plan cannot know that `expires_at <= now` is a small range, and might scan the
 * table).
 */
import { TASK_STATUSES, type TaskStatus } from '@taskvault/core';
import type { NormalizedFilter } from '@taskvault/core/adapter';
import { type ExpressionBuilder, sql } from 'kysely';
import type { TaskvaultDatabase } from '../schema.js';
import { type FilterValues, filterConditions, filterShape, filterValues } from './reads.js';
import type { QueryLayer } from './template.js';

/** The sum of the counters of `statuses`, as SQL. */
function summedCounters(statuses: readonly TaskStatus[]) {
  const summed = sql.join(
    statuses.map((s) => sql.ref(`task_counts.${s}`)),
    sql` + `,
  );
  return sql<number>`coalesce(sum(${summed}), 0)`;
}

/** `count(*) filter (where status = any ($statuses))`. */
function ofStatuses(statuses: string[]) {
  return sql<number>`count(*) filter (where ${sql.ref('tasks.status')} = any (${statuses}::text[]))`;
}

type Eb = ExpressionBuilder<TaskvaultDatabase, never>;

/** The sum of the namespace's counters of `statuses`, as a subquery. */
function counters(eb: Eb, namespace: string, statuses: readonly TaskStatus[]) {
  return eb
    .selectFrom('task_counts')
    .select(summedCounters(statuses).as('n'))
    .where('task_counts.namespace', '=', namespace);
}

/**
 * The namespace's rows with an expiry (`expires_at`) or a retention deadline (`retain_until`):
 * the rows of that column's partial index. No condition on status here: it would fit no index.
 */
function rowsWith(eb: Eb, namespace: string, column: 'expires_at' | 'retain_until') {
  const ref = `tasks.${column}` as const;
  return eb.selectFrom('tasks').where('tasks.namespace', '=', namespace).where(ref, 'is not', null);
}

/** Live tasks in `statuses`, from the counters minus dead rows. */
async function countByStatus(
  q: QueryLayer,
  namespace: string,
  statuses: readonly TaskStatus[],
  nowMs: number,
): Promise<number> {
  const quick = q.template<
    { namespace: string },
    { counted: number | null; first_expiry: number | null; first_deadline: number | null }
  >(`countByStatus:quick:${statuses.join(',')}`, (b) =>
    q.db.selectNoFrom((eb) => [
      counters(eb, b('namespace'), statuses).as('counted'),
      rowsWith(eb, b('namespace'), 'expires_at')
        .select((e) => e.fn.min('tasks.expires_at').as('e'))
        .as('first_expiry'),
      rowsWith(eb, b('namespace'), 'retain_until')
        .select((e) => e.fn.min('tasks.retain_until').as('r'))
        .as('first_deadline'),
    ]),
  );
  const first = await q.first(quick({ namespace }));
  const passed = (at: number | null | undefined) => at != null && at <= nowMs;
  if (!passed(first?.first_expiry) && !passed(first?.first_deadline)) return Number(first?.counted ?? 0);
  const binder = q.template<
    { namespace: string; now: number; statuses: string[] },
    { counted: number | null; expired: number | null; retained: number | null }
  >(
    `countByStatus:${statuses.join(',')}`,
    (b) =>
      q.db.selectNoFrom((eb) => [
        counters(eb, b('namespace'), statuses).as('counted'),
        rowsWith(eb, b('namespace'), 'expires_at')
          .select(ofStatuses(b('statuses')).as('n'))
          .where('tasks.expires_at', '<=', b('now'))
          .as('expired'),
        // past their retention and not counted above: the retention index holds expires_at too
        rowsWith(eb, b('namespace'), 'retain_until')
          .select(ofStatuses(b('statuses')).as('n'))
          .where('tasks.retain_until', '<=', b('now'))
          .where((e) => e.or([e('tasks.expires_at', 'is', null), e('tasks.expires_at', '>', b('now'))]))
          .as('retained'),
      ]),
    { planPerCall: true },
  );
  const row = await q.first(binder({ namespace, now: nowMs, statuses: [...statuses] }));
  return Number(row?.counted ?? 0) - Number(row?.expired ?? 0) - Number(row?.retained ?? 0);
}

/** Live pending, running and paused tasks. */
export function countActiveRows(q: QueryLayer, namespace: string, nowMs: number): Promise<number> {
  return countByStatus(q, namespace, ['pending', 'running', 'paused'], nowMs);
}

/** Live tasks matching the filter. */
export async function countRows(
  q: QueryLayer,
  namespace: string,
  filter: NormalizedFilter,
  nowMs: number,
): Promise<number> {
  const shape = filterShape(filter);
  if (shape === '') return countByStatus(q, namespace, filter.statuses ?? TASK_STATUSES, nowMs);
  const withStatus = filter.statuses !== null;
  const binder = q.template<FilterValues & { statuses: string[] }, { n: number }>(
    `count:${shape}:${withStatus}`,
    (b) => {
      let c = q.db
        .selectFrom('tasks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(filterConditions(filter, b));
      if (withStatus) c = c.where(sql<boolean>`${sql.ref('tasks.status')} = any (${b('statuses')}::text[])`);
      return c;
    },
    { planPerCall: true },
  );
  const row = await q.first(
    binder({ ...filterValues(namespace, filter, nowMs), statuses: filter.statuses ?? [] }),
  );
  return Number(row?.n ?? 0);
}
