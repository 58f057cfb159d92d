/**
 * Lybic's `agent_tasks` table, created with Lybic's own DDL and filled the way its PostgresStorage
 * writes (JSON text into jsonb parameters, naive `datetime.now()` timestamps), in a throwaway
 * PostgreSQL.
 */
import { createTaskStore } from '@taskvault/core';
import { type PostgresServerHandle, postgresForTests, redisForTests } from '@taskvault/test-servers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lybicTask, restoreLegacy } from '../src/index.js';
import { connectLybic, lybicRecords } from '../src/legacy/lybic-postgres.js';
import { allTasks, memoryStore, restoreWorks, spawnCli } from './helpers.js';

const LYBIC_DDL = `
  CREATE TABLE IF NOT EXISTS agent_tasks (
    task_id VARCHAR(255) PRIMARY KEY,
    status VARCHAR(50) NOT NULL,
    query TEXT NOT NULL,
    max_steps INTEGER NOT NULL,
    final_state VARCHAR(50),
    timestamp_dir TEXT,
    execution_statistics JSONB,
    sandbox_info JSONB,
    request_data JSONB,
    created_at TIMESTAMP NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP NOT NULL DEFAULT NOW()
  );
  CREATE INDEX IF NOT EXISTS idx_agent_tasks_status ON agent_tasks(status);
  CREATE INDEX IF NOT EXISTS idx_agent_tasks_created_at ON agent_tasks(created_at);`;

const STATUSES = ['pending', 'running', 'finished', 'error', 'cancelled'];

let server: PostgresServerHandle;
let url: string;
let client: pg.Client;

