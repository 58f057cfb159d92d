/** The conformance suite on a pg.Pool the caller owns: stores share it and never end it. */
import { describeTaskStore } from '@taskvault/conformance';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { PostgresTaskStore } from '../src/index.js';
import { damageVia } from './damage.js';
import { useServer } from './helpers.js';

const server = useServer();
let pool: pg.Pool;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await server().createDatabase(), max: 20, statement_timeout: 5000 });
});

afterAll(async () => {
  // every store was closed by the suite; the pool they shared still works
  const { rows } = await pool.query('select 1 as one');
  expect(rows).toEqual([{ one: 1 }]);
  expect(pool.listenerCount('error')).toBe(0);
  await pool.end();
});

describeTaskStore({
  name: 'postgres (caller-supplied pg.Pool)',
  create: (options) => new PostgresTaskStore({ ...options, pool, sweepIntervalMs: 0 }),
  damage: damageVia(() => pool),
});
