/** verify finds index damage done behind the store, repair fixes it, and a second verify is ok. */
import type { VerifyProblem } from '@taskvault/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresTaskStore } from '../src/index.js';
import { CONSISTENT, findInconsistencies } from './consistency.js';
import { storeOn, useServer } from './helpers.js';

const server = useServer();
const kinds = (problems: VerifyProblem[]) => problems.map((p) => [p.kind, p.taskId]).sort();

describe('verify on PostgreSQL', () => {
  let url: string;
  let store: PostgresTaskStore;
  let sql: pg.Client;

  beforeAll(async () => {
    url = await server().createDatabase();
    store = storeOn(url);
    sql = new pg.Client({ connectionString: url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql.end();
    await store.close();
  });

  it('reports deleted index rows, orphan rows, wrong counters and a corrupt row; repair fixes all; then ok', async () => {
    for (let i = 0; i < 30; i++) {
      await store.create({
        taskId: `t${String(i).padStart(2, '0')}`,
        status: i % 2 ? 'running' : 'completed',
        items: [
          { requestId: `r${i}`, role: 'user', content: i, createdAt: new Date() },
          { requestId: `s${i}`, role: 'tool', content: i, createdAt: new Date() },
        ],
      });
    }
    const clean = await store.verify({ batchSize: 7 });
    expect(clean).toMatchObject({ ok: true, checked: 30, problemCount: 0 });

    // behind the store: two index rows gone, one pointing at a task that does not hold it, one
    // at no task at all, the counters of one status off, and a row that holds no task
    await sql.query(
      `delete from taskvault_task_requests where (request_id, task_id) in (('r3', 't03'), ('s4', 't04'))`,
    );
    await sql.query(`insert into taskvault_task_requests (namespace, request_id, created_at, task_id)
      select 'default', 'stray', created_at, task_id from taskvault_tasks where task_id = 't05'`);
    await sql.query(`insert into taskvault_task_requests values ('default', 'ghost', 1, 'no-such-task')`);
    await sql.query(`update taskvault_task_counts set running = running + 5 where namespace = 'default'
      and slot = (select min(slot) from taskvault_task_counts where namespace = 'default')`);
    await sql.query(`update taskvault_tasks set status = 'exploded' where task_id = 't06'`);

    const progress: number[] = [];
    const found = await store.verify({ batchSize: 7, onProgress: (p) => progress.push(p.checked) });
    expect(found.ok).toBe(false);
    expect(found.checked).toBe(30);
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(kinds(found.problems)).toEqual(
      [
        ['corrupt-record', 't06'],
        ['count-mismatch', null],
        ['missing-index-entry', 't03'],
        ['missing-index-entry', 't04'],
        ['orphan-index-entry', 'no-such-task'],
        ['orphan-index-entry', 't05'],
      ].sort(),
    );
    expect(found.problems.every((p) => !p.repaired)).toBe(true);

    const repaired = await store.verify({ batchSize: 7, repair: true });
    expect(repaired).toMatchObject({ ok: true, problemCount: 6, repaired: 6 });
    expect((await store.loadByRequestId('r3'))?.taskId).toBe('t03');
    expect(await store.loadByRequestId('stray')).toBeNull();
    expect(await store.countActive()).toBe(15);
    expect(await store.load('t06')).toBeNull();
    expect(
      (await sql.query(`select count(*)::int as n from taskvault_task_quarantine where task_id = 't06'`))
        .rows[0].n,
    ).toBe(1);

    expect(await store.verify({ batchSize: 7 })).toMatchObject({ ok: true, checked: 29, problemCount: 0 });
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
  });

  it('a task whose request_ids column lost an id: reported, and repair rebuilds the column and its index rows', async () => {
    await store.clear();
    await store.create({
      taskId: 'cols',
      items: [
        { requestId: 'a', role: 'user', content: 1, createdAt: new Date() },
        { requestId: 'b', role: 'user', content: 2, createdAt: new Date() },
      ],
    });
    // hand-written UPDATE: its trigger removes the index row of "b" too
    await sql.query(`update taskvault_tasks set request_ids = array['a'] where task_id = 'cols'`);
    expect(await store.loadByRequestId('b')).toBeNull();
    const found = await store.verify();
    expect(found.problems).toMatchObject([
      { kind: 'missing-index-entry', taskId: 'cols', index: 'request_ids' },
    ]);
    expect(await store.verify({ repair: true })).toMatchObject({ ok: true, repaired: 1 });
    expect((await store.loadByRequestId('b'))?.taskId).toBe('cols');
    expect(await store.verify()).toMatchObject({ ok: true, problemCount: 0 });
  });
});
