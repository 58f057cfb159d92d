/** The conformance suite on the default schema (public) and table prefix (taskvault_). */
import { describeTaskStore } from '@taskvault/conformance';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { PostgresTaskStore } from '../src/index.js';
import { damageVia } from './damage.js';
import { useServer } from './helpers.js';

const server = useServer();
let url = '';
let sql: pg.Pool;
beforeAll(async () => {
  url = await server().createDatabase();
  sql = new pg.Pool({ connectionString: url, max: 2 });
});
afterAll(async () => {
  await sql.end();
});

describeTaskStore({
  name: 'postgres (schema public, prefix taskvault_)',
  create: (options) => new PostgresTaskStore({ ...options, connectionString: url, sweepIntervalMs: 0 }),
  damage: damageVia(() => sql),
});
