/** Rows damaged by hand in SQL: CORRUPT_DATA on read, moved to the quarantine table, the rest keeps working. */
import { type CorruptRecordReport, TaskDeleteError, TaskLoadError, TaskUpdateError } from '@taskvault/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresTaskStore } from '../src/index.js';
import { CONSISTENT, findInconsistencies } from './consistency.js';
import { storeOn, useServer } from './helpers.js';

const server = useServer();

const DAMAGE: Record<string, string> = {
  'items is not an array': `items = '"not an array"'`,
  'an item lacks createdAt': `items = '[{"requestId": "r-x", "role": "user", "content": 1}]'`,
  'an item lacks its requestId': `items = '[{"role": "user", "content": 1, "createdAt": 1}]'`,
  'an item has a list for its role': `items = '[{"requestId": "r-x", "role": ["user"], "content": 1, "createdAt": 1}]'`,
  'an item has a fraction for createdAt': `items = '[{"requestId": "r-x", "role": "user", "content": 1, "createdAt": 1.5}]'`,
  'an item is not an object': `items = '[[1, 2]]'`,
  'status is unknown': `status = 'exploded'`,
  'data is an array': `data = '[1, 2]'`,
  'version is 0': 'version = 0',
};

describe('corrupt rows', () => {
  let url: string;
  let store: PostgresTaskStore;
  let sql: pg.Client;

  beforeAll(async () => {
    url = await server().createDatabase();
    store = storeOn(url);
    await store.migrate();
    sql = new pg.Client({ connectionString: url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql.end();
    await store.close();
  });

  const damage = (taskId: string, assignment: string) =>
    sql.query(`update taskvault_tasks set ${assignment} where namespace = 'default' and task_id = $1`, [
      taskId,
    ]);
  const quarantined = async (taskId: string) =>
    (await sql.query('select reason, row_data from taskvault_task_quarantine where task_id = $1', [taskId]))
      .rows;

  for (const [what, assignment] of Object.entries(DAMAGE)) {
    it(`a row whose ${what}: load rejects CORRUPT_DATA, the row is quarantined whole, other tasks keep working`, async () => {
      const id = `corrupt-${what}`;
      await store.create({
        taskId: id,
        status: 'running',
        items: [{ requestId: `${id}-req`, role: 'user', content: 'x', createdAt: new Date() }],
      });
      const neighbour = await store.create({ taskId: `${id}-neighbour`, status: 'running' });
      await damage(id, assignment);

      const error = await store.load(id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskLoadError);
      expect(error).toMatchObject({ code: 'CORRUPT_DATA', taskId: id });

      const rows = await quarantined(id);
      expect(rows).toHaveLength(1);
      expect(rows[0].row_data).toMatchObject({ task_id: id, namespace: 'default' });
      expect(typeof rows[0].reason).toBe('string');
      // moved, not copied: the task, its request-id rows and its count are gone
      expect(await store.load(id)).toBeNull();
      expect(await store.loadByRequestId(`${id}-req`)).toBeNull();
      expect(await store.load(neighbour.taskId)).toEqual(neighbour);
      expect(await findInconsistencies(url)).toEqual(CONSISTENT);
      await store.delete(neighbour.taskId);
    });
  }

  it('list and loadByRequestId move a corrupt row aside, report it, and answer without it', async () => {
    await store.clear();
    const reports: CorruptRecordReport[] = [];
    const watched = storeOn(url, { onCorrupt: (r) => reports.push(r) });
    try {
      const good = await watched.create({ taskId: 'good', createdAt: new Date(1000) });
      await watched.create({
        taskId: 'bad',
        createdAt: new Date(2000),
        items: [{ requestId: 'bad-req', role: 'user', content: 1, createdAt: new Date() }],
      });
      await damage('bad', `data = '"scalar"'`);
      expect((await watched.list()).tasks).toEqual([good]);
      expect(reports).toMatchObject([
        {
          backend: 'postgres',
          taskId: 'bad',
          operation: 'list',
          movedTo: 'public.taskvault_task_quarantine',
        },
      ]);
      expect(await quarantined('bad')).toHaveLength(1);
      expect(await watched.count()).toBe(1);

      await watched.create({
        taskId: 'bad2',
        createdAt: new Date(3000),
        items: [{ requestId: 'shared-req', role: 'user', content: 1, createdAt: new Date() }],
      });
      const holder = await watched.create({
        taskId: 'holder',
        createdAt: new Date(4000),
        items: [{ requestId: 'shared-req', role: 'user', content: 2, createdAt: new Date() }],
      });
      await damage('bad2', `items = '[{"requestId": "shared-req"}]'`);
      expect(await watched.loadByRequestId('shared-req')).toEqual(holder);
      expect(reports.map((r) => [r.taskId, r.operation])).toContainEqual(['bad2', 'loadByRequestId']);
      expect(await findInconsistencies(url)).toEqual(CONSISTENT);
    } finally {
      await watched.close();
    }
  });

  it('a patch on a corrupt row rejects CORRUPT_DATA and quarantines the row', async () => {
    await store.create({ taskId: 'bad-patch' });
    await damage('bad-patch', `status = 'nonsense'`);
    const error = await store.patch('bad-patch', { data: { x: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskUpdateError);
    expect(error).toMatchObject({ code: 'CORRUPT_DATA' });
    expect(await quarantined('bad-patch')).toHaveLength(1);
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
  });

  for (const [what, assignment] of Object.entries(DAMAGE)) {
    it(`a row whose ${what}: update and delete reject CORRUPT_DATA and move it to the quarantine, never overwrite or drop it`, async () => {
      for (const operation of ['update', 'delete'] as const) {
        const id = `write-${operation}-${what}`;
        const task = await store.create({
          taskId: id,
          status: 'running',
          items: [{ requestId: `${id}-req`, role: 'user', content: 'x', createdAt: new Date() }],
        });
        await damage(id, assignment);
        const error = await (operation === 'update'
          ? store.update({ ...task, data: { overwritten: true } }, { force: true })
          : store.delete(id)
        ).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(operation === 'update' ? TaskUpdateError : TaskDeleteError);
        expect(error).toMatchObject({ code: 'CORRUPT_DATA', taskId: id });
        const rows = await quarantined(id);
        expect(rows).toHaveLength(1);
        // the damaged row itself, as it was: not the update's data
        expect(rows[0].row_data).toMatchObject({
          task_id: id,
          version: assignment === 'version = 0' ? 0 : 1,
        });
        expect(rows[0].row_data.data).not.toEqual({ overwritten: true });
        expect(await store.load(id)).toBeNull();
        expect(await store.loadByRequestId(`${id}-req`)).toBeNull();
        expect(await findInconsistencies(url)).toEqual(CONSISTENT);
      }
    });
  }

  it('update and delete of sound tasks are unaffected by the shape check (expired rows still go quietly)', async () => {
    const task = await store.create({
      taskId: 'sound',
      items: [{ requestId: 'sound-r', role: 'tool', content: null, createdAt: new Date() }],
    });
    expect((await store.update({ ...task, status: 'completed' })).version).toBe(2);
    await store.delete('sound');
    await store.create({ taskId: 'expired-bad', ttlMs: 1 });
    await damage('expired-bad', `status = 'nonsense', expires_at = 1`);
    await expect(store.delete('expired-bad')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
    expect(await quarantined('expired-bad')).toHaveLength(0);
  });
});
