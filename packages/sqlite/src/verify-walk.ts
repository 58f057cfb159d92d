/**
 * `verify` on SQLite: three bounded walks over one namespace, each batch in one transaction (a
 * consistent view, and with `repair` the fix lands in the same step as the check).
 * 1. The task rows, by rowid: each must hold a task (else `corrupt-record`, moved aside with
 *    repair), and its index entries must be exactly the distinct request ids of its items, with
 *    its createdAt (`missing-index-entry` inserted, `orphan-index-entry` deleted with repair).
 * 2. The request-id index, by its key: each entry must name a task row (`orphan-index-entry`).
 * 3. The status counters against the rows (`count-mismatch`, recounted with repair).
 * The list, status and live-until indexes are SQLite's own B-trees on the tasks table, kept by
 * SQLite in the same transaction as the row. What the store writes into them is checked in walk 1:
 * a row's `live_until` may be earlier than its `expires_at` (retention) but never later or empty
 * while it has one, or the task would outlive its expiry (`missing-index-entry` of `expiry`, set
 * with repair to what a write by this store would store).
 */
import { CorruptRecord, type VerifyRequest } from '@taskvault/core/adapter';
import { requestIdsOf, TASK_COLUMNS, taskFromRow } from './rows.js';
import type { LiveUntilOf, NamespaceTable, StoredRow } from './table.js';

const INDEX = 'request-id';

/** Runs the walk; `onAside` reports each row moved to the quarantine. */
export function verifyNamespace(
  t: NamespaceTable,
  request: VerifyRequest,
  liveUntil: LiveUntilOf,
  onAside: (taskId: string, detail: string) => void,
): void {
  walkRows(t, request, liveUntil, onAside);
  walkEntries(t, request);
  checkCounts(t, request);
}

function walkRows(
  t: NamespaceTable,
  request: VerifyRequest,
  liveUntil: LiveUntilOf,
  onAside: (taskId: string, detail: string) => void,
) {
  const { report, repair, batchSize } = request;
  const now = request.now.getTime();
  const batch = t.stmt(
    `SELECT id, live_until, ${TASK_COLUMNS} FROM taskvault_tasks WHERE namespace = ? AND id > ? ORDER BY id LIMIT ?`,
  );
  const setLiveUntil = t.stmt('UPDATE taskvault_tasks SET live_until = ? WHERE id = ?');
  const entries = t.stmt(
    'SELECT request_id, created_at FROM taskvault_requests WHERE namespace = ? AND task_id = ?',
  );
  const drop = t.stmt(
    'DELETE FROM taskvault_requests WHERE namespace = ? AND request_id = ? AND created_at = ? AND task_id = ?',
  );
  let after = 0;
  for (;;) {
    const aside: [string, string][] = [];
    const n = t.write(() => {
      const rows = batch.all(t.namespace, after, batchSize) as StoredRow[];
      for (const row of rows) {
        after = row.id;
        let ids: Set<string>;
        try {
          const task = taskFromRow(row);
          ids = new Set(requestIdsOf(task.items));
          const late = lateLiveUntil(row);
          if (late !== null) {
            if (repair) setLiveUntil.run(liveUntil(task), row.id);
            report.problem(
              { kind: 'missing-index-entry', taskId: row.task_id, index: 'expiry', detail: late },
              repair,
            );
          }
        } catch (error) {
          if (!(error instanceof CorruptRecord)) throw error;
          if (repair) {
            t.quarantine(row, error.detail, now);
            aside.push([row.task_id, error.detail]);
          }
          report.problem(
            { kind: 'corrupt-record', taskId: row.task_id, index: null, detail: error.detail },
            repair,
          );
          continue;
        }
        const held = entries.all(t.namespace, row.task_id) as { request_id: string; created_at: number }[];
        for (const e of held) {
          if (e.created_at === row.created_at && ids.delete(e.request_id)) continue;
          if (repair) drop.run(t.namespace, e.request_id, e.created_at, row.task_id);
          report.problem(
            {
              kind: 'orphan-index-entry',
              taskId: row.task_id,
              index: INDEX,
              detail: `request id ${JSON.stringify(e.request_id)} points at a task that does not hold it`,
            },
            repair,
          );
        }
        for (const id of ids) {
          report.problem(
            {
              kind: 'missing-index-entry',
              taskId: row.task_id,
              index: INDEX,
              detail: `request id ${JSON.stringify(id)} has no index entry`,
            },
            repair,
          );
        }
        if (repair) t.addRequests(row.task_id, row.created_at, ids);
      }
      return rows.length;
    });
    for (const [taskId, detail] of aside) onAside(taskId, detail);
    report.checked(n);
    if (n < batchSize) return;
  }
}

