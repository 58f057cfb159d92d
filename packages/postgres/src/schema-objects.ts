/**
 * What the migrations made, checked against the catalog. A migration's record says it ran, not
 * that its objects are still there: a table dropped behind the store (or a trigger, a function,
 * an index) is found here and re-created by `migrate()`, with the data the others hold brought
 * in line with it:
 * - tasks table re-created (empty): its request-id rows and counters describe tasks that are
 *   gone, so they are emptied;
 * - request-id table re-created: rebuilt from the tasks' `request_ids`;
 * - counter table re-created: recounted from the tasks;
 * - changes table re-created: its trim marks are emptied (its ids start at 1 again), and the
 *   primary key migration 0006 dropped is dropped again;
 * - quarantine, indexes, functions, triggers: re-created as the migrations define them.
 */
import { type Kysely, sql } from 'kysely';
import { STATUSES } from './migrations/0001-init.js';
import { dropChangesPrimaryKey } from './migrations/0006-changes-one-index.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Naming } from './naming.js';

/** One object a migration statement creates. */
export interface SchemaObject {
  kind: 'table' | 'column' | 'index' | 'function' | 'trigger';
  /** Its name (a column: `<table>.<column>`, a trigger: `<table>.<trigger>`). */
  name: string;
}

/** The unquoted last part of `"schema"."name"` or `"name"`. */
function lastIdent(quoted: string): string {
  const parts = [...quoted.matchAll(/"((?:[^"]|"")*)"|([^".\s(]+)/g)].map((m) =>
    (m[1] ?? m[2] ?? '').replaceAll('""', '"'),
  );
  return parts[parts.length - 1] ?? quoted;
}

/** The object a DDL statement creates, or null (a statement that only alters). */
export function objectOf(statement: string): SchemaObject | null {
  const table = /^CREATE TABLE (\S+)/.exec(statement);
  if (table?.[1] !== undefined) return { kind: 'table', name: lastIdent(table[1]) };
  const column = /^ALTER TABLE (\S+) ADD COLUMN IF NOT EXISTS (\S+)/.exec(statement);
  if (column?.[1] !== undefined && column[2] !== undefined) {
    return { kind: 'column', name: `${lastIdent(column[1])}.${lastIdent(column[2])}` };
  }
  const index = /^CREATE INDEX (\S+) ON/.exec(statement);
  if (index?.[1] !== undefined) return { kind: 'index', name: lastIdent(index[1]) };
  const fn = /^CREATE (?:OR REPLACE )?FUNCTION ([^(]+)\(/.exec(statement);
  if (fn?.[1] !== undefined) return { kind: 'function', name: lastIdent(fn[1]) };
  const trigger = /^CREATE TRIGGER (\S+)[\s\S]*? ON (\S+)/.exec(statement);
  if (trigger?.[1] !== undefined && trigger[2] !== undefined) {
    return { kind: 'trigger', name: `${lastIdent(trigger[2])}.${lastIdent(trigger[1])}` };
  }
  return null;
}

const key = (o: SchemaObject) => `${o.kind}:${o.name}`;

/** Every statement of the migrations named, in order, with the object it creates. */
function definitions(naming: Naming, migrations: readonly string[]) {
  return MIGRATIONS.filter((m) => migrations.includes(m.name)).flatMap((m) =>
    m.statements(naming).map((statement) => ({ statement, object: objectOf(statement) })),
  );
}

/** The objects of the named migrations that the catalog lacks. */
export async function missingObjects(
  db: Kysely<unknown>,
  naming: Naming,
  migrations: readonly string[],
): Promise<SchemaObject[]> {
  const present = await sql<{ k: string }>`
    select case when c.relkind = 'i' then 'index:' else 'table:' end || c.relname as k
      from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${naming.schema}
    union all
    select 'column:' || c.relname || '.' || a.attname from pg_attribute a
      join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${naming.schema} and a.attnum > 0 and not a.attisdropped
    union all
    select 'function:' || p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = ${naming.schema}
    union all
    select 'trigger:' || c.relname || '.' || t.tgname from pg_trigger t
      join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${naming.schema} and not t.tgisinternal`.execute(db);
  const have = new Set(present.rows.map((r) => r.k));
  const missing = new Map<string, SchemaObject>();
  for (const { object } of definitions(naming, migrations)) {
    if (object !== null && !have.has(key(object))) missing.set(key(object), object);
  }
  return [...missing.values()];
}

/**
 * Re-creates `missing` by running, in migration order, every statement that defines one of
 * them, then brings the request-id and counter tables in line (see the file comment). Run it
 * inside the migration lock and a transaction.
 */
export async function restoreObjects(
  db: Kysely<unknown>,
  naming: Naming,
  migrations: readonly string[],
  missing: readonly SchemaObject[],
): Promise<void> {
  const wanted = new Set(missing.map(key));
  for (const { statement, object } of definitions(naming, migrations)) {
    if (object !== null && wanted.has(key(object))) await sql.raw(statement).execute(db);
  }
  const tasks = naming.qualified(naming.tasks);
  const requests = naming.qualified(naming.requests);
  const counts = naming.qualified(naming.counts);
  const lost = (table: string) => wanted.has(`table:${table}`);
  // a changes table made again starts its ids at 1: trim marks of the old one would make every
  // new position look trimmed (positions from before the loss are not reliable: re-list)
  if (lost(naming.changes)) {
    await sql.raw(`TRUNCATE ${naming.qualified(naming.changesTrimmed)}`).execute(db);
    // 0005's CREATE TABLE made it with the primary key that 0006 drops
    if (migrations.includes('0006-changes-one-index'))
      await sql.raw(dropChangesPrimaryKey(naming)).execute(db);
  }
  if (lost(naming.tasks)) {
    await sql.raw(`TRUNCATE ${requests}, ${counts}`).execute(db);
    return;
  }
  if (lost(naming.requests)) {
    await sql
      .raw(`INSERT INTO ${requests} (namespace, request_id, created_at, task_id)
        SELECT t.namespace, x, t.created_at, t.task_id FROM ${tasks} t, unnest(t.request_ids) x ON CONFLICT DO NOTHING`)
      .execute(db);
  }
  if (lost(naming.counts)) {
    const byStatus = STATUSES.map((s) => `count(*) FILTER (WHERE status = '${s}')`).join(', ');
    await sql
      .raw(`INSERT INTO ${counts} (namespace, slot, ${STATUSES.join(', ')})
        SELECT namespace, 0, ${byStatus} FROM ${tasks} GROUP BY namespace`)
      .execute(db);
  }
}
