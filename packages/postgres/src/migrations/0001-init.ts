/**
 * The first schema: tasks, the request-id index, status counters, the quarantine, and what keeps
 * the index and counters in step with the task rows.
 *
 * Who keeps them: the store's own INSERT and UPDATE statements add index rows and move the
 * counters in the same statement (one round trip, and cheaper than a trigger). Removing index
 * rows needs a fresh snapshot (rows added by a writer that committed after the statement began
 * are invisible to a DELETE in it), so deletes go through PL/pgSQL, whose VOLATILE statements
 * each take a new snapshot: the `forget_requests` function (update) and the DELETE trigger.
 * Row triggers with a WHEN clause do the same work for INSERTs and UPDATEs written by hand in
 * SQL, and skip the store's statements, which mark themselves, at no cost.
 *
 * The DELETE trigger is statement level: a cleanup batch of 1000 rows makes one set-based index
 * delete and one counter upsert per namespace. Per-row counter upserts inside one transaction
 * would each walk every earlier version of the counter row: quadratic time.
 */
import { type Naming, quoteIdent } from '../naming.js';

/**
 * Counter rows per namespace. A writer adds to the slot of its backend pid, so concurrent
 * writers rarely wait for one another's counter row (a row lock lasts until commit, fsync
 * included); a reader sums at most this many rows.
 */
export const COUNTER_SLOTS = 64; // a power of two (see handSlot)

/**
 * True unless the statement is the store's own INSERT or UPDATE, which sets this
 * (transaction-local) before it changes a row; see the triggers.
 */
export const NOT_STORE_WRITER = `current_setting('taskvault.writer', true) IS DISTINCT FROM 'store'`;

/** The counter slot of a hand-written row: by task id, so one bulk statement spreads over all slots. */
export const handSlot = (row: 'NEW' | 'OLD') => `(hashtext(${row}.task_id) & ${COUNTER_SLOTS - 1})`;

/** `(NEW.status = 'pending')::int - (OLD.status = 'pending')::int, ...`; null for a missing side. */
export const rowDelta = (plus: 'NEW' | null, minus: 'OLD' | null) =>
  STATUSES.map(
    (s) =>
      [plus && `(${plus}.status = '${s}')::int`, minus && `- (${minus}.status = '${s}')::int`]
        .filter(Boolean)
        .join(' ') || '0',
  ).join(', ');

export const STATUSES = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;

/** `pending = c.pending + excluded.pending, ...` */
export const addExcluded = STATUSES.map((s) => `${s} = c.${s} + excluded.${s}`).join(', ');

