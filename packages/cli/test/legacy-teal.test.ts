/**
 * Teal Agents' Redis data, written exactly as its RedisTaskPersistenceManager writes it (SETEX of
 * pydantic's model_dump_json(), SADD + EXPIRE of the request index), into a throwaway Redis.
 */

import { createTaskStore } from '@taskvault/core';
import { type RedisServerHandle, redisForTests } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreLegacy, tealTask } from '../src/index.js';
import { checkTealIndex, type TealReadReport, tealRecords } from '../src/legacy/teal-redis.js';
import { allTasks, memoryStore, restoreWorks, spawnCli } from './helpers.js';

let server: RedisServerHandle;
let redis: Redis;

/** An sk_agents AgentTask as pydantic dumps it (naive datetimes, microseconds, enum values). */
function agentTask(i: number, status = 'Running') {
  const id = `teal-${i}`;
  return {
    task_id: id,
    session_id: `session-${i % 3}`,
    user_id: `user-${i % 2}`,
    items: [
      {
        task_id: id,
        role: 'user',
        item: { content_type: 'text', content: `What is ${i} + ${i}?` },
        request_id: `req-${i}-a`,
        updated: '2025-03-01T10:00:00.123456',
        pending_tool_calls: null,
      },
      {
        task_id: id,
        role: 'assistant',
        item: { content_type: 'image', content: 'data:image/png;base64,iVBORw0KGgo=' },
        request_id: `req-${i}-a`,
        updated: '2025-03-01T10:00:02',
        pending_tool_calls: [
          { plugin_name: 'calc', function_name: 'add', arguments: { a: i, b: i }, id: `call-${i}` },
        ],
      },
    ],
    created_at: '2025-03-01T10:00:00.000001',
    last_updated: '2025-03-01T10:00:02.5+00:00',
    status,
  };
}

/** Writes a task the way Teal does: SETEX, then SADD + EXPIRE per item's request id. */
async function tealCreate(task: ReturnType<typeof agentTask>, ttl = 3600, prefix = 'task_persistence') {
  await redis.setex(`${prefix}:task:${task.task_id}`, ttl, JSON.stringify(task));
  for (const item of task.items) {
    await redis.sadd(`${prefix}:request_index:${item.request_id}`, task.task_id);
    await redis.expire(`${prefix}:request_index:${item.request_id}`, ttl);
  }
}

beforeAll(async () => {
  server = await redisForTests();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
});

