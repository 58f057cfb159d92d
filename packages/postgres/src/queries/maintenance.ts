/**
 * Bulk deletes in bounded batches: each statement removes at most BATCH_SIZE rows found through
 * an index and commits on its own, so no statement holds many row locks or runs for long. The
 * DELETE trigger removes the rows' request-id entries and counts in the same statement.
 */
import { ACTIVE_STATUSES, type TaskStatus, TERMINAL_STATUSES } from '@taskvault/core';
import { type RawBuilder, sql } from 'kysely';
import { BATCH_SIZE, dead, taskKey } from './common.js';
import type { QueryLayer } from './template.js';

/** What a batched delete removes: the dead rows of a namespace, or all of its rows. */
type BatchedDelete = 'expired' | 'all';

/**
 * `(tasks.namespace, tasks.task_id) IN (<up to limit dead rows of the namespace>)`: rows past
 * their expiry (the partial expiry index), then rows past their retention deadline (the
 * partial retention index). A row past both may come twice; IN takes it once. The caller
 * re-checks {@link dead} on the row it deletes (a task written meanwhile stays).
 */
export function amongDeadRows(namespace: unknown, now: unknown, limit: unknown): RawBuilder<boolean> {
  const past = (column: 'expires_at' | 'retain_until') =>
    sql`(select c.namespace, c.task_id from ${sql.table('tasks')} as c
      where c.namespace = ${namespace} and ${sql.ref(`c.${column}`)} is not null and ${sql.ref(`c.${column}`)} <= ${now}
      limit ${limit})`;
  return sql<boolean>`(${sql.ref('tasks.namespace')}, ${sql.ref('tasks.task_id')}) in (
    select d.namespace, d.task_id from (${past('expires_at')} union all ${past('retain_until')}) as d limit ${limit})`;
}

/**
 * One batch of a batched delete: up to BATCH_SIZE rows of the namespace (`expired`: found through
 * the partial expiry and retention indexes), removed in one statement.
 * @returns how many rows went, and how many of them were live tasks
 */
async function deleteBatch(
  q: QueryLayer,
  what: BatchedDelete,
  namespace: string,
  nowMs: number,
): Promise<{ removed: number; live: number }> {
  const expired = what === 'expired';
  const binder = q.template<{ namespace: string; now: number }, { removed: number; live: number }>(
    `deleteBatch:${what}`,
    (b) =>
      q.db
        .with('gone', (qb) => {
          if (expired) {
            return (
              qb
                .deleteFrom('tasks')
                .where(amongDeadRows(b('namespace'), b('now'), BATCH_SIZE))
                // re-checked on the newest row version: a task written meanwhile stays
                .where(dead('tasks', b('now')))
                .returning(sql<boolean>`false`.as('was_live'))
            );
          }
          return qb
            .deleteFrom('tasks')
            .where((eb) =>
              eb(
                eb.refTuple('tasks.namespace', 'tasks.task_id'),
                'in',
                eb
                  .selectFrom('tasks as c')
                  .select(['c.namespace', 'c.task_id'])
                  .where('c.namespace', '=', b('namespace'))
                  .limit(BATCH_SIZE)
                  .$asTuple('namespace', 'task_id'),
              ),
            )
            .returning(sql<boolean>`${dead('tasks', b('now'))} is not true`.as('was_live'));
        })
        .selectFrom('gone')
        .select((eb) => [
          eb.fn.countAll<number>().as('removed'),
          sql<number>`count(*) filter (where gone.was_live)`.as('live'),
        ]),
    // how many rows are dead varies from none to all: a generic plan might scan the table for them
    { planPerCall: expired },
  );
  const row = await q.first(binder({ namespace, now: nowMs }));
  return { removed: Number(row?.removed ?? 0), live: Number(row?.live ?? 0) };
}

/** Hears how many rows each batch removed. */
export type OnBatch = (removed: number) => void;

/**
 * Runs batches of a batched delete until one removes fewer than BATCH_SIZE rows.
 * @returns how many rows went (`expired`), or how many live tasks went (`all`)
 */
async function deleteInBatches(
  q: QueryLayer,
  what: BatchedDelete,
  namespace: string,
  nowMs: number,
  onBatch: OnBatch = () => {},
): Promise<number> {
  let total = 0;
  for (;;) {
    const { removed, live } = await deleteBatch(q, what, namespace, nowMs);
    const counted = what === 'expired' ? removed : live;
    total += counted;
    onBatch(counted);
    if (removed < BATCH_SIZE) return total;
  }
}

/** Removes the dead rows of the namespace (past expiry or retention); returns how many. */
export function deleteExpiredRows(
  q: QueryLayer,
  namespace: string,
  nowMs: number,
  onBatch?: OnBatch,
): Promise<number> {
  return deleteInBatches(q, 'expired', namespace, nowMs, onBatch);
}

/** Where a cleanup walk of one status stands: after this (created_at, task_id). */
interface WalkPosition {
  createdAt: number;
  taskId: string;
}

/**
 * One batch of rows of `status` last updated before the cutoff. A task updated before the cutoff
 * was created before it, so the candidates are the range `created_at < cutoff` of the
 * (namespace, status, created_at, task_id) index, walked in order from `after`; rows in it that
 * were updated since are passed over once, never rescanned by the next batch.
 * @returns how many were removed and where the walk stands (null when the range is done)
 */
