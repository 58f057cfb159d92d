/**
 * Options of `PostgresTaskStore`, their defaults, and the pool the store builds when the caller
 * does not pass one. Every bad value is a TaskStoreConfigError (CONFIG_INVALID) naming the option.
 */
import type { SweepOption } from '@taskvault/core';
import {
  BASE_STORE_OPTION_NAMES,
  type BaseStoreOptions,
  DEFAULT_SWEEP_INTERVAL_MS as CORE_SWEEP_INTERVAL_MS,
  sweepWithInterval,
  taskStoreError,
} from '@taskvault/core/adapter';
import pg from 'pg';
import { DEFAULT_SCHEMA, DEFAULT_TABLE_PREFIX, type Naming, namingFor } from './naming.js';

/** What `new PostgresTaskStore(options)` takes. Give `connectionString` or `pool`. */
export interface PostgresTaskStoreOptions extends BaseStoreOptions {
  /** `postgres://user:password@host:5432/db?sslmode=require`; the store builds (and closes) its own pool. */
  connectionString?: string;
  /** A pool of yours; the store never ends it. Set `statement_timeout` in its config (see README). */
  pool?: pg.Pool;
  /** Schema of the tables; default `public`. Lower-case identifier. */
  schema?: string;
  /** Prefix of the table names; default `taskvault_`. Lower-case identifier characters. */
  tablePrefix?: string;
  /** Extra `pg.Pool` settings for the store's own pool (max, ssl, ...); ignored with `pool`. */
  poolOptions?: pg.PoolConfig;
  /** Run pending migrations on first use (once per store). Default true. */
  autoMigrate?: boolean;
  /** Server-side limit of one statement, ms; the client gives up 1 s later. Default 5000. */
  statementTimeoutMs?: number;
  /** Longest wait for a connection (new or from the pool), ms. Default 5000. */
  connectionTimeoutMs?: number;
  /**
   * The background sweeper's interval, ms; 0 turns it off. Default 60000. The older spelling of
   * `sweep: { intervalMs }` (or `sweep: false`); a `sweep` option wins over it.
   */
  sweepIntervalMs?: number;
  /** Limit of a migration run (lock wait and DDL), ms. Default 60000. */
  migrationTimeoutMs?: number;
  /** Use server-side prepared statements (turn off behind a pooler that cannot keep them). Default true. */
  preparedStatements?: boolean;
}

/** Options after defaults. */
export interface ResolvedPostgresOptions {
  naming: Naming;
  autoMigrate: boolean;
  statementTimeoutMs: number;
  queryTimeoutMs: number;
  connectionTimeoutMs: number;
  /** The `sweep` option the store runs with: `sweep` if given, else from `sweepIntervalMs`. */
  sweep: SweepOption;
  migrationTimeoutMs: number;
  preparedStatements: boolean;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5000;
/** The background sweeper's interval when neither `sweep` nor `sweepIntervalMs` sets one, ms. */
export const DEFAULT_SWEEP_INTERVAL_MS = CORE_SWEEP_INTERVAL_MS;
export const DEFAULT_MIGRATION_TIMEOUT_MS = 60_000;
/** The client waits this much longer than statement_timeout, so the server's cancel normally wins. */
const CLIENT_GRACE_MS = 1000;

const KNOWN_OPTIONS = [
  ...BASE_STORE_OPTION_NAMES,
  'connectionString',
  'pool',
  'schema',
  'tablePrefix',
  'poolOptions',
  'autoMigrate',
  'statementTimeoutMs',
  'connectionTimeoutMs',
  'sweepIntervalMs',
  'migrationTimeoutMs',
  'preparedStatements',
];

function bad(path: string, detail: string): never {
  throw taskStoreError('config', 'CONFIG_INVALID', { path, detail });
}

function positiveMs(path: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < (allowZero ? 0 : 1) ||
    value > 2_147_483_647
  ) {
    bad(path, `must be an integer number of milliseconds${allowZero ? ' (0 to turn off)' : ' > 0'}`);
  }
  return value;
}

function flag(path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') bad(path, 'must be true or false');
  return value;
}

/**
 * Checks the options that are specific to PostgreSQL (the base class checks namespace, ttlMs
 * and maxTaskBytes). @throws TaskStoreConfigError CONFIG_INVALID
 */
