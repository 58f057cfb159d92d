/**
 * Index use on a table of 100k tasks: the list page, loadByRequestId, countActive and count by
 * status (with tasks past their expiry or retention too), and the sweeper's batch are answered
 * through indexes (no Seq Scan on the tasks table), and every write reaches its row by the
 * primary key, with both the plan for the actual values and the generic plan a prepared
 * statement may switch to.
 */
import { type AgentTask, TASK_STATUSES, type TaskItem } from '@taskvault/core';
import type { NormalizedListQuery } from '@taskvault/core/adapter';
import { type CompiledQuery, Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDialect } from '../src/driver.js';
import { namingFor } from '../src/naming.js';
import { countActiveRows, countRows } from '../src/queries/counts.js';
import { insertTaskRow } from '../src/queries/insert.js';
import { patchTaskRow } from '../src/queries/patch.js';
import { listTaskRows, readRowByRequestId, readTaskRow } from '../src/queries/reads.js';
import { replaceTaskRow } from '../src/queries/replace.js';
import { acquireLease, sweepLeasedBatch } from '../src/queries/sweep.js';
import { QueryLayer } from '../src/queries/template.js';
import type { TaskvaultDatabase } from '../src/schema.js';
import { TableNamesPlugin } from '../src/table-names-plugin.js';
import { CONSISTENT, findInconsistencies } from './consistency.js';
import { storeOn, useServer } from './helpers.js';

const server = useServer();
const ROWS = 100_000;
const NS = 'bulk';
const T0 = 1_700_000_000_000;
const NOW = T0 + ROWS * 1000 + 1;
const NO_FILTER = { statuses: null, sessionId: null, userId: null, createdAfter: null, createdBefore: null };
/** Completed tasks are kept 3e8 ms after their last write (retain_until, written by hand below). */
const KEPT_MS = ROWS * 3000;
const KEEP = { completed: KEPT_MS, failed: null, cancelled: null };
/** When the completed tasks created in the first half are past their retention (and every expiry has passed). */
const HALF_RETAINED = T0 + KEPT_MS + (ROWS / 2) * 1000 + 1;

/** SQL literal of a bound value, for EXPLAIN EXECUTE. */
function literal(client: pg.Client, value: unknown): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `ARRAY[${value.map((v) => literal(client, v)).join(', ')}]::text[]`;
  return client.escapeLiteral(String(value));
}