/** Lybic's create_task: JSON columns as json.dumps(...) or NULL when empty. */
async function lybicCreate(i: number, table = 'agent_tasks') {
  const stats =
    i % 4 === 0 ? null : { steps: i, tokens: { prompt: 100 + i, completion: 20 }, durations: [1.5, 2.25] };
  await client.query(
    `INSERT INTO ${table} (task_id, status, query, max_steps, final_state, timestamp_dir,
       execution_statistics, sandbox_info, request_data, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      `lybic-${String(i).padStart(4, '0')}`,
      STATUSES[i % STATUSES.length],
      `Open the calculator and add ${i}`,
      50,
      i % 5 === 2 ? 'DONE' : null,
      `/runs/20250301_1000${i}`,
      stats === null ? null : JSON.stringify(stats),
      JSON.stringify({ sandbox_id: `sbx-${i}`, os: 'Windows', shape: { cpu: 2 } }),
      JSON.stringify({ instruction: `add ${i}`, llm: { provider: 'x', model: 'y' }, ünï: 'cödé' }),
      '2025-03-01 10:00:00.123456',
      `2025-03-01 10:0${i % 10}:30`,
    ],
  );
}

beforeAll(async () => {
  server = await postgresForTests();
  url = await server.createDatabase();
  client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(LYBIC_DDL);
  for (let i = 0; i < 123; i++) await lybicCreate(i);
});
afterAll(async () => {
  await client?.end();
  await server?.destroy();
});

describe('import-legacy lybic-postgres', () => {
  it('maps a row column by column; every other column lands in data in camelCase', () => {
    const task = lybicTask({
      task_id: 't1',
      status: 'finished',
      query: 'q',
      max_steps: 50,
      final_state: 'DONE',
      timestamp_dir: '/runs/1',
      execution_statistics: { steps: 3 },
      sandbox_info: null,
      request_data: { a: 1 },
      conversation_history: [{ role: 'user', content: 'hi' }],
      created_at: '2025-03-01 10:00:00.123456',
      updated_at: '2025-03-01 12:00:00+02',
    });
    expect(task).toEqual({
      taskId: 't1',
      status: 'completed',
      sessionId: null,
      userId: null,
      items: [],
      data: {
        query: 'q',
        maxSteps: 50,
        finalState: 'DONE',
        timestampDir: '/runs/1',
        executionStatistics: { steps: 3 },
        sandboxInfo: null,
        requestData: { a: 1 },
        conversationHistory: [{ role: 'user', content: 'hi' }],
      },
      createdAt: new Date('2025-03-01T10:00:00.123Z'),
      updatedAt: new Date('2025-03-01T10:00:00.000Z'),
      expiresAt: null,
      version: 1,
    });
    expect(() => lybicTask({ task_id: 'x', status: 'done', created_at: '2025-01-01 00:00:00' })).toThrow(
      /status: unknown Lybic status "done"/,
    );
  });

  it('reads the table in keyset batches and restores every row exactly', async () => {
    const source = await connectLybic(url, process.cwd());
    try {
      const store = memoryStore();
      const summary = await restoreLegacy(store, lybicRecords(source, { batchSize: 10 }), { batchSize: 7 });
      expect(summary).toMatchObject({ read: 123, restored: 123, invalid: 0 });
      const tasks = await allTasks(store);
      expect(tasks).toHaveLength(123);
      const t = (await store.load('lybic-0007'))!;
      expect(t.status).toBe('completed'); // Lybic 'finished'
      expect(t.data).toEqual({
        query: 'Open the calculator and add 7',
        maxSteps: 50,
        finalState: 'DONE',
        timestampDir: '/runs/20250301_10007',
        executionStatistics: { steps: 7, tokens: { prompt: 107, completion: 20 }, durations: [1.5, 2.25] },
        sandboxInfo: { sandbox_id: 'sbx-7', os: 'Windows', shape: { cpu: 2 } },
        requestData: { instruction: 'add 7', llm: { provider: 'x', model: 'y' }, ünï: 'cödé' },
      });
      expect(t.createdAt).toEqual(new Date('2025-03-01T10:00:00.123Z'));
      expect(t.updatedAt).toEqual(new Date('2025-03-01T10:07:30.000Z'));
      expect((await store.load('lybic-0004'))!.data.executionStatistics).toBeNull();
      expect(await store.count({ status: 'completed' })).toBe(25);
      expect(await store.countActive()).toBe(50);
    } finally {
      await source.end();
    }
  });

  it('a row with an unknown status stops the import naming the row, or is skipped with --skip-invalid', async () => {
    await client.query(`CREATE TABLE odd_tasks (LIKE agent_tasks INCLUDING ALL)`);
    await client.query(`INSERT INTO odd_tasks SELECT * FROM agent_tasks WHERE task_id < 'lybic-0003'`);
    await client.query(`UPDATE odd_tasks SET status = 'exploded' WHERE task_id = 'lybic-0001'`);
    const r = await spawnCli([
      'import-legacy',
      'lybic-postgres',
      url,
      '--table',
      'odd_tasks',
      '--to',
      'memory:',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^taskvault: INVALID_INPUT: odd_tasks row task_id="lybic-0001": status: unknown Lybic status "exploded"; nothing of it was written/,
    );
    const skipped = await spawnCli([
      'import-legacy',
      'lybic-postgres',
      url,
      '--table',
      'odd_tasks',
      '--to',
      'memory:',
      '--skip-invalid',
      '--json',
    ]);
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ read: 3, restored: 2, invalid: 1 });
  });

  it('the spawned command imports the whole table (--json), and a bad table name is a usage error', async () => {
    const r = await spawnCli([
      'import-legacy',
      'lybic-postgres',
      url,
      '--to',
      'memory:',
      '--batch-size',
      '50',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      command: 'import-legacy lybic-postgres',
      read: 123,
      restored: 123,
    });
    const bad = await spawnCli([
      'import-legacy',
      'lybic-postgres',
      url,
      '--table',
      'x; drop table y',
      '--to',
      'memory:',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^taskvault: USAGE: --table: /);
  });

  it('imports into a persistent store in another process (Redis, when its store has restore)', async (ctx) => {
    const redis = await redisForTests();
    const target = await createTaskStore({ backend: 'redis', redis: { url: redis.url }, namespace: 'lybic' });
    try {
      if (!(await restoreWorks(target))) ctx.skip('the Redis store does not implement restore in this tree');
      const r = await spawnCli([
        'import-legacy',
        'lybic-postgres',
        url,
        '--to',
        redis.url,
        '--namespace',
        'lybic',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'redis', restored: 123 });
      expect(await target.count()).toBe(123);
      expect((await target.load('lybic-0012'))?.data).toMatchObject({ maxSteps: 50, finalState: 'DONE' });
    } finally {
      await target.close();
      await redis.destroy();
    }
  });
});
