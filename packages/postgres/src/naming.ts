/**
 * Where the store's tables live: one PostgreSQL schema and a table-name prefix. Both are checked
 * as plain identifiers (they end up in DDL and in the advisory-lock key), so nothing a caller
 * passes can change the meaning of a statement.
 */
import { createHash } from 'node:crypto';
import { taskStoreError } from '@taskvault/core/adapter';

/** Default schema of the store's tables. */
export const DEFAULT_SCHEMA = 'public';
/** Default prefix of the store's table names. */
export const DEFAULT_TABLE_PREFIX = 'taskvault_';

/** Longest prefix accepted: the longest derived name (`<prefix>task_quarantine_pkey`) stays under 63 bytes. */
const MAX_PREFIX_LENGTH = 32;

/** Names of everything the migrations create, for one schema and prefix. */
export interface Naming {
  readonly schema: string;
  readonly prefix: string;
  /** Table of tasks, unqualified. */
  readonly tasks: string;
  /** Table of request-id index rows, unqualified. */
  readonly requests: string;
  /** Table of per-namespace status counters, unqualified. */
  readonly counts: string;
  /** Table corrupt rows are moved to, unqualified. */
  readonly quarantine: string;
  /** Table of sweep leases, one row per namespace, unqualified. */
  readonly leases: string;
  /** Table of the change feed, unqualified. */
  readonly changes: string;
  /** Table of each namespace's trimmed-through change id, unqualified. */
  readonly changesTrimmed: string;
  /**
   * Text the change feed's advisory-lock key of a namespace is hashed from (the namespace
   * appended): `hashtextextended(changeLockSeed || namespace, 0)`.
   */
  readonly changeLockSeed: string;
  /** Kysely's migration bookkeeping tables, unqualified. */
  readonly migrations: string;
  readonly migrationsLock: string;
  /** Key of the `pg_advisory_lock` that serialises migrations of this schema and prefix (int8 text). */
  readonly lockKey: string;
  /** `"schema"."name"` for one of the names above. */
  qualified(name: string): string;
}

/** Double-quotes an identifier. Names are validated first, so this is belt and braces. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function invalid(path: string, detail: string): never {
  throw taskStoreError('config', 'CONFIG_INVALID', { path, detail });
}

/**
 * Checks a schema name: lower-case letters, digits and `_`, starting with a letter or `_`, at most
 * 63 bytes, not `pg_*` (reserved by PostgreSQL).
 * @throws TaskStoreConfigError CONFIG_INVALID naming `path`
 */
export function checkSchemaName(value: unknown, path = 'schema'): string {
  if (typeof value !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
    invalid(
      path,
      'must be a lower-case SQL identifier: a-z, 0-9 and _, not starting with a digit, <= 63 chars',
    );
  }
  if (value.startsWith('pg_')) invalid(path, 'must not start with pg_ (reserved by PostgreSQL)');
  return value;
}

/**
 * Checks a table prefix: empty, or lower-case letters, digits and `_` starting with a letter or
 * `_`, at most 32 characters.
 * @throws TaskStoreConfigError CONFIG_INVALID naming `path`
 */
export function checkTablePrefix(value: unknown, path = 'tablePrefix'): string {
  const pattern = new RegExp(`^([a-z_][a-z0-9_]{0,${MAX_PREFIX_LENGTH - 1}})?$`);
  if (typeof value !== 'string' || !pattern.test(value)) {
    invalid(
      path,
      `must be empty or a lower-case SQL identifier prefix: a-z, 0-9 and _, not starting with a digit, <= ${MAX_PREFIX_LENGTH} chars`,
    );
  }
  return value;
}

/** A signed 64-bit advisory-lock key derived from the schema and prefix. */
function lockKeyOf(schema: string, prefix: string): string {
  const digest = createHash('sha256').update(`taskvault:migrate:${schema}:${prefix}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/** The names for a (validated) schema and prefix. */
export function namingFor(schema: string, prefix: string): Naming {
  const s = checkSchemaName(schema);
  const p = checkTablePrefix(prefix);
  return Object.freeze({
    schema: s,
    prefix: p,
    tasks: `${p}tasks`,
    requests: `${p}task_requests`,
    counts: `${p}task_counts`,
    quarantine: `${p}task_quarantine`,
    leases: `${p}sweep_leases`,
    changes: `${p}changes`,
    changesTrimmed: `${p}changes_trimmed`,
    changeLockSeed: `taskvault:changes:${s}:${p}:`,
    migrations: `${p}migrations`,
    migrationsLock: `${p}migrations_lock`,
    lockKey: lockKeyOf(s, p),
    qualified: (name: string) => `${quoteIdent(s)}.${quoteIdent(name)}`,
  });
}
