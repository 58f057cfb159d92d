/**
 * The size kept with each row is the task's exact serialized size (`serializeTask`, UTF-8) after
 * every kind of write, so `maxTaskBytes` is applied to a patch exactly, in O(change).
 */
import type { AgentTask, TaskItem } from '@taskvault/core';
import { serializeTask } from '@taskvault/core/adapter';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationProgress, PostgresTaskStore } from '../src/index.js';
import { MIGRATIONS } from '../src/migrations/index.js';
import { namingFor } from '../src/naming.js';
import { storeOn, useServer } from './helpers.js';

const server = useServer();
const exact = (task: AgentTask | null) => Buffer.byteLength(serializeTask(task as AgentTask));
const item = (requestId: string, content: unknown = 'x'): TaskItem => ({
  requestId,
  role: 'assistant',
  content: content as TaskItem['content'],
  createdAt: new Date(1_700_000_000_123),
});
/** Strings whose JSON has escapes and multi-byte characters. */
const AWKWARD = 'q"uote\\ back\nline\u0001ctl é 漢 😀';
/** The same without control characters, which ids refuse. */
const AWKWARD_ID = 'q"uote\\ é 漢 😀';

describe('kept task sizes', () => {
  let url: string;
  let store: PostgresTaskStore;
  let client: pg.Client;

  beforeAll(async () => {
    url = await server().createDatabase();
    store = storeOn(url, { maxTaskBytes: 4096 });
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await store.close();
  });

  const kept = async (taskId: string) =>
    Number(
      (await client.query('select bytes from taskvault_tasks where task_id = $1', [taskId])).rows[0]?.bytes,
    );

  it('after create, update and every kind of patch, the kept size is the serialized size', async () => {
    const id = 'sized-"é\\漢';
    let task: AgentTask | null = await store.create({ taskId: id, sessionId: AWKWARD_ID });
    expect(await kept(id)).toBe(exact(task));
    const patches = [
      { data: { first: AWKWARD } }, // first key of an empty object
      { data: { second: [1, 2.5, -3e-7, 1e21, null, true], first: 'shorter' } }, // new key and a replaced one
      { data: { first: null } },
      { appendItems: [item('r1', { nested: AWKWARD })] }, // first item of an empty list
      { appendItems: [item('r2'), item('r1', 12345678901234)] },
      {
        status: 'completed' as const,
        sessionId: null,
        userId: AWKWARD_ID,
        expiresAt: new Date(9_999_999_999_999),
      },
      { expiresAt: null, status: 'running' as const },
    ];
    for (const patch of patches) {
      task = await store.patch(id, patch);
      expect(exact(await store.load(id))).toBe(exact(task));
      expect(await kept(id)).toBe(exact(task));
    }
    task = await store.update({
      ...(task as AgentTask),
      items: [item('r3', AWKWARD)],
      data: { é: { deep: [AWKWARD] } },
    });
    expect(await kept(id)).toBe(exact(task));
    task = await store.patch(id, { data: { é: 1 } });
    expect(await kept(id)).toBe(exact(task));
  });

  it('a patch to exactly maxTaskBytes is accepted and one byte more is rejected, measured exactly', async () => {
    const id = 'limit';
    const base = await store.create({ taskId: id, data: { pad: '' } });
    // the size with pad = 'x' * n is the base size + n
    const room = 4096 - exact(base);
    const full = await store.patch(id, { data: { pad: 'é'.repeat(room / 2) + (room % 2 ? 'x' : '') } });
    expect(exact(full)).toBe(4096);
    expect(await kept(id)).toBe(4096);
    const error = await store.patch(id, { data: { more: '' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', path: 'task' });
    expect((await store.load(id))?.version).toBe(full.version);
    // shrinking or keeping the size is always allowed
    expect((await store.patch(id, { data: { pad: 'short' } })).version).toBe(full.version + 1);
  });

  it('rows written before migration 0003 get their sizes from migrate(), in batches with progress', async () => {
    const older = await server().createDatabase();
    const naming = namingFor('public', 'taskvault_');
    const admin = new pg.Client({ connectionString: older });
    await admin.connect();
    try {
      for (const m of MIGRATIONS.slice(0, 2))
        for (const statement of m.statements(naming)) await admin.query(statement);
      await admin.query(`create table taskvault_migrations (name varchar(255) primary key, timestamp varchar(255) not null);
        insert into taskvault_migrations values ('0001-init', 'x'), ('0002-linear-index-upkeep', 'x')`);
      await admin.query(`insert into taskvault_tasks (namespace, task_id, status, session_id, created_at, updated_at, version, request_ids, data, items)
        select 'default', 'old-' || i, 'pending', 'sé\n' || i, 1000 + i, 2000 + i, 1, array['r-' || i],
               jsonb_build_object('n', i, 'text', 'a "b"'),
               jsonb_build_array(jsonb_build_object('requestId', 'r-' || i, 'role', 'user', 'content', 1.5, 'createdAt', 7))
        from generate_series(1, 1200) as i`);
      const events: MigrationProgress[] = [];
      const upgraded = storeOn(older);
      try {
        expect((await upgraded.migrate({ onProgress: (e) => events.push(e) })).applied).toEqual([
          '0003-task-bytes',
          '0004-retention',
          '0005-changes',
          '0006-changes-one-index',
        ]);
        expect(events.filter((e) => e.phase === 'backfill').map((e) => e.rows)).toEqual([500, 1000, 1200]);
        for (const i of [1, 777, 1200]) {
          const task = await upgraded.load(`old-${i}`);
          const row = (
            await admin.query('select bytes from taskvault_tasks where task_id = $1', [`old-${i}`])
          ).rows[0];
          expect(Number(row.bytes)).toBe(exact(task));
        }
        expect(
          (await admin.query('select count(*)::int as n from taskvault_tasks where bytes is null')).rows[0].n,
        ).toBe(0);
      } finally {
        await upgraded.close();
      }
    } finally {
      await admin.end();
    }
  });
});
