/**
 * Counting without scanning. The store's writes keep per-namespace counters by status (in a few
 * slots, summed here), which include expired rows the sweeper or cleanup has not removed yet;
 * those are subtracted in the same statement, found through the partial expiry index — small
 * whenever expired rows are cleaned up. Filters the counters cannot answer (session, user,
 * creation range) count matching rows with an indexed query.
 *
 * Most of the time nothing has expired (no TTL, or the sweeper keeps up), so a first statement,
 * prepared once, sums the counters and reads the earliest expiry (one index probe): when that is
 * still in the future, it is the whole answer. Only with expired rows present the counting
 * statement runs, planned for its values on every call (a generic plan cannot know that
 * `expires_at <= now` is a small range, and might scan the table).
 */
import { TASK_STATUSES, type TaskStatus } from '@taskvault/core';
import type { NormalizedFilter } from '@taskvault/core/adapter';
import { sql } from 'kysely';
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

/** Live tasks in `statuses`, from the counters minus expired rows. */
async function countByStatus(
  q: QueryLayer,
  namespace: string,
  statuses: readonly TaskStatus[],
  nowMs: number,
): Promise<number> {
  const quick = q.template<{ namespace: string }, { counted: number | null; first_expiry: number | null }>(
    `countByStatus:quick:${statuses.join(',')}`,
    (b) =>
      q.db.selectNoFrom((eb) => [
        eb
          .selectFrom('task_counts')
          .select(summedCounters(statuses).as('n'))
          .where('task_counts.namespace', '=', b('namespace'))
          .as('counted'),
        eb
          .selectFrom('tasks')
          .select((e) => e.fn.min('tasks.expires_at').as('e'))
          .where('tasks.namespace', '=', b('namespace'))
          .where('tasks.expires_at', 'is not', null)
          .as('first_expiry'),
      ]),
  );
  const first = await q.first(quick({ namespace }));
  if (first?.first_expiry == null || first.first_expiry > nowMs) return Number(first?.counted ?? 0);
  const binder = q.template<
    { namespace: string; now: number; statuses: string[] },
    { counted: number | null; expired: number | null }
  >(
    `countByStatus:${statuses.join(',')}`,
    (b) =>
      q.db.selectNoFrom((eb) => [
        eb
          .selectFrom('task_counts')
          .select(summedCounters(statuses).as('n'))
          .where('task_counts.namespace', '=', b('namespace'))
          .as('counted'),
        // no condition on status here: the only index that fits is the partial expiry index
        eb
          .selectFrom('tasks')
          .select(
            sql<number>`count(*) filter (where ${sql.ref('tasks.status')} = any (${b('statuses')}::text[]))`.as(
              'n',
            ),
          )
          .where('tasks.namespace', '=', b('namespace'))
          .where('tasks.expires_at', 'is not', null)
          .where('tasks.expires_at', '<=', b('now'))
          .as('expired'),
      ]),
    { planPerCall: true },
  );
  const row = await q.first(binder({ namespace, now: nowMs, statuses: [...statuses] }));
  return Number(row?.counted ?? 0) - Number(row?.expired ?? 0);
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
