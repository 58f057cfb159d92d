/**
 * The sweep lease (one row per namespace in the lease table, migration 0004) and the sweeper's
 * batch. Lease times are the server's `clock_timestamp()`, so every process agrees on when a
 * lease runs out whatever its own clock says. The fencing token grows each time the lease
 * changes hands; a batch runs only while its token is the lease's, checked in its own statement.
 */
import { sql } from 'kysely';
import { dead } from './common.js';
import { amongDeadRows } from './maintenance.js';
import type { QueryLayer } from './template.js';

/** `clock_timestamp() + ms`. */
const fromNow = (ms: unknown) =>
  sql<Date>`clock_timestamp() + ${ms}::double precision * interval '1 millisecond'`;

/**
 * Takes the namespace's lease for `holder` when it is free or has run out (the token moves on
 * when the holder changes), or renews it when `holder` has it (same token): one upsert.
 * @returns the lease's token, or null while another holder's lease runs
 */
export async function acquireLease(
  q: QueryLayer,
  namespace: string,
  holder: string,
  leaseMs: number,
): Promise<number | null> {
  const binder = q.template<{ namespace: string; holder: string; lease_ms: number }, { token: number }>(
    'lease:acquire',
    (b) =>
      q.db
        .insertInto('sweep_leases')
        .values({
          namespace: b('namespace'),
          holder: b('holder'),
          token: 1,
          expires_at: fromNow(b('lease_ms')),
        })
        .onConflict((oc) =>
          oc
            .column('namespace')
            .doUpdateSet((eb) => ({
              holder: eb.ref('excluded.holder'),
              token: sql<number>`case when ${eb.ref('sweep_leases.holder')} = ${eb.ref('excluded.holder')}
                then ${eb.ref('sweep_leases.token')} else ${eb.ref('sweep_leases.token')} + 1 end`,
              expires_at: eb.ref('excluded.expires_at'),
            }))
            .where((eb) =>
              eb.or([
                eb('sweep_leases.holder', '=', eb.ref('excluded.holder')),
                eb('sweep_leases.expires_at', '<=', sql<Date>`clock_timestamp()`),
              ]),
            ),
        )
        .returning('sweep_leases.token'),
  );
  const row = await q.first(binder({ namespace, holder, lease_ms: leaseMs }));
  return row === undefined ? null : Number(row.token);
}

/**
 * One batch of the sweeper: deletes up to `limit` dead rows of the namespace (past expiry or
 * retention; the DELETE trigger takes their request-id rows and counts), only if `token` is still
 * the lease's. The lease row is read FOR SHARE before anything is deleted: a process taking the
 * lease over waits for this statement to commit, and this statement, if the takeover came first,
 * sees the new token and deletes nothing.
 * @returns how many rows went, or null when the lease has moved on (nothing deleted)
 */
export async function sweepLeasedBatch(
  q: QueryLayer,
  namespace: string,
  holder: string,
  token: number,
  limit: number,
  nowMs: number,
): Promise<number | null> {
  const binder = q.template<
    { namespace: string; holder: string; token: number; limit: number; now: number },
    { held: number; removed: number }
  >(
    'lease:sweep',
    (b) =>
      q.db
        .with('lease', (qb) =>
          qb
            .selectFrom('sweep_leases')
            .select('sweep_leases.token')
            .where('sweep_leases.namespace', '=', b('namespace'))
            .where('sweep_leases.holder', '=', b('holder'))
            .where('sweep_leases.token', '=', b('token'))
            .forShare(),
        )
        .with('gone', (qb) =>
          qb
            .deleteFrom('tasks')
            .where(({ exists, selectFrom }) => exists(selectFrom('lease').select('lease.token')))
            .where(amongDeadRows(b('namespace'), b('now'), b('limit')))
            // re-checked on the newest row version: a task written meanwhile stays
            .where(dead('tasks', b('now')))
            .returning(sql<number>`1`.as('one')),
        )
        .selectNoFrom((eb) => [
          eb
            .selectFrom('lease')
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('held'),
          eb
            .selectFrom('gone')
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('removed'),
        ]),
    // how many rows are dead varies from none to the whole batch: plan for the values
    { planPerCall: true },
  );
  const row = await q.first(binder({ namespace, holder, token, limit, now: nowMs }));
  return row === undefined || Number(row.held) === 0 ? null : Number(row.removed);
}

/** Ends the lease at once if `holder` still holds it with `token` (the row stays: tokens never repeat). */
export async function releaseLease(
  q: QueryLayer,
  namespace: string,
  holder: string,
  token: number,
): Promise<void> {
  const binder = q.template<{ namespace: string; holder: string; token: number }, never>(
    'lease:release',
    (b) =>
      q.db
        .updateTable('sweep_leases')
        .set({ expires_at: sql<Date>`'-infinity'::timestamptz` })
        .where('sweep_leases.namespace', '=', b('namespace'))
        .where('sweep_leases.holder', '=', b('holder'))
        .where('sweep_leases.token', '=', b('token')),
  );
  await q.rows(binder({ namespace, holder, token }));
}