async function deleteStaleBatch(
  q: QueryLayer,
  namespace: string,
  status: TaskStatus,
  cutoffMs: number,
  after: WalkPosition | null,
): Promise<{ removed: number; next: WalkPosition | null }> {
  const binder = q.template<
    { namespace: string; status: string; cutoff: number; after_created_at: number; after_task_id: string },
    { removed: number; last_created_at: number | null; last_task_id: string | null }
  >(`deleteStale:${after !== null}`, (b) =>
    q.db
      .with('batch', (qb) => {
        let candidates = qb
          .selectFrom('tasks')
          .select(['tasks.namespace', 'tasks.task_id', 'tasks.created_at'])
          .where('tasks.namespace', '=', b('namespace'))
          .where('tasks.status', '=', b('status'))
          .where('tasks.created_at', '<', b('cutoff'))
          .where('tasks.updated_at', '<', b('cutoff'));
        if (after !== null) {
          candidates = candidates.where((eb) =>
            eb(
              eb.refTuple('tasks.created_at', 'tasks.task_id'),
              '>',
              eb.tuple(b('after_created_at'), b('after_task_id')),
            ),
          );
        }
        return candidates.orderBy('tasks.created_at').orderBy('tasks.task_id').limit(BATCH_SIZE);
      })
      .with('gone', (qb) =>
        qb
          .deleteFrom('tasks')
          .where((eb) =>
            eb(
              eb.refTuple('tasks.namespace', 'tasks.task_id'),
              'in',
              eb
                .selectFrom('batch')
                .select(['batch.namespace', 'batch.task_id'])
                .$asTuple('namespace', 'task_id'),
            ),
          )
          // re-checked on the newest row version: a task touched or moved on meanwhile stays
          .where('tasks.status', '=', b('status'))
          .where('tasks.updated_at', '<', b('cutoff'))
          .returning(sql<number>`1`.as('one')),
      )
      .selectNoFrom((eb) => [
        eb
          .selectFrom('gone')
          .select((e) => e.fn.countAll<number>().as('n'))
          .as('removed'),
        eb
          .selectFrom('batch')
          .select('batch.created_at')
          .orderBy('batch.created_at', 'desc')
          .orderBy('batch.task_id', 'desc')
          .limit(1)
          .as('last_created_at'),
        eb
          .selectFrom('batch')
          .select('batch.task_id')
          .orderBy('batch.created_at', 'desc')
          .orderBy('batch.task_id', 'desc')
          .limit(1)
          .as('last_task_id'),
      ]),
  );
  const row = await q.first(
    binder({
      namespace,
      status,
      cutoff: cutoffMs,
      after_created_at: after?.createdAt ?? 0,
      after_task_id: after?.taskId ?? '',
    }),
  );
  const found = row?.last_created_at ?? null;
  const next =
    found === null || row?.last_task_id == null
      ? null
      : { createdAt: Number(found), taskId: row.last_task_id };
  return { removed: Number(row?.removed ?? 0), next };
}

/**
 * What `cleanup` removes: every dead row, then rows not updated since the cutoff. `onBatch` hears
 * each batch that removed something.
 */
export async function cleanupRows(
  q: QueryLayer,
  namespace: string,
  cutoffMs: number,
  includeActive: boolean,
  nowMs: number,
  onBatch: OnBatch,
): Promise<number> {
  const heard: OnBatch = (removed) => {
    if (removed > 0) onBatch(removed);
  };
  let total = await deleteExpiredRows(q, namespace, nowMs, heard);
  const statuses = includeActive ? [...TERMINAL_STATUSES, ...ACTIVE_STATUSES] : TERMINAL_STATUSES;
  for (const status of statuses) {
    let after: WalkPosition | null = null;
    do {
      const batch = await deleteStaleBatch(q, namespace, status, cutoffMs, after);
      total += batch.removed;
      heard(batch.removed);
      after = batch.next;
    } while (after !== null);
  }
  return total;
}

/** Removes every row of the namespace; returns how many were live tasks. */
export function clearRows(q: QueryLayer, namespace: string, nowMs: number): Promise<number> {
  return deleteInBatches(q, 'all', namespace, nowMs);
}

/**
 * Moves a row that cannot be read into the quarantine table, in one statement: the insert into
 * the quarantine and the delete of the row (and, by trigger, its request-id rows and counts)
 * commit together. The whole row is kept as jsonb for inspection.
 */
export async function quarantineRow(
  q: QueryLayer,
  namespace: string,
  taskId: string,
  reason: string,
): Promise<void> {
  const binder = q.template<{ namespace: string; task_id: string; reason: string }, never>(
    'quarantine',
    (b) =>
      q.db
        .with('moved', (qb) =>
          qb
            .deleteFrom('tasks')
            .where(taskKey(b('namespace'), b('task_id')))
            .returningAll(),
        )
        .insertInto('task_quarantine')
        .columns(['namespace', 'task_id', 'reason', 'row_data'])
        .expression((eb) =>
          eb
            .selectFrom('moved')
            .select([
              'moved.namespace',
              'moved.task_id',
              sql<string>`${b('reason')}::text`.as('reason'),
              sql<string>`to_jsonb(moved.*)`.as('row_data'),
            ]),
        ),
  );
  await q.rows(binder({ namespace, task_id: taskId, reason }));
}
