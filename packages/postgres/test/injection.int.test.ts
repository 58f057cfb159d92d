/**
 * SQL injection: hostile strings in every string field and filter are plain data (every value is
 * a bound parameter); schema and prefix names are checked as identifiers before any SQL is built.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { PostgresTaskStore } from '../src/index.js';
import { CONSISTENT, findInconsistencies } from './consistency.js';
import { storeOn, useServer } from './helpers.js';

const server = useServer();

const HOSTILE = [
  "'; DROP TABLE taskvault_tasks; --",
  '" OR 1=1 --',
  "x' OR 'x'='x",
  "\\'; select pg_sleep(10); --",
  '$1',
  '%_%',
  '{a,b}',
  '{"NULL"}',
  'NULL',
  'a,"b\\"c"',
  '$$; drop schema public cascade; $$',
  '); delete from taskvault_task_requests; (',
  'e\\x27',
  '*:{}[]"\' 🔥',
];

describe('hostile strings', () => {
  let url: string;
  beforeAll(async () => {
    url = await server().createDatabase();
  });

  it('as namespace, taskId, sessionId, userId, requestId, data keys and values, content and filters: stored and found verbatim', async () => {
    for (const [n, evil] of HOSTILE.entries()) {
      const store = storeOn(url, { namespace: evil });
      try {
        const task = await store.create({
          taskId: evil,
          sessionId: evil,
          userId: evil,
          items: [
            { requestId: evil, role: 'user', content: { [evil]: evil }, createdAt: new Date(1000 + n) },
          ],
          data: { [evil]: evil, nested: { [evil]: [evil] } },
        });
        expect(await store.load(evil)).toEqual(task);
        expect(await store.loadByRequestId(evil)).toEqual(task);
        expect((await store.list({ sessionId: evil, userId: evil })).tasks).toEqual([task]);
        expect(await store.count({ sessionId: evil })).toBe(1);
        expect(await store.count({ userId: evil, status: 'pending' })).toBe(1);
        const patched = await store.patch(evil, {
          data: { [`${evil}2`]: evil },
          appendItems: [{ requestId: `${evil}2`, role: 'tool', content: evil, createdAt: new Date() }],
          sessionId: `${evil}3`,
        });
        expect(patched.data[`${evil}2`]).toBe(evil);
        expect(await store.loadByRequestId(`${evil}2`)).toEqual(patched);
        const page = await store.list({ limit: 1 });
        expect(page.tasks).toEqual([patched]);
        expect((await store.list({ sessionId: `${evil}3` })).tasks).toEqual([patched]);
      } finally {
        await store.close();
      }
    }
    // every namespace holds exactly its own task; nothing was dropped or deleted
    for (const evil of HOSTILE) {
      const store = storeOn(url, { namespace: evil });
      expect(await store.count()).toBe(1);
      expect((await store.list()).tasks.map((t) => t.taskId)).toEqual([evil]);
      await store.close();
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('select count(*)::int as n from taskvault_tasks');
    await client.end();
    expect(rows[0].n).toBe(HOSTILE.length);
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
  });

  it('schema and table prefix must be plain identifiers: anything else is CONFIG_INVALID before any SQL runs', () => {
    const bad = [
      { schema: 'public"; drop table x; --' },
      { schema: 'Public' },
      { schema: 'pg_catalog' },
      { schema: '1abc' },
      { schema: '' },
      { schema: 'a'.repeat(64) },
      { tablePrefix: 'tv"; --' },
      { tablePrefix: 'tv-' },
      { tablePrefix: 'TV_' },
      { tablePrefix: 'a'.repeat(33) },
    ];
    for (const options of bad) {
      expect(() => new PostgresTaskStore({ connectionString: url, ...options })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', path: Object.keys(options)[0] }),
      );
    }
  });
});
