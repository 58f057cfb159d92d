/**
 * `taskvault import-legacy lybic-postgres <url>`: Lybic's `agent_tasks` table, read in keyset
 * batches (`task_id > last ORDER BY task_id LIMIT n`), so each query is short and memory holds
 * one batch whatever the table's size. Timestamps are read as text (the driver would otherwise
 * apply this process's time zone to `timestamp without time zone`).
 */
import type { Client, ClientConfig } from 'pg';
import { CliError, usageError } from '../errors.js';
import { loadDriver } from './driver.js';
import { lybicTask } from './lybic-task.js';
import type { LegacyRecord } from './restore-legacy.js';

/** Options of the Lybic reader. */
export interface LybicReadOptions {
  /** The table, optionally schema-qualified; default `agent_tasks`. */
  table?: string;
  /** Rows per query; default 500. */
  batchSize?: number;
}

type PgModule = {
  Client?: new (config: ClientConfig) => Client;
  types?: { getTypeParser(oid: number, format?: string): (value: string) => unknown };
  default?: PgModule;
};

/** `timestamp`, `timestamptz`, `date`: kept as the server's text. */
const TIME_OIDS = new Set([1114, 1184, 1082]);

/** Connects to Lybic's database. @throws CliError DRIVER_MISSING, SOURCE_UNAVAILABLE */
export async function connectLybic(url: string, cwd: string): Promise<Client> {
  const loaded = await loadDriver<PgModule>('pg', cwd, 'import-legacy lybic-postgres');
  const pg = loaded.Client !== undefined ? loaded : (loaded.default ?? loaded);
  const types = pg.types!;
  const client = new pg.Client!({
    connectionString: url,
    connectionTimeoutMillis: 5000,
    statement_timeout: 60_000,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        TIME_OIDS.has(oid) ? (value: string) => value : types.getTypeParser(oid, format)) as never,
    },
  });
  client.on('error', () => {}); // reported through the failing query instead
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new CliError('SOURCE_UNAVAILABLE', `cannot reach Lybic's PostgreSQL: ${(error as Error).message}`);
  }
  return client;
}

/** `agent_tasks` or `schema.agent_tasks`, quoted. @throws CliError USAGE */
export function quoteTable(table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/.test(table)) {
    throw usageError(`--table: ${JSON.stringify(table)} is not a table name (name or schema.name)`);
  }
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** Lybic's rows in task_id order, a keyset batch at a time. */
export async function* lybicRecords(
  client: Client,
  options: LybicReadOptions = {},
): AsyncGenerator<LegacyRecord> {
  const table = quoteTable(options.table ?? 'agent_tasks');
  const limit = options.batchSize ?? 500;
  let after: string | null = null;
  for (;;) {
    const result: { rows: Record<string, unknown>[] } = await client.query(
      after === null
        ? `select * from ${table} order by task_id limit $1`
        : `select * from ${table} where task_id > $2 order by task_id limit $1`,
      after === null ? [limit] : [limit, after],
    );
    for (const row of result.rows) {
      yield {
        origin: `${options.table ?? 'agent_tasks'} row task_id=${JSON.stringify(row.task_id)}`,
        toTask: () => lybicTask(row),
      };
    }
    if (result.rows.length < limit) return;
    after = String(result.rows[result.rows.length - 1]!.task_id);
  }
}
