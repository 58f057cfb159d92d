/**
 * A Kysely dialect over a `pg.Pool` that bounds every wait: checking a connection out of the pool
 * (even a caller's pool configured to wait forever) and every query (pg's client-side
 * `query_timeout`). A connection that failed below the SQL level (socket error, read timeout) is
 * destroyed instead of returned to the pool, so a half-read reply never reaches the next caller.
 *
 * Rows are parsed with the store's own type parsers, not pg's global registry, so an application
 * that changed `pg.types` (int8 as BigInt, jsonb as text, ...) cannot change what the store reads.
 */
import { createHash } from 'node:crypto';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
  sql,
  type TransactionSettings,
} from 'kysely';
import type { QueryResult as PgQueryResult, Pool, PoolClient, QueryConfig } from 'pg';
import { AcquireTimeoutError, breaksConnection } from './driver-errors.js';

/** How the dialect talks to the pool. */
export interface PgDialectOptions {
  pool: Pool;
  /** Longest wait for a pooled connection, ms. */
  acquireTimeoutMs: number;
  /** Client-side limit of one query, ms (a frozen server never answers; this still returns). */
  queryTimeoutMs: number;
  /** Use named (server-side prepared) statements for parameterised queries. */
  prepare: boolean;
  /** int8 key of the advisory lock Kysely's Migrator takes. */
  migrationLockKey: string;
}

type Parser = (value: string) => unknown;
const identity: Parser = (value) => value;
const toNumber: Parser = (value) => Number(value);
/** Parsers by type OID for the types the store reads; everything else stays text. */
const PARSERS: Record<number, Parser> = {
  16: (value) => value === 't', // bool
  20: toNumber, // int8: epoch ms, versions and counts all fit in 2^53
  21: toNumber, // int2
  23: toNumber, // int4
  114: JSON.parse, // json
  3802: JSON.parse, // jsonb
};
const TYPES = {
  getTypeParser: (oid: number) => PARSERS[oid] ?? identity,
} as unknown as NonNullable<QueryConfig['types']>;

/**
 * Leading comment of a statement that must be planned for its values on every call (never as a
 * named prepared statement, whose generic plan cannot see, say, that `expires_at <= now` is a
 * tiny range).
 */
export const PLAN_PER_CALL = '/* taskvault: planned per call */ ';

const statementNames = new Map<string, string>();
const MAX_CACHED_NAMES = 1000;

/** A stable name for a statement's text: pg prepares it once per connection. */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `tv_${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
    if (statementNames.size >= MAX_CACHED_NAMES) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Checks a connection out of `pool` within `timeoutMs`. A connection that arrives after the
 * deadline is released at once, so a slow pool never leaks one.
 * @throws AcquireTimeoutError, or the pool's own connect error
 */
export function acquireClient(pool: Pool, timeoutMs: number): Promise<PoolClient> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new AcquireTimeoutError(timeoutMs));
    }, timeoutMs);
    pool.connect().then(
      (client) => {
        if (settled) {
          client.release();
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve(client);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** One checked-out pg client. */
class PgConnection implements DatabaseConnection {
  #broken: Error | null = null;
  readonly #client: PoolClient;
  readonly #options: PgDialectOptions;
  // A checked-out client has no pool listener: without ours, a socket error between queries
  // would be an unhandled 'error' event and end the process.
  readonly #onError = (error: Error) => {
    this.#broken ??= error;
  };

  constructor(client: PoolClient, options: PgDialectOptions) {
    this.#client = client;
    this.#options = options;
    client.on('error', this.#onError);
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const config: QueryConfig & { query_timeout: number } = {
      text: compiled.sql,
      values: compiled.parameters as unknown[],
      types: TYPES,
      query_timeout: this.#options.queryTimeoutMs,
    };
    if (this.#options.prepare && compiled.parameters.length > 0 && !compiled.sql.startsWith(PLAN_PER_CALL)) {
      config.name = statementName(compiled.sql);
    }
    let result: PgQueryResult;
    try {
      result = await this.#client.query(config);
    } catch (error) {
      if (breaksConnection(error)) this.#broken ??= error as Error;
      throw error;
    }
    const { command, rowCount, rows } = result;
    const modifies = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE';
    return {
      rows: (rows ?? []) as R[],
      ...(modifies && rowCount !== null ? { numAffectedRows: BigInt(rowCount) } : {}),
    };
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered; the store never streams
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported by the taskvault postgres driver');
  }

  /** Returns the client to the pool, or destroys it when the connection failed. */
  release(): void {
    this.#client.off('error', this.#onError);
    this.#client.release(this.#broken ?? undefined);
  }
}

class PgDriver implements Driver {
  readonly #options: PgDialectOptions;

  constructor(options: PgDialectOptions) {
    this.#options = options;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const client = await acquireClient(this.#options.pool, this.#options.acquireTimeoutMs);
    return new PgConnection(client, this.#options);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    await connection.executeQuery(CompiledQuery.raw(`begin${isolation}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PgConnection).release();
  }

  /** The pool belongs to the store (or its caller), never to Kysely. */
  async destroy(): Promise<void> {}
}

/**
 * Kysely's migration lock, keyed by schema and prefix: stores in different schemas migrate
 * independently, and nothing else that uses Kysely in the same database is made to wait.
 */
class TaskvaultAdapter extends PostgresAdapter {
  readonly #key: string;

  constructor(key: string) {
    super();
    this.#key = key;
  }

  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`select pg_advisory_lock(${this.#key}::bigint)`.execute(db);
  }

  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`select pg_advisory_unlock(${this.#key}::bigint)`.execute(db);
  }
}

/** The dialect the store's Kysely instances use. */
export class PgDialect implements Dialect {
  readonly #options: PgDialectOptions;

  constructor(options: PgDialectOptions) {
    this.#options = options;
  }

  createDriver(): Driver {
    return new PgDriver(this.#options);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new TaskvaultAdapter(this.#options.migrationLockKey);
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
