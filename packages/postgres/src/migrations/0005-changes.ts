/**
 * The change feed (SPEC "Changes"): a table of changes, one row per change of a task, written by
 * triggers on the tasks table, so every statement that changes a task records its change in the
 * same statement, whoever wrote it (the store, or SQL written by hand): no write without its
 * change, no change without its write.
 *
 * Order. Ids come from one sequence. An AFTER trigger runs once the statement has changed (and
 * so locked) its rows, so a task's next write, which waits for that row lock, draws a higher id:
 * per task, id order is version order. Across transactions ids are drawn in statement order, not
 * commit order, so a reader must not deliver an id while a lower one may still commit: every
 * trigger first takes the namespace's advisory lock in shared mode (held to commit), and a reader
 * fixes its horizon by taking the same lock exclusively (`<changes>_horizon()`), which waits for
 * every writer in flight; every id up to the maximum it then reads is final.
 *
 * `at`: the write's `updated_at` for created/updated; for removals the server's clock. A removed
 * row past its expiry or retention deadline is `expired`, otherwise `deleted`. An UPDATE whose
 * old row was already dead (create or restore replacing an expired task) records `expired` for
 * the old task (its last columns) then `created` for the new one. An UPDATE that changes neither
 * version, status, updated_at nor created_at (a backfill, the retention trigger dropping a
 * deadline) records nothing.
 */
import type { Naming } from '../naming.js';
import { quoteIdent } from '../naming.js';

/** A SQL string literal. Everything put in one here is a checked identifier; belt and braces. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `hashtextextended(<seed> || <namespace>, 0)`: the namespace's change-feed advisory lock key. */
export function changeLockKey(n: Naming, namespace: string): string {
  return `hashtextextended(${literal(n.changeLockSeed)} || ${namespace}, 0)`;
}

/**
 * True inside `restore`'s replacement of a live task (its delete and insert run in one
 * transaction that sets `taskvault.replacing`): the delete records nothing and the insert records
 * `updated`, one change with the version restore wrote, as on the other backends.
 */
const REPLACING = `current_setting('taskvault.replacing', true) = 'on'`;

/** The server's clock in epoch ms. */
const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** The DDL statements of migration 0005, in order (see schema-objects.ts for what each creates). */
export function changesStatements(n: Naming): string[] {
  const tasks = n.qualified(n.tasks);
  const changes = n.qualified(n.changes);
  const trimmed = n.qualified(n.changesTrimmed);
  const fn = (name: string) => n.qualified(`${n.changes}_${name}`);
  const columns = 'namespace, type, task_id, version, status, at, session_id, user_id, created_at';
  return [
    `CREATE TABLE ${changes} (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  namespace   text COLLATE "C" NOT NULL,
  type        text NOT NULL,
  task_id     text COLLATE "C" NOT NULL,
  version     bigint NOT NULL,
  status      text NOT NULL,
  at          bigint NOT NULL,
  session_id  text,
  user_id     text,
  created_at  bigint NOT NULL
)`,
    `CREATE INDEX ${quoteIdent(`${n.changes}_namespace_idx`)} ON ${changes} (namespace, id)`,
    `CREATE TABLE ${trimmed} (
  namespace  text COLLATE "C" NOT NULL PRIMARY KEY,
  through    bigint NOT NULL
)`,

    `CREATE FUNCTION ${fn('on_insert')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(${changeLockKey(n, 'NEW.namespace')});
  INSERT INTO ${changes} (${columns})
    VALUES (NEW.namespace, CASE WHEN ${REPLACING} THEN 'updated' ELSE 'created' END, NEW.task_id,
            NEW.version, NEW.status, NEW.updated_at, NEW.session_id, NEW.user_id, NEW.created_at);
  RETURN NULL;
END
$fn$`,
    `CREATE FUNCTION ${fn('on_update')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(${changeLockKey(n, 'NEW.namespace')});
  IF OLD.expires_at <= NEW.updated_at OR OLD.retain_until <= NEW.updated_at THEN
    -- a dead row replaced by a new task (create, restore): the old one expired, the new one is created
    INSERT INTO ${changes} (${columns})
      VALUES (OLD.namespace, 'expired', OLD.task_id, OLD.version, OLD.status, NEW.updated_at,
              OLD.session_id, OLD.user_id, OLD.created_at);
    INSERT INTO ${changes} (${columns})
      VALUES (NEW.namespace, 'created', NEW.task_id, NEW.version, NEW.status, NEW.updated_at,
              NEW.session_id, NEW.user_id, NEW.created_at);
  ELSE
    INSERT INTO ${changes} (${columns})
      VALUES (NEW.namespace, 'updated', NEW.task_id, NEW.version, NEW.status, NEW.updated_at,
              NEW.session_id, NEW.user_id, NEW.created_at);
  END IF;
  RETURN NULL;
END
$fn$`,
    `CREATE FUNCTION ${fn('on_delete')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  now_ms bigint := ${NOW_MS};
BEGIN
  IF ${REPLACING} THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock_shared(${changeLockKey(n, 'g.namespace')})
    FROM (SELECT DISTINCT namespace FROM gone_rows ORDER BY namespace) AS g;
  INSERT INTO ${changes} (${columns})
    SELECT namespace,
           CASE WHEN expires_at <= now_ms OR retain_until <= now_ms THEN 'expired' ELSE 'deleted' END,
           task_id, version, status, now_ms, session_id, user_id, created_at
    FROM gone_rows ORDER BY namespace, task_id;
  RETURN NULL;
END
$fn$`,
    // The reader's barrier: the exclusive lock waits for every writer of the namespace in flight
    // (each holds the shared lock to its commit), so every id up to the maximum read after it is
    // final. VOLATILE: the SELECT takes its snapshot after the lock is granted. The lock is held
    // only to the end of the caller's statement (run alone, in autocommit).
    `CREATE FUNCTION ${fn('horizon')}(p_namespace text) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(${changeLockKey(n, 'p_namespace')});
  RETURN (SELECT max(id) FROM ${changes} WHERE namespace = p_namespace);
END
$fn$`,

    `CREATE TRIGGER changes_on_insert AFTER INSERT ON ${tasks}
  FOR EACH ROW EXECUTE FUNCTION ${fn('on_insert')}()`,
    `CREATE TRIGGER changes_on_update AFTER UPDATE ON ${tasks}
  FOR EACH ROW
  WHEN (OLD.version IS DISTINCT FROM NEW.version OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.updated_at IS DISTINCT FROM NEW.updated_at OR OLD.created_at IS DISTINCT FROM NEW.created_at)
  EXECUTE FUNCTION ${fn('on_update')}()`,
    `CREATE TRIGGER changes_on_delete AFTER DELETE ON ${tasks}
  REFERENCING OLD TABLE AS gone_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ${fn('on_delete')}()`,
  ];
}
