/** Shared setup of the integration tests: one spawned PostgreSQL per test file, a database per suite. */
import { type PostgresServerHandle, postgresForTests } from '@taskvault/test-servers';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { PostgresTaskStore, type PostgresTaskStoreOptions } from '../src/index.js';

/** Starts one server for the file (destroyed after it) and returns a getter for it. */
export function useServer(): () => PostgresServerHandle {
  let server: PostgresServerHandle | undefined;
  beforeAll(async () => {
    server = await postgresForTests();
  });
  afterAll(async () => {
    await server?.destroy();
  });
  return () => {
    if (server === undefined) throw new Error('the test server is not started yet');
    return server;
  };
}

/** A store on `url` with quick timeouts and no background sweeper, unless overridden. */
export function storeOn(url: string, options: Partial<PostgresTaskStoreOptions> = {}): PostgresTaskStore {
  return new PostgresTaskStore({
    sweepIntervalMs: 0,
    connectionString: url,
    ...options,
  } as PostgresTaskStoreOptions);
}

/** Runs one statement on its own connection (SQL written by hand, behind the store). */
export async function sqlRows(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}
