/**
 * The Postgres backend: `PostgresTaskStore` against `pg` INSERT/SELECT/UPDATE of one jsonb row by
 * primary key, holding the same JSON bytes, from a pool of the same size (how PEERS.md measured
 * every Postgres peer). Each phase gets its own database on a server of our own.
 */
import type { TaskStore } from '@taskvault/core';
import { type PostgresServerHandle, startPostgres } from '@taskvault/test-servers';
import pg from 'pg';
import { documentJson } from '../document.js';
import { runMany, type Side } from '../harness.js';
import { READ_POOL_SIZE, spread, UPDATE_SLOTS_PER_WORKER } from './taskvault.js';
import type { BackendOptions, BackendSession, RawSides } from './types.js';

/** Loaded when this backend runs, so the others still run when this package is not built. */
function loadPostgresPackage() {
  return import('@taskvault/postgres');
}

const PAGE = 50;

/** The raw table `table`, its fixtures, and one statement per raw side. */
async function rawPostgresSides(
  pool: pg.Pool,
  maxConcurrency: number,
  table = 'bench_raw',
): Promise<RawSides> {
  await pool.query(
    `CREATE TABLE ${table} (id text PRIMARY KEY, doc jsonb NOT NULL);` +
      `CREATE TABLE ${table}_counter (id int PRIMARY KEY, n bigint NOT NULL);` +
      `INSERT INTO ${table}_counter VALUES (1, 450);`,
  );
  const bytes = documentJson('raw');
  const insert = `INSERT INTO ${table} (id, doc) VALUES ($1, $2)`;
  await runMany(READ_POOL_SIZE, maxConcurrency, (i) => pool.query(insert, [`read-${i}`, bytes]));
  await runMany(maxConcurrency * UPDATE_SLOTS_PER_WORKER, maxConcurrency, (i) =>
    pool.query(insert, [`upd-${i}`, bytes]),
  );
  // A raw side that read nothing would look fast: check the fixtures hold the document.
  const check = await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE doc = $1::jsonb`, [bytes]);
  if (check.rows[0]?.n !== READ_POOL_SIZE + maxConcurrency * UPDATE_SLOTS_PER_WORKER) {
    throw new Error('raw Postgres fixtures did not store the document');
  }
  let inserted = 0;
  const side = (run: Side['run']): Side => ({ run });
  return {
    insert: side(() => pool.query(insert, [`new-${inserted++}`, bytes])),
    read: side((_w, seq) =>
      pool.query(`SELECT doc FROM ${table} WHERE id = $1`, [`read-${spread(seq, READ_POOL_SIZE)}`]),
    ),
    write: side((worker, seq) =>
      pool.query(`UPDATE ${table} SET doc = $2 WHERE id = $1`, [
        `upd-${worker * UPDATE_SLOTS_PER_WORKER + (seq % UPDATE_SLOTS_PER_WORKER)}`,
        bytes,
      ]),
    ),
    readPage: side((_w, seq) => {
      const start = spread(seq, READ_POOL_SIZE - PAGE);
      const ids = Array.from({ length: PAGE }, (_, i) => `read-${start + i}`);
      return pool.query(`SELECT doc FROM ${table} WHERE id = ANY($1)`, [ids]);
    }),
    readCount: side(() => pool.query(`SELECT n FROM ${table}_counter WHERE id = 1`)),
    labels: {
      insert: 'INSERT by pk',
      read: 'SELECT by pk',
      write: 'UPDATE by pk',
      readPage: 'SELECT 50 rows by pk',
      readCount: 'SELECT 1 small row',
    },
  };
}

/** `PostgresTaskStore`'s pool size when none is given (pg's own default, which a bare `pg.Pool` gets too). */
const DEFAULT_POOL = 10;

/**
 * The bench server's buffer cache. The tests' servers keep 32 MB (many of them run at once); at
 * the 1M-task scale point the table is ~2.5 GB, and a server that small would time PostgreSQL
 * fetching pages from the OS rather than the store's index lookups. 1 GB is what a production
 * server on a machine of this size would have (a quarter of RAM is the usual advice, and more).
 */
const BENCH_SHARED_BUFFERS = '1GB';

/** Starts a PostgreSQL server of our own (never the machine's 5432) with one database per phase. */
export async function openPostgres(options: BackendOptions): Promise<BackendSession> {
  const { PostgresTaskStore } = await loadPostgresPackage();
  const server: PostgresServerHandle = await startPostgres({
    settings: { shared_buffers: BENCH_SHARED_BUFFERS },
  });
  const stores: TaskStore[] = [];
  const pools: pg.Pool[] = [];
  const newPool = (connectionString: string, max?: number) => {
    const pool = new pg.Pool(max === undefined ? { connectionString } : { connectionString, max });
    pools.push(pool);
    return pool;
  };
  try {
    const opsUrl = await server.createDatabase('bench_ops');
    const scaleUrl = await server.createDatabase('bench_scale');
    const version = (await server.psql('SHOW server_version')).trim();
    const open = (connectionString: string, namespace: string, pool: number | 'default') => {
      const store = new PostgresTaskStore({
        connectionString,
        namespace,
        ...(pool === 'default' ? {} : { poolOptions: { max: pool } }),
      });
      stores.push(store);
      return store;
    };
    return {
      name: 'postgres',
      description:
        `PostgresTaskStore on PostgreSQL ${version} (fsync on, shared_buffers ${BENCH_SHARED_BUFFERS}), pool ${options.maxConcurrency}; ` +
        `raw: pg Pool of ${options.maxConcurrency}`,
      opStore: async () => open(opsUrl, 'bench-ops', options.maxConcurrency),
      rawSides: () => rawPostgresSides(newPool(opsUrl, options.maxConcurrency), options.maxConcurrency),
      defaultPool: async () => ({
        store: open(opsUrl, 'bench-ops-default-pool', 'default'),
        raw: await rawPostgresSides(newPool(opsUrl), options.maxConcurrency, 'bench_raw_default_pool'),
        pool: DEFAULT_POOL,
      }),
      releaseOps: async () => {
        await Promise.all(stores.splice(0).map((s) => s.close()));
        await Promise.all(pools.splice(0).map((p) => p.end()));
      },
      peerTarget: (slug) => server.createDatabase(`bench_peer_${slug}`),
      scaleStore: async () => open(scaleUrl, 'bench-scale', options.maxConcurrency),
      a2aStore: async () => open(opsUrl, 'bench-a2a', options.maxConcurrency),
      feedStore: async (namespace) => open(opsUrl, namespace, 4),
      close: async () => {
        await Promise.all(stores.map((s) => s.close()));
        await Promise.all(pools.map((p) => p.end()));
        await server.destroy();
      },
    };
  } catch (error) {
    await server.destroy();
    throw error;
  }
}
