/**
 * Fills in the kept sizes (`bytes`, `data_sizes`: see sizes.ts) of rows written before migration
 * 0003, in keyset batches that each commit on their own, so no statement is long and a stopped
 * run resumes where it was. A row changed meanwhile (the store wrote its size) or unreadable
 * (left for the quarantine on its next read) is passed over.
 */
import { CorruptRecord, serializeTask } from '@taskvault/core/adapter';
import { type Kysely, sql } from 'kysely';
import type { Naming } from './naming.js';
import { TASK_COLUMNS, type TaskRow, taskFromRow } from './rows.js';
import { dataWithSizes } from './sizes.js';

/** Rows read and written per backfill statement. */
const BACKFILL_BATCH = 500;

/**
 * Backfills every row of the schema and prefix whose size is not kept.
 * @param onBatch called after each batch with the rows done so far
 * @returns how many rows got their size
 */
export async function backfillTaskBytes(
  db: Kysely<unknown>,
  naming: Naming,
  onBatch: (rows: number) => void = () => {},
): Promise<number> {
  const tasks = sql.raw(naming.qualified(naming.tasks));
  const columns = sql.raw(TASK_COLUMNS.join(', '));
  let after = { namespace: '', taskId: '' };
  let done = 0;
  for (;;) {
    const { rows } = await sql<TaskRow & { namespace: string }>`
      select namespace, ${columns} from ${tasks}
      where bytes is null and (namespace, task_id) > (${after.namespace}, ${after.taskId})
      order by namespace, task_id limit ${BACKFILL_BATCH}`.execute(db);
    const last = rows[rows.length - 1];
    if (last === undefined) return done;
    after = { namespace: last.namespace, taskId: last.task_id };
    const sized = rows.flatMap((row) => {
      try {
        const task = taskFromRow(row);
        const sizes = dataWithSizes(task.data).sizes;
        return [{ row, bytes: Buffer.byteLength(serializeTask(task)), sizes: JSON.stringify(sizes) }];
      } catch (error) {
        if (error instanceof CorruptRecord) return [];
        throw error;
      }
    });
    if (sized.length > 0) {
      const result = await sql`
        update ${tasks} as t set bytes = s.bytes, data_sizes = s.sizes::jsonb
        from unnest(${sized.map((s) => s.row.namespace)}::text[], ${sized.map((s) => s.row.task_id)}::text[],
                    ${sized.map((s) => s.row.version)}::bigint[], ${sized.map((s) => s.bytes)}::bigint[],
                    ${sized.map((s) => s.sizes)}::text[])
          as s(namespace, task_id, version, bytes, sizes)
        where t.namespace = s.namespace and t.task_id = s.task_id and t.version = s.version and t.bytes is null`.execute(
        db,
      );
      done += Number(result.numAffectedRows ?? 0);
    }
    onBatch(done);
  }
}
