/**
 * Checks, in SQL, the invariants the triggers keep: the request-id rows are exactly the distinct
 * request ids of each task's items, and the counters equal the rows by status.
 */
import pg from 'pg';

export interface Inconsistencies {
  /** Tasks whose request_ids column differs from the distinct request ids of their items. */
  requestIdsColumn: number;
  /** (task, request id) pairs with no index row. */
  missingIndexRows: number;
  /** Index rows with no task holding that request id. */
  orphanIndexRows: number;
  /** (namespace, status) pairs whose counter differs from the rows. */
  counterMismatches: number;
}

export async function findInconsistencies(
  url: string,
  schema = 'public',
  prefix = 'taskvault_',
): Promise<Inconsistencies> {
  const t = `"${schema}"."${prefix}tasks"`;
  const r = `"${schema}"."${prefix}task_requests"`;
  const c = `"${schema}"."${prefix}task_counts"`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const one = async (text: string) => Number((await client.query(text)).rows[0].n);
    const statuses = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'];
    return {
      requestIdsColumn: await one(`select count(*) as n from ${t} t
        where (select coalesce(array_agg(distinct x order by x), '{}') from unnest(t.request_ids) x)
          is distinct from (select coalesce(array_agg(distinct e->>'requestId' order by e->>'requestId'), '{}')
                            from jsonb_array_elements(t.items) e)`),
      // set differences (hashed), not a test per row: tasks of 20,000 request ids stay quick
      missingIndexRows: await one(`select count(*) as n from (
          select t.namespace, rid, t.created_at, t.task_id from ${t} t, unnest(t.request_ids) rid
          except select namespace, request_id, created_at, task_id from ${r}) d`),
      orphanIndexRows: await one(`select count(*) as n from (
          select namespace, request_id, created_at, task_id from ${r}
          except select t.namespace, rid, t.created_at, t.task_id from ${t} t, unnest(t.request_ids) rid) d`),
      counterMismatches: await one(`with actual as (
          select namespace, status, count(*) as n from ${t} group by 1, 2),
        counted as (
          select namespace, s.status, sum(case s.status ${statuses.map((s) => `when '${s}' then ${s}`).join(' ')} end) as n
          from ${c}, unnest(array[${statuses.map((s) => `'${s}'`).join(', ')}]) as s(status) group by 1, 2)
        select count(*) as n from actual full join counted using (namespace, status)
        where coalesce(actual.n, 0) <> coalesce(counted.n, 0)`),
    };
  } finally {
    await client.end();
  }
}

export const CONSISTENT: Inconsistencies = {
  requestIdsColumn: 0,
  missingIndexRows: 0,
  orphanIndexRows: 0,
  counterMismatches: 0,
};
