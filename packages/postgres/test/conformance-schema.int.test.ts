/** The conformance suite in a custom schema with a custom table prefix. */
import { describeTaskStore } from '@taskvault/conformance';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
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
  // everything went to the custom schema and prefix, nothing to public
  const tables = await server().psql(
    "select table_schema || '.' || table_name from information_schema.tables where table_schema in ('public', 'agent_state') order by 1",
    new URL(url).pathname.slice(1),
  );
  expect(tables.trim().split('\n').sort()).toEqual([
    'agent_state.tv2_changes',
    'agent_state.tv2_changes_trimmed',
    'agent_state.tv2_migrations',
    'agent_state.tv2_migrations_lock',
    'agent_state.tv2_sweep_leases',
    'agent_state.tv2_task_counts',
    'agent_state.tv2_task_quarantine',
    'agent_state.tv2_task_requests',
    'agent_state.tv2_tasks',
  ]);
});

describeTaskStore({
  name: 'postgres (schema agent_state, prefix tv2_)',
  create: (options) =>
    new PostgresTaskStore({
      ...options,
      connectionString: url,
      schema: 'agent_state',
      tablePrefix: 'tv2_',
      sweepIntervalMs: 0,
    }),
  damage: damageVia(() => sql),
});
