/**
 * Index upkeep in time linear in a task's request ids. 0001's DELETE trigger joined
 * `old_rows × unnest(request_ids) × task_requests`; with no statistics on the unnested ids the
 * planner probed the request-id index by (namespace, created_at, task_id) only, walking every
 * entry of the namespace once per id: a task holding 8,000 request ids took 7 s to delete, past
 * the statement timeout, which also stalled cleanup, clear and the sweeper batches holding it.
 * Its hand-written-UPDATE trigger tested `id = ANY (OLD.request_ids)` per new id (ids × ids).
 *
 * Here each deleted row removes its entries with one `request_id = ANY ($ids)` index scan on the
 * full key (one descent per id, a plan that does not depend on estimates), and set differences
 * of id lists use EXCEPT (hashed or sorted, never pairwise).
 */
import type { Naming } from '../naming.js';
import { addExcluded, COUNTER_SLOTS, handSlot, rowDelta, STATUSES } from './0001-init.js';

/** The DDL statements of migration 0002, in order. */
export function linearIndexUpkeepStatements(n: Naming): string[] {
  const requests = n.qualified(n.requests);
  const counts = n.qualified(n.counts);
  const fn = (name: string) => n.qualified(`${n.tasks}_${name}`);
  const countBy = STATUSES.map((s) => `-count(*) FILTER (WHERE status = '${s}')`).join(', ');

  return [
    `CREATE OR REPLACE FUNCTION ${fn('after_delete')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  o record;
BEGIN
  -- one index scan per deleted row, on the whole key: one descent per request id
  FOR o IN SELECT namespace, task_id, created_at, request_ids FROM old_rows
           WHERE cardinality(request_ids) > 0 LOOP
    DELETE FROM ${requests}
      WHERE namespace = o.namespace AND request_id = ANY (o.request_ids)
        AND created_at = o.created_at AND task_id = o.task_id;
  END LOOP;
  INSERT INTO ${counts} AS c (namespace, slot, ${STATUSES.join(', ')})
    SELECT namespace, pg_backend_pid() % ${COUNTER_SLOTS}, ${countBy}
    FROM old_rows GROUP BY namespace ORDER BY namespace
    ON CONFLICT (namespace, slot) DO UPDATE SET ${addExcluded};
  RETURN NULL;
END
$fn$`,

    `CREATE OR REPLACE FUNCTION ${fn('after_update')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF OLD.namespace = NEW.namespace AND OLD.task_id = NEW.task_id AND OLD.created_at = NEW.created_at THEN
    DELETE FROM ${requests}
      WHERE namespace = OLD.namespace AND created_at = OLD.created_at AND task_id = OLD.task_id
        AND request_id = ANY (ARRAY(SELECT unnest(OLD.request_ids) EXCEPT SELECT unnest(NEW.request_ids)));
    INSERT INTO ${requests} (namespace, request_id, created_at, task_id)
      SELECT NEW.namespace, x.request_id, NEW.created_at, NEW.task_id
      FROM unnest(ARRAY(SELECT unnest(NEW.request_ids) EXCEPT SELECT unnest(OLD.request_ids))) AS x(request_id)
      ON CONFLICT DO NOTHING;
  ELSE
    -- the row now stands for another task: re-key its index rows
    DELETE FROM ${requests}
      WHERE namespace = OLD.namespace AND created_at = OLD.created_at AND task_id = OLD.task_id
        AND request_id = ANY (OLD.request_ids);
    INSERT INTO ${requests} (namespace, request_id, created_at, task_id)
      SELECT NEW.namespace, x.request_id, NEW.created_at, NEW.task_id FROM unnest(NEW.request_ids) AS x(request_id)
      ON CONFLICT DO NOTHING;
  END IF;
  IF OLD.namespace = NEW.namespace THEN
    IF OLD.status IS DISTINCT FROM NEW.status THEN
      INSERT INTO ${counts} AS c (namespace, slot, ${STATUSES.join(', ')})
        VALUES (NEW.namespace, ${handSlot('NEW')}, ${rowDelta('NEW', 'OLD')})
        ON CONFLICT (namespace, slot) DO UPDATE SET ${addExcluded};
    END IF;
  ELSE
    INSERT INTO ${counts} AS c (namespace, slot, ${STATUSES.join(', ')})
      VALUES (OLD.namespace, ${handSlot('OLD')}, ${rowDelta(null, 'OLD')})
      ON CONFLICT (namespace, slot) DO UPDATE SET ${addExcluded};
    INSERT INTO ${counts} AS c (namespace, slot, ${STATUSES.join(', ')})
      VALUES (NEW.namespace, ${handSlot('NEW')}, ${rowDelta('NEW', null)})
      ON CONFLICT (namespace, slot) DO UPDATE SET ${addExcluded};
  END IF;
  RETURN NULL;
END
$fn$`,
  ];
}
