/**
 * Limits every backend applies alike: the task size counted exactly as stored (escapes and request
 * ids included), times within years 0-9999, cursors that could have come from a real page.
 */
import {
  type AgentTask,
  type JsonValue,
  TaskCreateError,
  TaskQueryError,
  TaskStoreError,
  TaskUpdateError,
} from '@taskvault/core';
import { serializeTask } from '@taskvault/core/adapter';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { item, newTask, uniqueId } from '../fixtures.js';
import type { Harness, Scenario } from '../harness.js';

const LIMIT = 4096;
/** One character JSON escapes as six bytes (`\u0001`): counts escapes, not characters. */
const ESCAPED = '\u0001';

/** The exact size of a task as stored: what `maxTaskBytes` is compared with. */
function storedSize(task: AgentTask): number {
  return Buffer.byteLength(serializeTask(task), 'utf8');
}

/** `data.pad` of `n` bytes of JSON text: escaped characters, then plain ones for the rest. */
function pad(n: number): string {
  const escaped = Math.min(50, Math.floor(n / 6));
  return ESCAPED.repeat(escaped) + 'x'.repeat(n - 6 * escaped);
}

/** The task `create` would store for this input, to measure before sending it. */
function asStored(
  input: { taskId: string; data: { [k: string]: JsonValue }; items?: AgentTask['items'] },
  at: Date,
): AgentTask {
  return {
    taskId: input.taskId,
    status: 'pending',
    sessionId: null,
    userId: null,
    items: input.items ?? [],
    data: input.data,
    createdAt: at,
    updatedAt: at,
    expiresAt: null,
    version: 1,
  };
}

/** A create input whose stored size is exactly `bytes` (given createdAt, so it is fixed). */
function taskOfSize(bytes: number): {
  taskId: string;
  createdAt: Date;
  data: { pad: string };
  items: AgentTask['items'];
} {
  const taskId = uniqueId('sized');
  const createdAt = new Date(Date.UTC(2025, 0, 1));
  // A request id with characters JSON escapes: counted as stored, too.
  const items = [item(`${uniqueId('req')}"\\`, 'x', 'user', createdAt)];
  const base = storedSize(asStored({ taskId, data: { pad: '' }, items }, createdAt));
  return { taskId, createdAt, data: { pad: pad(bytes - base) }, items };
}

async function sizedStore(h: Harness) {
  return h.store({ maxTaskBytes: LIMIT });
}

