/**
 * `verify` on PostgreSQL: three bounded walks over one namespace.
 * 1. The tasks, by primary key in batches: each row must parse (else `corrupt-record`, moved
 *    aside with repair), its `request_ids` must be the distinct request ids of its items, and
 *    each of them must have an index entry (`missing-index-entry`, inserted with repair).
 * 2. The request-id index, by its key in batches: each entry must be held by the task it names
 *    (`orphan-index-entry`, deleted with repair).
 * 3. The status counters against the tasks, in one snapshot (`count-mismatch`, recounted with
 *    repair).
 * The status, expiry and list indexes are PostgreSQL's own B-trees on the tasks table, kept by
 * the server in the same transaction as the row: nothing of ours to check there.
 */
import type { VerifyProblem } from '@taskvault/core';
import { CorruptRecord, type VerifyRequest } from '@taskvault/core/adapter';
import type { QueryLayer } from './queries/template.js';
import {
  entryBatch,
  entryKey,
  type IndexEntry,
  missingEntries,
  orphanEntries,
  recount,
  setRequestIds,
  statusCounts,
  taskBatch,
} from './queries/verify.js';
import { requestIdsOf, taskFromRow } from './rows.js';

/** What the walk needs of the store. */
export interface VerifyTarget {
  queries: QueryLayer;
  namespace: string;
  /** Moves an unreadable row aside and reports it. */
  moveAside(taskId: string, detail: string): Promise<void>;
}

const INDEX = 'request-id';

/** Runs the walk, recording into `request.report`. */
export async function verifyNamespace(target: VerifyTarget, request: VerifyRequest): Promise<void> {
  await walkTasks(target, request);
  await walkEntries(target, request);
  await checkCounts(target, request);
}

async function walkTasks({ queries: q, namespace: ns, moveAside }: VerifyTarget, request: VerifyRequest) {
  const { report, repair, batchSize } = request;
  const problem = (p: Omit<VerifyProblem, 'repaired'>, repaired: boolean) => report.problem(p, repaired);
  let after = '';
  for (;;) {
    const rows = await taskBatch(q, ns, after, batchSize);
    const last = rows[rows.length - 1];
    if (last === undefined) return;
    after = last.task_id;
    const readable: string[] = [];
    for (const row of rows) {
      let ids: string[];
      try {
        ids = requestIdsOf(taskFromRow(row).items);
      } catch (error) {
        if (!(error instanceof CorruptRecord)) throw error;
        if (repair) await moveAside(row.task_id, error.detail);
        problem({ kind: 'corrupt-record', taskId: row.task_id, index: null, detail: error.detail }, repair);
        continue;
      }
      readable.push(row.task_id);
      const held = new Set(row.request_ids);
      if (ids.length !== held.size || ids.some((id) => !held.has(id))) {
        const fixed = repair && (await setRequestIds(q, ns, row.task_id, row.version, ids));
        problem(
          {
            kind: 'missing-index-entry',
            taskId: row.task_id,
            index: 'request_ids',
            detail: 'the request_ids column differs from the request ids of the items',
          },
          fixed,
        );
      }
    }
    if (readable.length > 0) {
      for (const e of await missingEntries(q, ns, readable, repair)) {
        problem(
          {
            kind: 'missing-index-entry',
            taskId: e.task_id,
            index: INDEX,
            detail: `request id ${JSON.stringify(e.request_id)} has no index entry`,
          },
          repair,
        );
      }
    }
    report.checked(rows.length);
  }
}

async function walkEntries({ queries: q, namespace: ns }: VerifyTarget, request: VerifyRequest) {
  const { report, repair, batchSize } = request;
  let after: IndexEntry | null = null;
  for (;;) {
    const entries = await entryBatch(q, ns, after, batchSize);
    const last = entries[entries.length - 1];
    if (last === undefined) return;
    after = last;
    const { orphans, removed } = await orphanEntries(q, ns, entries, repair);
    for (const o of orphans) {
      report.problem(
        {
          kind: 'orphan-index-entry',
          taskId: o.task_id,
          index: INDEX,
          detail: `request id ${JSON.stringify(o.request_id)} points at a task that does not hold it`,
        },
        removed.has(entryKey(o)),
      );
    }
    report.checked(0);
  }
}

async function checkCounts({ queries: q, namespace: ns }: VerifyTarget, request: VerifyRequest) {
  const wrong = (await statusCounts(q, ns)).filter((s) => s.counted !== s.actual);
  if (wrong.length === 0) return;
  if (request.repair) await recount(q, ns);
  for (const s of wrong) {
    request.report.problem(
      {
        kind: 'count-mismatch',
        taskId: null,
        index: 'task_counts',
        detail: `status ${s.status}: counted ${s.counted}, actual ${s.actual}`,
      },
      request.repair,
    );
  }
}
