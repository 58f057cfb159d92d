/**
 * The changes table keeps one index: `(namespace, id)`. Migration 0005 also gave it a primary key
 * on `id`, which nothing reads (readers, the horizon and trimming all go by namespace and id) and
 * every write paid for: one more B-tree entry per change (~65 of the ~320 bytes of WAL a change
 * row costs a write, measured with the trigger on and off), and one more page that every writer
 * appends to (ids only grow, so all of them land on its rightmost leaf). Ids stay unique without
 * it: they come from the identity sequence, which the table's `GENERATED ALWAYS` lets nothing
 * else write.
 *
 * The constraint is dropped by whatever name it has (a long table prefix makes PostgreSQL shorten
 * the default one), and a database where it is gone already is left as it is. A changes table
 * that `migrate()` makes again after it was dropped behind the store gets the same treatment
 * (see schema-objects.ts).
 */
import type { Naming } from '../naming.js';

/** The DDL statements of migration 0006. */
export function changesOneIndexStatements(n: Naming): string[] {
  return [dropChangesPrimaryKey(n)];
}

/** Drops the primary key of the changes table, if it has one. */
export function dropChangesPrimaryKey(n: Naming): string {
  const changes = n.qualified(n.changes);
  const regclass = `'${changes.replaceAll("'", "''")}'::regclass`;
  return `DO $do$
DECLARE
  pk name;
BEGIN
  SELECT conname INTO pk FROM pg_constraint WHERE conrelid = ${regclass} AND contype = 'p';
  IF pk IS NOT NULL THEN
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', ${regclass}, pk);
  END IF;
END
$do$`;
}