export function limitCases(scenario: Scenario): void {
  scenario('create accepts a task of exactly maxTaskBytes as stored, escapes included', async (h) => {
    const store = await sizedStore(h);
    const input = taskOfSize(LIMIT);
    const created = await store.create(input);
    // updatedAt is the store's clock; same digit count as createdAt for any time this century.
    expect(storedSize(created)).toBe(LIMIT);
    expect(await store.load(input.taskId)).toEqual(created);
  });

  scenario(
    'create rejects a task one byte over maxTaskBytes, naming the task, and stores nothing',
    async (h) => {
      const store = await sizedStore(h);
      const input = taskOfSize(LIMIT + 1);
      await expectTaskError(store.create(input), {
        type: TaskCreateError,
        code: 'INVALID_INPUT',
        path: 'task',
      });
      expect(await store.load(input.taskId)).toBeNull();
      expect(await store.count()).toBe(0);
    },
  );

  scenario('a long run of escaped characters counts six bytes each', async (h) => {
    const store = await sizedStore(h);
    // 1000 characters, 6000 bytes as JSON: over the limit though the string is short.
    await expectTaskError(store.create(newTask({ data: { s: ESCAPED.repeat(1000) } })), {
      type: TaskCreateError,
      code: 'INVALID_INPUT',
      path: 'task',
    });
  });

  scenario('request ids count toward the size', async (h) => {
    const store = await sizedStore(h);
    const items = Array.from({ length: 10 }, () => item(`${uniqueId('r')}${'q'.repeat(480)}`, null));
    await expectTaskError(store.create(newTask({ items, data: {} })), {
      type: TaskCreateError,
      code: 'INVALID_INPUT',
      path: 'task',
    });
  });

  scenario('update accepts exactly maxTaskBytes and rejects one byte more, changing nothing', async (h) => {
    const store = await sizedStore(h);
    const created = await store.create(taskOfSize(LIMIT - 200));
    // Version 2 has as many digits as version 1: the stored size is the one measured here.
    const exact = { ...created, data: { pad: `${created.data.pad as string}${'y'.repeat(200)}` } };
    const updated = await store.update(exact);
    expect(storedSize(updated)).toBe(LIMIT);
    const over = { ...updated, data: { pad: `${updated.data.pad as string}z` } };
    await expectTaskError(store.update(over), { type: TaskUpdateError, code: 'INVALID_INPUT', path: 'task' });
    expect(await store.load(created.taskId)).toEqual(updated);
  });

  scenario('patch appending items is checked on the stored result, to the byte', async (h) => {
    const store = await sizedStore(h);
    const at = new Date(Date.UTC(2025, 0, 2));
    const created = await store.create(taskOfSize(LIMIT - 600));
    // The patched task: version 2, a new updatedAt (same digit count), one more item.
    const probe = item(`${uniqueId('req')}`, '', 'assistant', at);
    const sizeWithEmpty = storedSize({ ...created, items: [...created.items, probe], version: 2 });
    const fits = { ...probe, content: 'c'.repeat(LIMIT - sizeWithEmpty) };
    const patched = await store.patch(created.taskId, { appendItems: [fits] });
    expect(storedSize(patched)).toBe(LIMIT);

    const other = await store.create(taskOfSize(LIMIT - 600));
    const tooBig = { ...probe, requestId: fits.requestId, content: 'c'.repeat(LIMIT - sizeWithEmpty + 1) };
    await expectTaskError(store.patch(other.taskId, { appendItems: [tooBig] }), {
      type: TaskUpdateError,
      code: 'INVALID_INPUT',
    });
    expect(await store.load(other.taskId)).toEqual(other);
  });

  scenario(
    'patch merging data is checked on the merged result; a patch that shrinks always passes',
    async (h) => {
      const store = await sizedStore(h);
      const created = await store.create(taskOfSize(LIMIT));
      // Replacing the pad with a shorter one shrinks the task: allowed even at the limit.
      const padText = created.data.pad as string;
      const shrunk = await store.patch(created.taskId, { data: { pad: padText.slice(0, -100) } });
      expect(storedSize(shrunk)).toBe(LIMIT - 100);
      // A new key whose member brings the task to exactly the limit (with its comma): allowed.
      const member =
        storedSize({ ...shrunk, data: { ...shrunk.data, k: '' }, version: 3 }) - storedSize(shrunk);
      const exact = await store.patch(created.taskId, { data: { k: 'v'.repeat(100 - member) } });
      expect(storedSize(exact)).toBe(LIMIT);
      // One byte more through an existing key: rejected, nothing changes.
      await expectTaskError(store.patch(created.taskId, { data: { k: 'v'.repeat(101 - member) } }), {
        type: TaskUpdateError,
        code: 'INVALID_INPUT',
      });
      expect(await store.load(created.taskId)).toEqual(exact);
    },
  );

  scenario('a ttlMs whose expiry lands past year 9999 is INVALID_INPUT at ttlMs', async (h) => {
    const store = await h.store();
    for (const ttlMs of [1e15, 8.7e15, Number.MAX_SAFE_INTEGER]) {
      const input = newTask({ ttlMs });
      await expectTaskError(store.create(input), {
        type: TaskCreateError,
        code: 'INVALID_INPUT',
        path: 'ttlMs',
      });
      expect(await store.load(input.taskId)).toBeNull();
    }
  });

  scenario('a store ttlMs whose expiry lands past year 9999 is CONFIG_INVALID at ttlMs', async (h) => {
    for (const ttlMs of [1e15, 8.7e15]) {
      let error: unknown;
      try {
        await h.store({ ttlMs });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TaskStoreError);
      expect((error as TaskStoreError).code).toBe('CONFIG_INVALID');
      expect((error as TaskStoreError).path).toBe('ttlMs');
    }
  });

  scenario('a cleanup age reaching back before year 0 is INVALID_INPUT and removes nothing', async (h) => {
    const store = await h.store();
    await store.create(newTask({ status: 'completed' }));
    for (const olderThan of [1e20, Number.MAX_VALUE]) {
      await expectTaskError(store.cleanup({ olderThan }), {
        type: TaskQueryError,
        code: 'INVALID_INPUT',
        path: 'options.olderThan',
      });
    }
    expect(await store.count()).toBe(1);
  });

  scenario(
    'a well-formed cursor whose position is out of range is INVALID_INPUT, never an empty page',
    async (h) => {
      const store = await h.store();
      for (let i = 0; i < 3; i++) await store.create(newTask());
      const { nextCursor } = await store.list({ limit: 1 });
      expect(nextCursor).not.toBeNull();
      const fields = JSON.parse(Buffer.from(nextCursor!, 'base64url').toString('utf8')) as unknown[];
      for (const createdAt of [8.64e15 + 1, Number.MAX_SAFE_INTEGER, -8.64e15 - 1]) {
        const forgedFields = [...fields];
        forgedFields[2] = createdAt;
        const forged = Buffer.from(JSON.stringify(forgedFields), 'utf8').toString('base64url');
        await expectTaskError(store.list({ limit: 1, cursor: forged }), {
          type: TaskQueryError,
          code: 'INVALID_INPUT',
          path: 'query.cursor',
        });
      }
    },
  );
}