describe(`query plans on ${ROWS} tasks`, () => {
  let url: string;
  let client: pg.Client;
  let pool: pg.Pool;
  let db: QueryLayer;
  const captured: CompiledQuery[] = [];

  beforeAll(async () => {
    url = await server().createDatabase();
    const store = storeOn(url);
    await store.migrate();
    await store.close();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    const started = performance.now();
    // hand-written SQL, in statements of 10k rows (the README's advice for bulk loads): the
    // triggers add the request-id rows and counts
    for (let from = 1; from <= ROWS; from += 10_000) {
      await client.query(
        `insert into taskvault_tasks (namespace, task_id, status, session_id, user_id, created_at, updated_at,
                                      expires_at, retain_until, version, request_ids, data, items)
         select $1, 'task-' || lpad(i::text, 6, '0'),
                (array['pending','running','paused','completed','failed','cancelled'])[1 + i % 6],
                'session-' || (i % 1000), 'user-' || (i % 100), $2::bigint + i * 1000, $2::bigint + i * 1000,
                case when i % 10 = 0 then $2::bigint + ${ROWS * 2000} end,
                case when i % 6 = 3 then $2::bigint + i * 1000 + ${KEPT_MS} end, 1, array['req-' || i],
                jsonb_build_object('query', 'task number ' || i),
                jsonb_build_array(jsonb_build_object('requestId', 'req-' || i, 'role', 'user',
                                                     'content', 'hello', 'createdAt', $2::bigint + i * 1000))
         from generate_series($3::int, $3::int + 9999) as i`,
        [NS, T0, from],
      );
    }
    // a second namespace, so the namespace column is not the whole table
    await client.query(`insert into taskvault_tasks (namespace, task_id, status, created_at, updated_at, version, data, items)
      select 'other', 'o-' || i, 'pending', i, i, 1, '{}', '[]' from generate_series(1, 10000) as i`);
    await client.query('analyze');
    console.info(
      `loaded ${ROWS + 10000} rows by hand-written SQL (triggers included) in ${Math.round(performance.now() - started)} ms`,
    );
    pool = new pg.Pool({ connectionString: url });
    const naming = namingFor('public', 'taskvault_');
    const kysely = new Kysely<TaskvaultDatabase>({
      dialect: new PgDialect({
        pool,
        acquireTimeoutMs: 5000,
        queryTimeoutMs: 30_000,
        prepare: false,
        migrationLockKey: '0',
      }),
      plugins: [new TableNamesPlugin(naming)],
      log: (event) => {
        captured.push(event.query);
      },
    });
    db = new QueryLayer(kysely, naming);
  }, 180_000);

  afterAll(async () => {
    await client?.end();
    await pool?.end();
  });

  /** Runs `run` (to capture its SQL), then EXPLAINs that SQL with its values and as a generic plan. */
  async function plans(
    title: string,
    run: () => Promise<unknown>,
  ): Promise<{ actual: string; generic: string }> {
    captured.length = 0;
    const started = performance.now();
    await run();
    const ms = performance.now() - started;
    const query = captured.at(-1)!;
    const params = [...query.parameters];
    const explain = async (text: string, values: unknown[] = []) =>
      (await client.query(text, values)).rows.map((r) => r['QUERY PLAN']).join('\n');
    const actual = await explain(
      `explain (analyze, costs off, timing off, summary off) ${query.sql}`,
      params,
    );
    await client.query(`prepare q as ${query.sql}`);
    await client.query('set plan_cache_mode = force_generic_plan');
    const generic = await explain(
      `explain (costs off) execute q(${params.map((p) => literal(client, p)).join(', ')})`,
    );
    await client.query('reset plan_cache_mode');
    await client.query('deallocate q');
    console.info(
      `\n=== ${title} (${ms.toFixed(1)} ms)\n${query.sql}\n--- plan for the values\n${actual}\n--- generic plan\n${generic}`,
    );
    return { actual, generic };
  }

  const expectIndexOnly = ({ actual, generic }: { actual: string; generic: string }) => {
    for (const plan of [actual, generic]) {
      expect(plan).not.toMatch(/Seq Scan on taskvault_tasks/);
      expect(plan).toMatch(/Index (Only )?Scan/);
    }
  };

  const listQuery = (overrides: Partial<NormalizedListQuery> = {}): NormalizedListQuery => ({
    filter: NO_FILTER,
    limit: 50,
    order: 'desc',
    offset: 0,
    after: null,
    ...overrides,
  });

  it('list, newest first, second page by cursor: keyset scan of the created_at index', async () => {
    const result = await plans('list page 2 (cursor)', () =>
      listTaskRows(
        db,
        NS,
        listQuery({ after: { createdAt: T0 + 50_000 * 1000, taskId: 'task-050000' } }),
        NOW,
      ),
    );
    expectIndexOnly(result);
    expect(result.actual).toMatch(/taskvault_tasks_created_idx/);
  });

  it('list filtered by one status, and by several: one index range per status', async () => {
    expectIndexOnly(
      await plans('list status=running', () =>
        listTaskRows(db, NS, listQuery({ filter: { ...NO_FILTER, statuses: ['running'] } }), NOW),
      ),
    );
    expectIndexOnly(
      await plans('list status in (pending, running, paused), oldest first', () =>
        listTaskRows(
          db,
          NS,
          listQuery({ order: 'asc', filter: { ...NO_FILTER, statuses: ['pending', 'running', 'paused'] } }),
          NOW,
        ),
      ),
    );
  });

  it('loadByRequestId: the first entry of the request-id index, then one task by its key', async () => {
    const result = await plans('loadByRequestId', () => readRowByRequestId(db, NS, 'req-77777', NOW));
    expectIndexOnly(result);
    expect(result.actual).toMatch(/Index Only Scan using taskvault_task_requests_pkey/);
    // the task by (namespace, task_id) or (namespace, created_at, task_id): either is one key probe
    expect(result.actual).toMatch(
      /Index Scan using taskvault_tasks_(pkey|created_idx) on taskvault_tasks \(actual rows=1 /,
    );
  });

  it('load, countActive and count by status read no more than an index range', async () => {
    expectIndexOnly(await plans('load', () => readTaskRow(db, NS, 'task-012345', NOW)));
    expectIndexOnly(await plans('countActive', () => countActiveRows(db, NS, NOW)));
    // once tasks have expired, a second statement counts them through the expiry index
    expectIndexOnly(
      await plans('countActive with expired tasks', () => countActiveRows(db, NS, T0 + ROWS * 2000 + 1)),
    );
    expectIndexOnly(
      await plans('count status in (completed, failed)', () =>
        countRows(db, NS, { ...NO_FILTER, statuses: ['completed', 'failed'] }, NOW),
      ),
    );
    // tasks past their retention: counted through the retention index
    const retained = await plans('count status in (completed, failed), half past their retention', () =>
      countRows(db, NS, { ...NO_FILTER, statuses: ['completed', 'failed'] }, HALF_RETAINED),
    );
    expectIndexOnly(retained);
    expect(retained.actual).toMatch(/Scan on taskvault_tasks_retention_idx/);
  });

  it("the sweeper's batch: dead rows by the expiry and retention indexes, once the lease row was read", async () => {
    const token = await acquireLease(db, NS, 'explain', 60_000);
    expect(token).not.toBeNull();
    // nothing is dead yet at NOW: the batch deletes nothing, its plan shows the way it would.
    // It is planned for its values on every call: the generic plan is never used.
    const { actual } = await plans('sweep batch', () =>
      sweepLeasedBatch(db, NS, 'explain', token!, 1000, NOW),
    );
    expect(actual).not.toMatch(/Seq Scan on taskvault_tasks/);
    expect(actual).toMatch(/Index Scan using taskvault_tasks_expiry_idx/);
    expect(actual).toMatch(/Index Scan using taskvault_tasks_retention_idx/);
    // the delete runs only once the lease row was read (and locked)
    expect(actual).toMatch(/One-Time Filter/);
  });

  it('hand-written bulk SQL keeps the request-id index and the counters right', async () => {
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
    const started = performance.now();
    // 10k paused tasks fail, by hand; 100 tasks get their items replaced, by hand
    await client.query(
      `update taskvault_tasks set status = 'failed' where namespace = $1 and status = 'paused'
                          and task_id <= 'task-060000'`,
      [NS],
    );
    await client.query(
      `update taskvault_tasks set request_ids = array['new-' || task_id],
                          items = jsonb_build_array(jsonb_build_object('requestId', 'new-' || task_id, 'role', 'user',
                                                                      'content', 1, 'createdAt', 1))
                        where namespace = $1 and task_id < 'task-000101'`,
      [NS],
    );
    console.info(`hand-written bulk updates in ${Math.round(performance.now() - started)} ms`);
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
    expect((await readRowByRequestId(db, NS, 'new-task-000050', NOW))?.task_id).toBe('task-000050');
    expect(await readRowByRequestId(db, NS, 'req-50', NOW)).toBeUndefined();
    // put the failed-by-hand tasks back (i % 6 = 2 were paused), so the counts below hold
    await client.query(
      `update taskvault_tasks set status = 'paused' where namespace = $1 and status = 'failed'
                          and substr(task_id, 6)::int % 6 = 2`,
      [NS],
    );
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
  });

  /** Every statement `run` sends, EXPLAINed (ANALYZE in a rolled-back transaction) and as a generic plan. */
  async function writePlans(title: string, run: () => Promise<unknown>): Promise<string[]> {
    captured.length = 0;
    await run();
    const found: string[] = [];
    for (const query of [...captured]) {
      const params = [...query.parameters];
      const explain = async (text: string, values: unknown[] = []) =>
        (await client.query(text, values)).rows.map((r) => r['QUERY PLAN']).join('\n');
      await client.query('begin');
      const actual = await explain(
        `explain (analyze, costs off, timing off, summary off) ${query.sql}`,
        params,
      );
      await client.query('rollback');
      await client.query(`prepare q as ${query.sql}`);
      await client.query('set plan_cache_mode = force_generic_plan');
      const generic = await explain(
        `explain (costs off) execute q(${params.map((p) => literal(client, p)).join(', ')})`,
      );
      await client.query('reset plan_cache_mode');
      await client.query('deallocate q');
      console.info(
        `\n=== ${title}\n${query.sql}\n--- plan for the values\n${actual}\n--- generic plan\n${generic}`,
      );
      found.push(actual, generic);
    }
    return found;
  }

  it('create, update and patch reach the task row by its primary key, in the lean and the general statement', async () => {
    const item = (requestId: string): TaskItem => ({
      requestId,
      role: 'user',
      content: 'x',
      createdAt: new Date(NOW),
    });
    const task: AgentTask = {
      taskId: 'o-new',
      status: 'pending',
      sessionId: null,
      userId: null,
      items: [item('rq-new')],
      data: {},
      createdAt: new Date(NOW),
      updatedAt: new Date(NOW),
      expiresAt: null,
      version: 1,
    };
    const same = {
      taskId: 'o-5',
      status: 'pending' as const,
      sessionId: null,
      userId: null,
      expiresAt: null,
    };
    const MAX = 8 * 1024 * 1024;
    const writes: [string, number, () => Promise<unknown>][] = [
      ['create', 1, () => insertTaskRow(db, 'other', task, null, NOW)],
      ['create of a live id (lean, then general)', 2, () => insertTaskRow(db, 'other', task, null, NOW)],
      [
        'update keeping status and items',
        1,
        () => replaceTaskRow(db, 'other', { ...same, items: [], data: { a: 1 } }, 1, null, NOW),
      ],
      [
        'update changing status and items (lean, then general)',
        2,
        () =>
          replaceTaskRow(
            db,
            'other',
            { ...same, status: 'running', items: [item('rq-5')], data: {} },
            2,
            null,
            NOW,
          ),
      ],
      [
        'patch merging data',
        1,
        () =>
          patchTaskRow(
            db,
            'other',
            'o-6',
            { data: { x: 1 } },
            null,
            NOW,
            MAX,
            { items: 0, data: [['x', 5]] },
            KEEP,
          ),
      ],
      [
        'patch changing status with a new request id (lean, then general)',
        2,
        () =>
          patchTaskRow(
            db,
            'other',
            'o-6',
            { status: 'completed', appendItems: [item('rq-6')] },
            2,
            NOW,
            MAX,
            {
              items: 100,
              data: [],
            },
            KEEP,
          ),
      ],
    ];
    for (const [title, statements, run] of writes) {
      const found = await writePlans(title, run);
      expect(found).toHaveLength(2 * statements);
      for (const plan of found) {
        expect(plan).not.toMatch(/Seq Scan on taskvault_tasks/);
        for (const [, index] of plan.matchAll(/Scan using (\S+) on taskvault_tasks\b/g)) {
          expect(index).toBe('taskvault_tasks_pkey');
        }
      }
    }
    expect((await readTaskRow(db, 'other', 'o-6', NOW))?.status).toBe('completed');
  });

  it('the counters agree with the rows', async () => {
    expect(await countActiveRows(db, NS, NOW)).toBe(ROWS / 2);
    expect(await countRows(db, NS, { ...NO_FILTER, statuses: [...TASK_STATUSES] }, NOW)).toBe(ROWS);
    // one in ten expires at T0 + 2e8 ms: from then on, those are subtracted
    expect(await countRows(db, NS, NO_FILTER, T0 + ROWS * 2000 + 1)).toBe(ROWS - ROWS / 10);
    // and the completed ones (none of which expire) of the first half once their retention passed
    const completedFirstHalf = Math.floor((ROWS / 2 - 3) / 6) + 1;
    expect(await countRows(db, NS, NO_FILTER, HALF_RETAINED)).toBe(ROWS - ROWS / 10 - completedFirstHalf);
    // retention never ends an active task
    expect(await countActiveRows(db, NS, HALF_RETAINED)).toBe(
      await countActiveRows(db, NS, T0 + ROWS * 2000 + 1),
    );
  });
});
