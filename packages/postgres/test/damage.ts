/** The conformance suite's `damage` for PostgreSQL: the task's row is edited so it holds no task. */
import type { TaskStore } from '@taskvault/core';
import type pg from 'pg';
import { PostgresTaskStore } from '../src/index.js';

/** A `damage(store, taskId)` that runs its UPDATE through `run` (a pool or a client factory). */
export function damageVia(run: () => Pick<pg.Pool, 'query'>) {
  return async (store: TaskStore, taskId: string): Promise<void> => {
    if (!(store instanceof PostgresTaskStore)) throw new Error('not a PostgresTaskStore');
    const table = `"${store.schema}"."${store.tablePrefix}tasks"`;
    const result = await run().query(
      `update ${table} set items = '"not an item list"' where namespace = $1 and task_id = $2`,
      [store.namespace, taskId],
    );
    if (result.rowCount !== 1) throw new Error(`no row for task ${taskId} to damage`);
  };
}