/** The DDL statements of migration 0001, in order. */
export function initStatements(n: Naming): string[] {
  const tasks = n.qualified(n.tasks);
  const requests = n.qualified(n.requests);
  const counts = n.qualified(n.counts);
  const quarantine = n.qualified(n.quarantine);
  const fn = (name: string) => n.qualified(`${n.tasks}_${name}`);
  const idx = (name: string) => quoteIdent(`${n.tasks}_${name}`);
  /** `count(*) FILTER (WHERE status = 'pending'), ...`, negated with `-`. */
  const countBy = (sign: '' | '-') =>
    STATUSES.map((s) => `${sign}count(*) FILTER (WHERE status = '${s}')`).join(', ');

  return [
    `CREATE TABLE ${tasks} (
  namespace   text COLLATE "C" NOT NULL,
  task_id     text COLLATE "C" NOT NULL,
  status      text NOT NULL,
  session_id  text COLLATE "C",
  user_id     text COLLATE "C",
  created_at  bigint NOT NULL,
  updated_at  bigint NOT NULL,
  expires_at  bigint,
  version     bigint NOT NULL,
  request_ids text[] NOT NULL DEFAULT '{}',
  data        jsonb NOT NULL,
  items       jsonb NOT NULL,
  PRIMARY KEY (namespace, task_id)
) WITH (fillfactor = 80, toast_tuple_target = 4080)`,
    // ^ fillfactor: room on each page for the new version of a patched row: an UPDATE that changes
    //   no indexed column (a patch appending items or merging data) is then HOT and writes no index
    //   entry. For the same reason no index holds updated_at, which every write changes.
    //   toast_tuple_target: a row up to ~4 KB stays in the table as it is. With the default (2 KB)
    //   a typical 2-3 KB task had items compressed and data moved out to the TOAST table: every
    //   write then rewrote a TOAST chunk and its index entry and logged the whole compressed value,
    //   and every read fetched and decompressed it. 4080 bytes is the largest row of which two
    //   versions fit on one 8 KB page, so a HOT update stays possible; larger rows are compressed
    //   (and moved out if need be) as before.
    // list, newest first (scanned backwards for oldest first); keyset on (created_at, task_id)
    `CREATE INDEX ${idx('created_idx')} ON ${tasks} (namespace, created_at DESC, task_id DESC)`,
    // list and count filtered by status; cleanup by age (updated_at >= created_at, so the tasks
    // last updated before a cutoff are among those created before it: a range of this index)
    `CREATE INDEX ${idx('status_created_idx')} ON ${tasks} (namespace, status, created_at, task_id)`,
    // expired rows: the sweeper, cleanup, and the expired rows counts subtract from the counters
    `CREATE INDEX ${idx('expiry_idx')} ON ${tasks} (namespace, expires_at) INCLUDE (status) WHERE expires_at IS NOT NULL`,

    `CREATE TABLE ${requests} (
  namespace  text COLLATE "C" NOT NULL,
  request_id text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL,
  task_id    text COLLATE "C" NOT NULL,
  PRIMARY KEY (namespace, request_id, created_at, task_id)
)`,

    `CREATE TABLE ${counts} (
  namespace text COLLATE "C" NOT NULL,
  slot      smallint NOT NULL,
  pending   bigint NOT NULL DEFAULT 0,
  running   bigint NOT NULL DEFAULT 0,
  paused    bigint NOT NULL DEFAULT 0,
  completed bigint NOT NULL DEFAULT 0,
  failed    bigint NOT NULL DEFAULT 0,
  cancelled bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (namespace, slot)
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)`,
    // ^ every write updates a counter row: leave room on each page for HOT updates, and vacuum
    //   by dead-row count, not table size, so the hot little table never bloats

    `CREATE TABLE ${quarantine} (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  namespace      text COLLATE "C" NOT NULL,
  task_id        text COLLATE "C" NOT NULL,
  reason         text NOT NULL,
  quarantined_at timestamptz NOT NULL DEFAULT now(),
  row_data       jsonb NOT NULL
)`,

    // Removes request-id rows of a task. VOLATILE PL/pgSQL: its DELETE runs with a fresh snapshot,
    // so it also sees rows added by a writer that committed after the calling statement began.
    `CREATE FUNCTION ${fn('forget_requests')}(p_namespace text, p_task_id text, p_created_at bigint, p_request_ids text[])
  RETURNS integer LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  removed integer;
BEGIN
  DELETE FROM ${requests}
    WHERE namespace = p_namespace AND request_id = ANY (p_request_ids)
      AND created_at = p_created_at AND task_id = p_task_id;
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END
$fn$`,

    // INSERT and UPDATE by hand-written SQL: the store's own statements keep the index and the
    // counters themselves (cheaper than any trigger) and mark themselves, and the WHEN clause of
    // these row triggers skips them at no cost. Hand-written rows spread their counter updates
    // over the slots by task id, so a bulk INSERT ... SELECT does not pile thousands of versions
    // onto one counter row inside its transaction.
    `CREATE FUNCTION ${fn('after_insert')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO ${requests} (namespace, request_id, created_at, task_id)
    SELECT NEW.namespace, x.request_id, NEW.created_at, NEW.task_id FROM unnest(NEW.request_ids) AS x(request_id)
    ON CONFLICT DO NOTHING;
  INSERT INTO ${counts} AS c (namespace, slot, ${STATUSES.join(', ')})
    VALUES (NEW.namespace, ${handSlot('NEW')}, ${rowDelta('NEW', null)})
    ON CONFLICT (namespace, slot) DO UPDATE SET ${addExcluded};
  RETURN NULL;
END
$fn$`,

    `CREATE FUNCTION ${fn('after_update')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF OLD.namespace = NEW.namespace AND OLD.task_id = NEW.task_id AND OLD.created_at = NEW.created_at THEN
    DELETE FROM ${requests}
      WHERE namespace = OLD.namespace AND created_at = OLD.created_at AND task_id = OLD.task_id
        AND request_id = ANY (ARRAY(SELECT unnest(OLD.request_ids) EXCEPT SELECT unnest(NEW.request_ids)));
    INSERT INTO ${requests} (namespace, request_id, created_at, task_id)
      SELECT NEW.namespace, x.request_id, NEW.created_at, NEW.task_id FROM unnest(NEW.request_ids) AS x(request_id)
      WHERE NOT (x.request_id = ANY (OLD.request_ids))
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

    `CREATE FUNCTION ${fn('after_delete')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM ${requests} AS r
    USING old_rows AS o, unnest(o.request_ids) AS x(request_id)
    WHERE r.namespace = o.namespace AND r.request_id = x.request_id
      AND r.created_at = o.created_at AND r.task_id = o.task_id;
  INSERT INTO ${counts} AS c (namespace, slot, ${STATUSES.join(', ')})
    SELECT namespace, pg_backend_pid() % ${COUNTER_SLOTS}, ${countBy('-')}
    FROM old_rows GROUP BY namespace ORDER BY namespace
    ON CONFLICT (namespace, slot) DO UPDATE SET ${addExcluded};
  RETURN NULL;
END
$fn$`,

    `CREATE FUNCTION ${fn('after_truncate')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  TRUNCATE ${requests}, ${counts};
  RETURN NULL;
END
$fn$`,

    `CREATE TRIGGER after_insert AFTER INSERT ON ${tasks}
  FOR EACH ROW WHEN (${NOT_STORE_WRITER})
  EXECUTE FUNCTION ${fn('after_insert')}()`,
    `CREATE TRIGGER after_update AFTER UPDATE ON ${tasks}
  FOR EACH ROW
  WHEN (${NOT_STORE_WRITER}
        AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.request_ids IS DISTINCT FROM NEW.request_ids
             OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.task_id IS DISTINCT FROM NEW.task_id
             OR OLD.namespace IS DISTINCT FROM NEW.namespace))
  EXECUTE FUNCTION ${fn('after_update')}()`,
    `CREATE TRIGGER after_delete AFTER DELETE ON ${tasks}
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ${fn('after_delete')}()`,
    `CREATE TRIGGER after_truncate AFTER TRUNCATE ON ${tasks}
  FOR EACH STATEMENT EXECUTE FUNCTION ${fn('after_truncate')}()`,
  ];
}