export function resolveOptions(options: PostgresTaskStoreOptions): ResolvedPostgresOptions {
  if (typeof options !== 'object' || options === null) bad('options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.includes(key) && (options as Record<string, unknown>)[key] !== undefined) {
      bad(key, `is not an option of PostgresTaskStore (known: ${KNOWN_OPTIONS.join(', ')})`);
    }
  }
  const hasPool = options.pool !== undefined;
  const hasUrl = options.connectionString !== undefined;
  if (hasPool === hasUrl) {
    bad(hasPool ? 'pool' : 'connectionString', 'give exactly one of connectionString or pool');
  }
  if (hasPool && (typeof options.pool?.connect !== 'function' || typeof options.pool?.on !== 'function')) {
    bad('pool', 'must be a pg.Pool');
  }
  if (hasUrl) {
    const url = options.connectionString;
    let protocol = '';
    try {
      protocol = new URL(url as string).protocol;
    } catch {
      bad('connectionString', 'is not a URL (expected postgres://user@host:5432/database)');
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
      bad('connectionString', 'must start with postgres:// or postgresql://');
    }
  }
  if (options.poolOptions !== undefined && (typeof options.poolOptions !== 'object' || hasPool)) {
    bad(
      'poolOptions',
      hasPool
        ? 'applies only to the pool the store builds; configure your pool instead'
        : 'must be an object',
    );
  }
  const statementTimeoutMs = positiveMs(
    'statementTimeoutMs',
    options.statementTimeoutMs,
    DEFAULT_STATEMENT_TIMEOUT_MS,
  );
  return {
    naming: namingFor(
      checkString('schema', options.schema, DEFAULT_SCHEMA),
      checkString('tablePrefix', options.tablePrefix, DEFAULT_TABLE_PREFIX),
    ),
    autoMigrate: flag('autoMigrate', options.autoMigrate, true),
    statementTimeoutMs,
    queryTimeoutMs: statementTimeoutMs + CLIENT_GRACE_MS,
    connectionTimeoutMs: positiveMs(
      'connectionTimeoutMs',
      options.connectionTimeoutMs,
      DEFAULT_CONNECTION_TIMEOUT_MS,
    ),
    sweep: sweepOf(options),
    migrationTimeoutMs: positiveMs(
      'migrationTimeoutMs',
      options.migrationTimeoutMs,
      DEFAULT_MIGRATION_TIMEOUT_MS,
    ),
    preparedStatements: flag('preparedStatements', options.preparedStatements, true),
  };
}

/**
 * The `sweep` option from `sweep` or, failing that, `sweepIntervalMs` (0: off). On PostgreSQL the
 * sweeper is on by default even without retention or a TTL: counts subtract the dead rows not yet
 * deleted, which must stay few (core checks the `sweep` value itself).
 */
function sweepOf(options: PostgresTaskStoreOptions): SweepOption {
  // checked even when `sweep` wins over it: a bad value is a mistake either way
  const intervalMs = positiveMs('sweepIntervalMs', options.sweepIntervalMs, DEFAULT_SWEEP_INTERVAL_MS, true);
  return sweepWithInterval(options.sweep, intervalMs);
}

function checkString(path: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') bad(path, 'must be a string');
  return value;
}

/**
 * The pool the store builds from a connection string. Defaults, and why:
 * - `connectionTimeoutMillis`: a server that accepts TCP but never answers (frozen, overloaded)
 *   fails the connect within a bound instead of hanging.
 * - `statement_timeout`: the server cancels a statement that runs too long (lock waits included)
 *   and the session stays usable; the client-side limit is a second later, for a frozen server.
 * - `idle_in_transaction_session_timeout`: a process that dies inside the quarantine or migration
 *   transaction never leaves locks held.
 * - `keepAlive`: dead peers on idle connections are noticed by TCP instead of on the next query.
 * - `idleTimeoutMillis` 10 s, `max` 10: pg's defaults; raise `max` for more concurrency.
 * Password and SSL settings (`sslmode`, `sslrootcert`, ...) come from the URL; `poolOptions`
 * overrides any of these.
 */
export function buildPool(
  connectionString: string,
  resolved: ResolvedPostgresOptions,
  extra?: pg.PoolConfig,
): pg.Pool {
  return new pg.Pool({
    connectionString,
    max: 10,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: resolved.connectionTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    statement_timeout: resolved.statementTimeoutMs,
    idle_in_transaction_session_timeout: Math.max(10_000, resolved.statementTimeoutMs * 2),
    application_name: 'taskvault',
    ...extra,
  });
}