describe('import-legacy teal-redis', () => {
  it('maps an sk_agents AgentTask field by field', () => {
    const task = tealTask(JSON.stringify(agentTask(7, 'Paused')), new Date('2025-03-01T11:00:00Z'));
    expect(task).toEqual({
      taskId: 'teal-7',
      status: 'paused',
      sessionId: 'session-1',
      userId: 'user-1',
      items: [
        {
          requestId: 'req-7-a',
          role: 'user',
          content: { contentType: 'text', content: 'What is 7 + 7?' },
          createdAt: new Date('2025-03-01T10:00:00.123Z'),
        },
        {
          requestId: 'req-7-a',
          role: 'assistant',
          content: {
            contentType: 'image',
            content: 'data:image/png;base64,iVBORw0KGgo=',
            pendingToolCalls: [
              { plugin_name: 'calc', function_name: 'add', arguments: { a: 7, b: 7 }, id: 'call-7' },
            ],
          },
          createdAt: new Date('2025-03-01T10:00:02.000Z'),
        },
      ],
      data: {},
      createdAt: new Date('2025-03-01T10:00:00.000Z'),
      updatedAt: new Date('2025-03-01T10:00:02.500Z'),
      expiresAt: new Date('2025-03-01T11:00:00Z'),
      version: 1,
    });
    expect(tealTask(JSON.stringify(agentTask(1, 'Canceled')), null).status).toBe('cancelled');
    expect(tealTask(JSON.stringify(agentTask(1, 'Completed')), null).status).toBe('completed');
  });

  it('imports every task key through SCAN in small batches, keeping the remaining TTL as expiry', async () => {
    const prefix = `tp${Date.now()}`;
    for (let i = 0; i < 230; i++)
      await tealCreate(agentTask(i, i % 2 ? 'Completed' : 'Running'), 3600, prefix);
    await redis.persist(`${prefix}:task:teal-0`); // one key without TTL
    await redis.sadd(`${prefix}:request_index:req-gone`, 'teal-gone'); // an index entry without task
    const store = memoryStore();
    const report: TealReadReport = { vanished: 0, indexKeys: 0, indexEntries: 0, orphanIndexEntries: 0 };
    const before = Date.now();
    const summary = await restoreLegacy(store, tealRecords(redis, report, { prefix, scanCount: 17 }), {
      batchSize: 50,
    });
    await checkTealIndex(redis, report, { prefix, scanCount: 17 });
    expect(summary).toMatchObject({ read: 230, restored: 230, invalid: 0 });
    expect(report).toMatchObject({ vanished: 0, indexKeys: 231, indexEntries: 231, orphanIndexEntries: 1 });
    const tasks = await allTasks(store);
    expect(tasks).toHaveLength(230);
    expect(await store.count({ status: 'completed' })).toBe(115);
    expect((await store.loadByRequestId('req-12-a'))?.taskId).toBe('teal-12');
    const noTtl = await store.load('teal-0');
    expect(noTtl?.expiresAt).toBeNull();
    const withTtl = (await store.load('teal-5'))!.expiresAt!.getTime();
    expect(withTtl).toBeGreaterThan(before + 3_500_000);
    expect(withTtl).toBeLessThanOrEqual(Date.now() + 3_600_000);
    // run again: everything is skipped (resumable)
    const again = await restoreLegacy(store, tealRecords(redis, report, { prefix }));
    expect(again).toMatchObject({ restored: 0, skipped: 230 });
  });

  it('a record that cannot become a task names its key and stops, unless --skip-invalid', async () => {
    const prefix = `bad${Date.now()}`;
    await tealCreate(agentTask(1), 3600, prefix);
    await redis.set(`${prefix}:task:broken`, '{"task_id": "broken", ');
    await redis.set(
      `${prefix}:task:odd`,
      JSON.stringify({ ...agentTask(2), task_id: 'odd', status: 'Sleeping' }),
    );
    await redis.set(`${prefix}:task:elsewhere`, JSON.stringify(agentTask(3)));
    const store = memoryStore();
    const report: TealReadReport = { vanished: 0, indexKeys: 0, indexEntries: 0, orphanIndexEntries: 0 };
    await expect(restoreLegacy(store, tealRecords(redis, report, { prefix }))).rejects.toThrow(
      new RegExp(
        `^${prefix}:task:(broken: value: not JSON|odd: status: unknown sk_agents status "Sleeping"|elsewhere: task_id: "teal-3" does not match its key)`,
      ),
    );
    const skipped = await restoreLegacy(store, tealRecords(redis, report, { prefix }), { skipInvalid: true });
    expect(skipped).toMatchObject({ read: 4, invalid: 3 });
    const listed = skipped.invalidRecords.sort();
    expect(listed[0]).toMatch(new RegExp(`^${prefix}:task:broken: value: not JSON \\(`));
    expect(listed[1]).toBe(`${prefix}:task:elsewhere: task_id: "teal-3" does not match its key`);
    expect(listed[2]).toBe(`${prefix}:task:odd: status: unknown sk_agents status "Sleeping"`);
    expect(await store.load('teal-1')).not.toBeNull();
  });

  it('the spawned command imports into the configured store and reports it (--json)', async () => {
    const prefix = `cli${Date.now()}`;
    for (let i = 0; i < 12; i++) await tealCreate(agentTask(i), 3600, prefix);
    const r = await spawnCli([
      'import-legacy',
      'teal-redis',
      server.url,
      '--key-prefix',
      prefix,
      '--to',
      'memory:',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      command: 'import-legacy teal-redis',
      backend: 'memory',
      read: 12,
      restored: 12,
      indexKeys: 12,
      indexEntries: 12,
      orphanIndexEntries: 0,
    });
    const down = await spawnCli([
      'import-legacy',
      'teal-redis',
      'redis://:pw@127.0.0.1:1',
      '--to',
      'memory:',
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^taskvault: SOURCE_UNAVAILABLE: cannot reach Teal's Redis/);
    expect(down.stderr).not.toContain('pw@');
  });

  it('imports into a persistent store in another process (Redis, when its store has restore)', async (ctx) => {
    const prefix = `persist${Date.now()}`;
    for (let i = 0; i < 40; i++) await tealCreate(agentTask(i, 'Completed'), 3600, prefix);
    const ns = `teal-${Date.now()}`;
    const target = await createTaskStore({ backend: 'redis', redis: { url: server.url }, namespace: ns });
    try {
      if (!(await restoreWorks(target))) ctx.skip('the Redis store does not implement restore in this tree');
      const r = await spawnCli([
        'import-legacy',
        'teal-redis',
        server.url,
        '--key-prefix',
        prefix,
        '--to',
        server.url,
        '--namespace',
        ns,
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'redis', restored: 40 });
      expect(await target.count({ status: 'completed' })).toBe(40);
      const task = await target.loadByRequestId('req-7-a');
      expect(task).toMatchObject({ taskId: 'teal-7', sessionId: 'session-1', version: 1 });
      expect(task!.items[1]!.content).toMatchObject({
        contentType: 'image',
        pendingToolCalls: [{ id: 'call-7' }],
      });
    } finally {
      await target.close();
    }
  });
});