/** What is wrong with a row's live-until, or null: it must not be later than its expiry. */
function lateLiveUntil(row: StoredRow): string | null {
  const { expires_at: expiresAt, live_until: liveUntil } = row;
  if (expiresAt === null || (liveUntil !== null && liveUntil <= expiresAt)) return null;
  return liveUntil === null
    ? `live_until is empty though the task expires at ${expiresAt}: it would never expire`
    : `live_until ${liveUntil} is later than the task's expiry ${expiresAt}: it would outlive it`;
}

interface Entry {
  request_id: string;
  created_at: number;
  task_id: string;
  found: number | null;
}

function walkEntries(t: NamespaceTable, request: VerifyRequest) {
  const { report, repair, batchSize } = request;
  const first = t.stmt(
    `SELECT r.request_id, r.created_at, r.task_id, t.id AS found FROM taskvault_requests r
     LEFT JOIN taskvault_tasks t ON t.namespace = r.namespace AND t.task_id = r.task_id
     WHERE r.namespace = ? ORDER BY r.request_id, r.created_at, r.task_id LIMIT ?`,
  );
  const next = t.stmt(
    `SELECT r.request_id, r.created_at, r.task_id, t.id AS found FROM taskvault_requests r
     LEFT JOIN taskvault_tasks t ON t.namespace = r.namespace AND t.task_id = r.task_id
     WHERE r.namespace = ? AND (r.request_id, r.created_at, r.task_id) > (?, ?, ?)
     ORDER BY r.request_id, r.created_at, r.task_id LIMIT ?`,
  );
  const drop = t.stmt(
    'DELETE FROM taskvault_requests WHERE namespace = ? AND request_id = ? AND created_at = ? AND task_id = ?',
  );
  let after: Entry | null = null;
  for (;;) {
    const from = after;
    const rows = t.write(() => {
      const batch = (
        from === null
          ? first.all(t.namespace, batchSize)
          : next.all(t.namespace, from.request_id, from.created_at, from.task_id, batchSize)
      ) as Entry[];
      for (const e of batch) {
        if (e.found !== null) continue;
        if (repair) drop.run(t.namespace, e.request_id, e.created_at, e.task_id);
        report.problem(
          {
            kind: 'orphan-index-entry',
            taskId: e.task_id,
            index: INDEX,
            detail: `request id ${JSON.stringify(e.request_id)} points at a task that does not exist`,
          },
          repair,
        );
      }
      return batch;
    });
    report.checked(0);
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1] ?? null;
  }
}

function checkCounts(t: NamespaceTable, request: VerifyRequest) {
  t.write(() => {
    const actual = new Map(
      (
        t
          .stmt('SELECT status, count(*) AS n FROM taskvault_tasks WHERE namespace = ? GROUP BY status')
          .all(t.namespace) as { status: string; n: number }[]
      ).map((r) => [r.status, r.n]),
    );
    const counted = new Map(
      (
        t.stmt('SELECT status, n FROM taskvault_counts WHERE namespace = ?').all(t.namespace) as {
          status: string;
          n: number;
        }[]
      ).map((r) => [r.status, r.n]),
    );
    const statuses = new Set([...actual.keys(), ...counted.keys()]);
    let wrong = false;
    for (const status of statuses) {
      const a = actual.get(status) ?? 0;
      const c = counted.get(status) ?? 0;
      if (a === c) continue;
      wrong = true;
      request.report.problem(
        {
          kind: 'count-mismatch',
          taskId: null,
          index: 'taskvault_counts',
          detail: `status ${status}: counted ${c}, actual ${a}`,
        },
        request.repair,
      );
    }
    if (wrong && request.repair) {
      t.stmt('DELETE FROM taskvault_counts WHERE namespace = ?').run(t.namespace);
      for (const [status, n] of actual) t.count(status, n);
    }
  });
}
