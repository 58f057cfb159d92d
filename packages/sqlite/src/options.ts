/**
 * Options of `SqliteTaskStore` and their defaults. Every bad value is a TaskStoreConfigError
 * (CONFIG_INVALID) naming the option.
 */
import type { SweepOption } from '@taskvault/core';
import {
  BASE_STORE_OPTION_NAMES,
  type BaseStoreOptions,
  configInvalid,
  DEFAULT_SWEEP_INTERVAL_MS,
  sweepWithInterval,
} from '@taskvault/core/adapter';
import type Database from 'better-sqlite3';

/** How hard SQLite works to keep a committed write on disk (`PRAGMA synchronous`). */
export type SqliteSynchronous = 'FULL' | 'NORMAL';

/** What `new SqliteTaskStore(options)` takes. Give `path` or `database`. */
export interface SqliteTaskStoreOptions extends BaseStoreOptions {
  /** The database file (created if missing; its directory must exist), or `':memory:'`. */
  path?: string;
  /**
   * A better-sqlite3 connection of yours; the store never closes it. The store sets WAL,
   * `synchronous` and the busy timeout on it as it does on its own.
   */
  database?: Database.Database;
  /**
   * `FULL` (default): a write that resolved survives a power cut. `NORMAL`: in WAL mode a write
   * that resolved survives a crash of the process, but the last writes before a power cut or an
   * OS crash may be lost (never corrupted); each commit skips an fsync, so writes are faster.
   */
  synchronous?: SqliteSynchronous;
  /**
   * How long a call waits for another connection's lock (another process writing, a checkpoint)
   * before it rejects with BACKEND_UNAVAILABLE, ms. Default 5000.
   */
  busyTimeoutMs?: number;
  /** Run pending migrations on first use (once per store). Default true. */
  autoMigrate?: boolean;
  /**
   * The older spelling of `sweep`: how often the background sweeper deletes expired tasks (and
   * tasks past their retention), ms; 0 turns it off. `sweep`, when given, wins over it.
   */
  sweepIntervalMs?: number;
}

/** Options after defaults. */
export interface ResolvedSqliteOptions {
  synchronous: SqliteSynchronous;
  busyTimeoutMs: number;
  autoMigrate: boolean;
  /**
   * What the base class gets as `sweep`: the option as given, else from `sweepIntervalMs`, else
   * on (expired rows are subtracted by every count, so they must not pile up even without
   * retention or a TTL).
   */
  sweep: SweepOption;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** The background sweeper's interval when neither `sweep` nor `sweepIntervalMs` sets one, ms. */
export const DEFAULT_SQLITE_SWEEP_INTERVAL_MS = DEFAULT_SWEEP_INTERVAL_MS;
/** The file the factory uses when neither `TASKVAULT_SQLITE_PATH` nor `config.sqlite.path` is set. */
export const DEFAULT_SQLITE_PATH = './taskvault.db';

const KNOWN_OPTIONS = [
  ...BASE_STORE_OPTION_NAMES,
  'path',
  'database',
  'synchronous',
  'busyTimeoutMs',
  'autoMigrate',
  'sweepIntervalMs',
];

function ms(path: string, value: unknown, fallback: number, allowZero: boolean): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < (allowZero ? 0 : 1) ||
    value > 2_147_483_647
  ) {
    throw configInvalid(
      path,
      `must be an integer number of milliseconds${allowZero ? ' (0 to turn off)' : ' > 0'}`,
    );
  }
  return value;
}

/**
 * Checks the options that are specific to SQLite (the base class checks namespace, ttlMs,
 * maxTaskBytes and onCorrupt). @throws TaskStoreConfigError CONFIG_INVALID
 */
export function resolveOptions(options: SqliteTaskStoreOptions): ResolvedSqliteOptions {
  if (typeof options !== 'object' || options === null) throw configInvalid('options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.includes(key) && (options as Record<string, unknown>)[key] !== undefined) {
      throw configInvalid(key, `is not an option of SqliteTaskStore (known: ${KNOWN_OPTIONS.join(', ')})`);
    }
  }
  const hasPath = options.path !== undefined;
  const hasDb = options.database !== undefined;
  if (hasPath === hasDb) {
    throw configInvalid(
      hasDb ? 'database' : 'path',
      'give exactly one of path (a file, or ":memory:") or database',
    );
  }
  if (
    hasPath &&
    (typeof options.path !== 'string' || options.path.trim() === '' || options.path.includes('\0'))
  ) {
    throw configInvalid('path', 'must be a file path, or ":memory:"');
  }
  if (
    hasDb &&
    (typeof options.database?.prepare !== 'function' || typeof options.database?.pragma !== 'function')
  ) {
    throw configInvalid('database', 'must be a better-sqlite3 Database');
  }
  const synchronous = options.synchronous ?? 'FULL';
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
    throw configInvalid('synchronous', "must be 'FULL' or 'NORMAL'");
  }
  if (options.autoMigrate !== undefined && typeof options.autoMigrate !== 'boolean') {
    throw configInvalid('autoMigrate', 'must be true or false');
  }
  return {
    synchronous,
    busyTimeoutMs: ms('busyTimeoutMs', options.busyTimeoutMs, DEFAULT_BUSY_TIMEOUT_MS, false),
    autoMigrate: options.autoMigrate ?? true,
    sweep: sweepOf(options),
  };
}

function sweepOf(options: SqliteTaskStoreOptions): SweepOption {
  // checked even when `sweep` wins over it: a bad value is a mistake either way
  const intervalMs = ms('sweepIntervalMs', options.sweepIntervalMs, DEFAULT_SQLITE_SWEEP_INTERVAL_MS, true);
  return sweepWithInterval(options.sweep, intervalMs);
}
