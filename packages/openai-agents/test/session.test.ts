/**
 * The SDK's `Session` semantics on every backend: what `getItems` returns for each `limit`, what
 * `popItem` and `clearSession` do, how items are stored and that they come back deep-equal.
 */
import type { AgentInputItem } from '@openai/agents-core';
import { TaskStoreError } from '@taskvault/core';
import { describeOnBackends } from '@taskvault/test-servers/backends';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TASK_ID_PREFIX, TaskvaultSession } from '../src/index.js';
import { sampleItems, userText } from './support/items.js';

describeOnBackends('session semantics', (backend) => {
  it('getItems returns the last `limit` items in order: all for undefined, none for 0 or less, all when larger', async () => {
    const session = new TaskvaultSession(await backend.open());
    const items = ['a', 'b', 'c', 'd', 'e'].map(userText);
    await session.addItems(items.slice(0, 2));
    await session.addItems(items.slice(2));
    expect(await session.getItems()).toStrictEqual(items);
    expect(await session.getItems(undefined)).toStrictEqual(items);
    expect(await session.getItems(2)).toStrictEqual(items.slice(3));
    expect(await session.getItems(1)).toStrictEqual([items[4]]);
    expect(await session.getItems(5)).toStrictEqual(items);
    expect(await session.getItems(50)).toStrictEqual(items);
    expect(await session.getItems(0)).toStrictEqual([]);
    expect(await session.getItems(-3)).toStrictEqual([]);
  });

  it('a session never written has no items, and popItem on it returns undefined', async () => {
    const session = new TaskvaultSession(await backend.open(), { sessionId: 'never-written' });
    expect(await session.getItems()).toStrictEqual([]);
    expect(await session.getItems(3)).toStrictEqual([]);
    expect(await session.popItem()).toBeUndefined();
    await session.clearSession();
    expect(await session.getItems()).toStrictEqual([]);
  });

  it('every kind of SDK item comes back deep-equal, from another client of the same store', async () => {
    const namespace = `items-${backend.name}`;
    const items = sampleItems();
    await new TaskvaultSession(await backend.open(namespace), { sessionId: 'shapes' }).addItems(items);
    const reader = new TaskvaultSession(await backend.open(namespace), { sessionId: 'shapes' });
    expect(await reader.getItems()).toStrictEqual(sampleItems());
    // what came back is a copy: changing it changes nothing stored
    const got = await reader.getItems(1);
    (got[0] as { id?: string }).id = 'changed';
    expect(await reader.getItems(1)).toStrictEqual(sampleItems().slice(-1));
  });

  it('popItem removes and returns the last item, down to an empty session', async () => {
    const session = new TaskvaultSession(await backend.open());
    const items = sampleItems();
    await session.addItems(items);
    for (let i = items.length - 1; i >= 0; i--) {
      expect(await session.popItem()).toStrictEqual(items[i]);
      expect(await session.getItems()).toStrictEqual(items.slice(0, i));
    }
    expect(await session.popItem()).toBeUndefined();
  });

  it('clearSession removes every item; the session can be written again', async () => {
    const store = await backend.open();
    const session = new TaskvaultSession(store, { sessionId: 'to-clear' });
    await session.addItems(sampleItems());
    await session.clearSession();
    expect(await session.getItems()).toStrictEqual([]);
    expect(await store.load(`${DEFAULT_TASK_ID_PREFIX}to-clear`)).toBeNull();
    await session.addItems([userText('again')]);
    expect(await session.getItems()).toStrictEqual([userText('again')]);
  });

  it('one task per session: taskId is the prefix plus the session id, sessionId and userId set, items by request id', async () => {
    const store = await backend.open();
    const session = new TaskvaultSession(store, { sessionId: 'chat:42 🌍', userId: 'user-7' });
    expect(await session.getSessionId()).toBe('chat:42 🌍');
    await session.addItems(sampleItems());
    const task = await store.load('openai-agents:chat:42 🌍');
    expect(task).toMatchObject({ sessionId: 'chat:42 🌍', userId: 'user-7', status: 'running' });
    expect(task?.items.map((item) => item.role)).toStrictEqual([
      'system',
      'user',
      'assistant',
      'tool',
      'tool',
      'assistant',
      'assistant',
    ]);
    // an item's own id is its request id, so the store finds the session from it
    expect((await store.loadByRequestId('fc_1'))?.taskId).toBe(session.taskId);
    expect((await store.loadByRequestId('msg_1'))?.taskId).toBe(session.taskId);
    // items without an id get a generated one, kept from then on
    const generated = task?.items[0]?.requestId;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect((await store.load(session.taskId))?.items[0]?.requestId).toBe(generated);
    expect(await store.list({ userId: 'user-7' })).toMatchObject({ tasks: [{ taskId: session.taskId }] });
  });

  it('sessions are separate: another session id sees none of the items', async () => {
    const store = await backend.open();
    await new TaskvaultSession(store, { sessionId: 'one' }).addItems([userText('for one')]);
    const two = new TaskvaultSession(store, { sessionId: 'two', taskIdPrefix: 'custom/' });
    expect(await two.getItems()).toStrictEqual([]);
    await two.addItems([userText('for two')]);
    expect(two.taskId).toBe('custom/two');
    expect(await new TaskvaultSession(store, { sessionId: 'one' }).getItems()).toStrictEqual([
      userText('for one'),
    ]);
  });

  it('an item that is not plain JSON is INVALID_INPUT naming its path, and nothing is stored', async () => {
    const session = new TaskvaultSession(await backend.open());
    await session.addItems([userText('kept')]);
    const bad = [
      userText('would be lost'),
      { role: 'user', content: [{ type: 'input_file', file: new Uint8Array([1, 2]) }] },
    ] as unknown as AgentInputItem[];
    const error = await session.addItems(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskStoreError);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', path: 'items[1].content[0].file' });
    await expect(session.addItems([null as unknown as AgentInputItem])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      path: 'items[0]',
    });
    await expect(session.getItems(1.5)).rejects.toMatchObject({ code: 'INVALID_INPUT', path: 'limit' });
    expect(await session.getItems()).toStrictEqual([userText('kept')]);
  });

  it('properties whose value is undefined are dropped, as the SDK does when it persists', async () => {
    const session = new TaskvaultSession(await backend.open());
    await session.addItems([{ role: 'user', content: 'x', providerData: undefined } as AgentInputItem]);
    expect(await session.getItems()).toStrictEqual([{ role: 'user', content: 'x' }]);
  });
});

describe('session options', () => {
  it('a session id or prefix taskvault cannot store, or a bad count, is CONFIG_INVALID naming the option', async () => {
    const { createTaskStore } = await import('@taskvault/core');
    const store = await createTaskStore({ backend: 'memory' });
    expect(() => new TaskvaultSession(store, { sessionId: '' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', path: 'sessionId' }),
    );
    expect(() => new TaskvaultSession(store, { sessionId: 'x', taskIdPrefix: 'a\u0001' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', path: 'taskIdPrefix' }),
    );
    expect(() => new TaskvaultSession(store, { sessionId: 'x'.repeat(500) })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', path: 'sessionId' }),
    );
    expect(() => new TaskvaultSession(store, { maxAttempts: 0 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', path: 'maxAttempts' }),
    );
    expect(() => new TaskvaultSession(store, { operationsKept: 1.5 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', path: 'operationsKept' }),
    );
    // without a session id, each session gets its own random one
    const a = await new TaskvaultSession(store).getSessionId();
    expect(a).not.toBe(await new TaskvaultSession(store).getSessionId());
    await store.close();
  });
});
