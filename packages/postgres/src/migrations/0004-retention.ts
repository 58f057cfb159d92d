/**
 * Retention (SPEC "Retention") and the sweep lease.
 *
 * A task's live-until instant is the earlier of `expires_at` and `retain_until`, the new column:
 * `updated_at` + the retention of its status, written by the store's statements with the row (null
 * when no retention applies: an active status, a status the policy leaves out, no policy). Rows
 * written before this migration have `retain_until` null, so their live-until is their expiry,
 * with nothing to backfill. The expiry index stays as it is, and a second partial index holds
 * the retention deadlines (INCLUDE status and expires_at, so counting the rows retention ended
 * that have not expired by their TTL reads the index alone). An active task's `retain_until`
 * stays null, so its writes touch neither index unless its expiry changes: they stay HOT.
 *
 * Why not one `live_until` column holding the earlier of the two: every row with a TTL would
 * need it filled in, in the migration (rewriting each such row under the ALTER TABLE's exclusive
 * lock: 200k 2.6 KB rows took 11.8 s, where this migration takes 0.5 s) or afterwards in batches,
 * while reads would have to fall back to `expires_at`. And not an index on the expression
 * `least(retain_until, expires_at)`: PostgreSQL keeps no statistics for the expression of a
 * partial index, so every range of it was estimated at a third of the table and planned as a
 * sequential scan.
 *
 * The lease table holds one row per namespace that has had a sweeper: who holds the lease, until
 * when (the server's clock, so processes with skewed clocks agree), and its fencing token, which
 * grows each time the lease changes hands. Rows are never deleted (a release only ends the lease),
 * so a token is never handed out twice.
 */
import type { Naming } from '../naming.js';
import { quoteIdent } from '../naming.js';

/** The active statuses: retention never applies to them. */
export const ACTIVE_STATUS_LIST = `('pending', 'running', 'paused')`;

/** The DDL statements of migration 0004, in order (see schema-objects.ts for what each creates). */
export function retentionStatements(n: Naming): string[] {
  const tasks = n.qualified(n.tasks);
  const fn = (name: string) => n.qualified(`${n.tasks}_${name}`);
  const idx = (name: string) => quoteIdent(`${n.tasks}_${name}`);
  return [
    `ALTER TABLE ${tasks} ADD COLUMN IF NOT EXISTS retain_until bigint`,
    `CREATE INDEX ${idx('retention_idx')} ON ${tasks} (namespace, retain_until) INCLUDE (status, expires_at) WHERE retain_until IS NOT NULL`,

    `CREATE TABLE ${n.qualified(n.leases)} (
  namespace  text COLLATE "C" NOT NULL PRIMARY KEY,
  holder     text NOT NULL,
  token      bigint NOT NULL,
  expires_at timestamptz NOT NULL
)`,

    // SQL written by hand, or by a store of an older version during a rolling deploy, knows no
    // retention: a task it moves back to an active status must not keep the deadline a store
    // wrote for its terminal status. The store's own writes never leave one on an active task,
    // so the WHEN clause is false for them (and is not even read unless the status is set).
    `CREATE FUNCTION ${fn('drop_retention')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE ${tasks} SET retain_until = NULL
    WHERE namespace = NEW.namespace AND task_id = NEW.task_id
      AND retain_until IS NOT NULL AND status IN ${ACTIVE_STATUS_LIST};
  RETURN NULL;
END
$fn$`,
    `CREATE TRIGGER after_status_drop_retention AFTER UPDATE OF status ON ${tasks}
  FOR EACH ROW WHEN (NEW.retain_until IS NOT NULL AND NEW.status IN ${ACTIVE_STATUS_LIST})
  EXECUTE FUNCTION ${fn('drop_retention')}()`,
  ];
}
