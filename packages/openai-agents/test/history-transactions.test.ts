/**
 * The optional capabilities of the SDK's `Session`: history transactions (atomic, idempotent
 * per operationId), compaction replacing history, and function-call rewrites.
 */
import {
  type AgentInputItem,
  isSessionHistoryRewriteAwareSession,
  isSessionHistoryTransactionAwareSession,
} from '@openai/agents-core';
import type { TaskStore } from '@taskvault/core';
import { taskStoreError } from '@taskvault/core/adapter';
import { describeOnBackends } from '@taskvault/test-servers/backends';
import { describe, expect, it } from 'vitest';
import { type HistoryTransactionArgs, OPERATIONS_KEY, TaskvaultSession } from '../src/index.js';
import { sampleItems, userText } from './support/items.js';

const append = (operationId: string, items: AgentInputItem[]): HistoryTransactionArgs => ({
  operationId,
  transaction: { type: 'append_items', items },
});

const replace = (
  operationId: string,
  expectedSuffix: AgentInputItem[],
  replacement: AgentInputItem[],
): HistoryTransactionArgs => ({
  operationId,
  transaction: { type: 'replace_suffix', expectedSuffix, replacement },
});

/**
 * The store as seen through a connection that drops the reply of its next write: the write is
 * applied on the server, and the caller gets BACKEND_UNAVAILABLE (SPEC: "the server can run it
 * and lose only the reply").
 */
function losingNextReply(store: TaskStore): TaskStore {
  let armed = true;
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      if (!['create', 'update', 'patch'].includes(String(key))) return value.bind(target);
      return async (...args: unknown[]) => {
        const result = await value.apply(target, args);
        if (!armed) return result;
        armed = false;
        throw taskStoreError('update', 'BACKEND_UNAVAILABLE', {
          backend: target.backend,
          detail: 'reply lost',
        });
      };
    },
  });
}

describe('capabilities the SDK detects', () => {
  it('the runner sees a transaction-aware, rewrite-aware, compaction-replacing session', async () => {
    const { createTaskStore } = await import('@taskvault/core');
    const store = await createTaskStore({ backend: 'memory' });
    const session = new TaskvaultSession(store);
    expect(isSessionHistoryTransactionAwareSession(session)).toBe(true);
    expect(isSessionHistoryRewriteAwareSession(session)).toBe(true);
    expect(typeof session.replaceHistoryWithCompaction).toBe('function');
    expect(session.acceptsRunContext).toBe(true);
    await store.close();
  });
});

describeOnBackends('history transactions', (backend) => {
  it('append_items retried with the same operationId applies once, from any client, also concurrently', async () => {
    const namespace = `tx-append-${backend.name}`;
    const a = new TaskvaultSession(await backend.open(namespace), { sessionId: 's' });
    const b = new TaskvaultSession(await backend.open(namespace), { sessionId: 's' });
    await a.applyHistoryTransaction(append('op-1', [userText('one')]));
    await a.applyHistoryTransaction(append('op-1', [userText('one')]));
    await b.applyHistoryTransaction(append('op-1', [userText('one')]));
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).applyHistoryTransaction(append('op-2', [userText('two')])),
      ),
    );
    expect(await b.getItems()).toStrictEqual([userText('one'), userText('two')]);
  });

  it('a transaction whose reply was lost (BACKEND_UNAVAILABLE) and is retried applies once', async () => {
    const store = await backend.open();
    const flaky = new TaskvaultSession(losingNextReply(store), { sessionId: 'lost' });
    const session = new TaskvaultSession(store, { sessionId: 'lost' });
    await session.addItems([userText('before')]);
    const tx = append('turn-7', [userText('question'), ...sampleItems().slice(3, 6)]);
    await expect(flaky.applyHistoryTransaction(tx)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await flaky.applyHistoryTransaction(tx);
    expect(await session.getItems()).toStrictEqual([
      userText('before'),
      userText('question'),
      ...sampleItems().slice(3, 6),
    ]);

    // the same for a replace_suffix: lost reply, retry, applied once
    const flakyAgain = new TaskvaultSession(losingNextReply(store), { sessionId: 'lost' });
    const swap = replace('turn-8', sampleItems().slice(4, 6), [userText('replaced')]);
    await expect(flakyAgain.applyHistoryTransaction(swap)).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
    await flakyAgain.applyHistoryTransaction(swap);
    expect(await session.getItems()).toStrictEqual([
      userText('before'),
      userText('question'),
      sampleItems()[3],
      userText('replaced'),
    ]);
  });

  it('replace_suffix replaces exactly the expected suffix; a stale suffix is INVALID_INPUT and changes nothing', async () => {
    const session = new TaskvaultSession(await backend.open());
    const items = sampleItems();
    await session.applyHistoryTransaction(append('a', items));
    // key order does not matter when comparing the suffix
    const reordered = Object.fromEntries(Object.entries(items.at(-1)!).reverse()) as AgentInputItem;
    await session.applyHistoryTransaction(replace('b', [items.at(-2)!, reordered], [userText('summary')]));
    const expected = [...items.slice(0, -2), userText('summary')];
    expect(await session.getItems()).toStrictEqual(expected);
    await expect(
      session.applyHistoryTransaction(replace('c', [userText('not the suffix')], [])),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', path: 'transaction.expectedSuffix' });
    await expect(
      session.applyHistoryTransaction(replace('d', [...expected, ...expected], [])),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', path: 'transaction.expectedSuffix' });
    expect(await session.getItems()).toStrictEqual(expected);
    // the failed ids were not recorded: they may be used for a transaction that fits
    await session.applyHistoryTransaction(replace('c', [userText('summary')], []));
    expect(await session.getItems()).toStrictEqual(items.slice(0, -2));
  });

  it('replace_suffix racing with the same suffix: exactly one wins, the others find it gone', async () => {
    const namespace = `tx-race-${backend.name}`;
    const sessions = await Promise.all(
      [0, 1, 2, 3].map(
        async () => new TaskvaultSession(await backend.open(namespace), { sessionId: 'race' }),
      ),
    );
    await sessions[0]!.addItems([userText('keep'), userText('last')]);
    const results = await Promise.allSettled(
      sessions.map((s, i) =>
        s.applyHistoryTransaction(replace(`r${i}`, [userText('last')], [userText(`by ${i}`)])),
      ),
    );
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ path: 'transaction.expectedSuffix' });
    }
    expect(await sessions[0]!.getItems()).toStrictEqual([userText('keep'), userText(`by ${winners[0]}`)]);
  });

  it('an operationId reused with a different transaction is INVALID_INPUT and changes nothing', async () => {
    const session = new TaskvaultSession(await backend.open());
    await session.applyHistoryTransaction(append('same', [userText('x')]));
    await expect(session.applyHistoryTransaction(append('same', [userText('y')]))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      path: 'operationId',
    });
    await expect(session.applyHistoryTransaction(replace('same', [userText('x')], []))).rejects.toMatchObject(
      {
        path: 'operationId',
      },
    );
    expect(await session.getItems()).toStrictEqual([userText('x')]);
  });

  it('malformed arguments are INVALID_INPUT naming the field, before anything is written', async () => {
    const store = await backend.open();
    const session = new TaskvaultSession(store, { sessionId: 'bad-args' });
    const cases: [unknown, string][] = [
      [append('  ', []), 'operationId'],
      [{ transaction: { type: 'append_items', items: [] } }, 'operationId'],
      [{ operationId: 'x', transaction: { type: 'drop_all' } }, 'transaction'],
      [{ operationId: 'x', transaction: { type: 'append_items', items: [], extra: 1 } }, 'transaction'],
      [{ operationId: 'x', transaction: { type: 'append_items', items: 'no' } }, 'transaction.items'],
      [
        append('x', [userText('ok'), { role: 'user', content: () => 1 } as never]),
        'transaction.items[1].content',
      ],
      [
        replace('x', [], [{ role: 'user', content: 'x', n: Number.NaN } as never]),
        'transaction.replacement[0].n',
      ],
    ];
    for (const [args, path] of cases) {
      await expect(session.applyHistoryTransaction(args as HistoryTransactionArgs)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        path,
      });
    }
    expect(await store.load(session.taskId)).toBeNull();
  });

  it('the record of applied ids is bounded: the newest `operationsKept` are kept in the task data', async () => {
    const store = await backend.open();
    const session = new TaskvaultSession(store, { operationsKept: 3 });
    for (const id of ['o1', 'o2', 'o3', 'o4'])
      await session.applyHistoryTransaction(append(id, [userText(id)]));
    const record = (await store.load(session.taskId))?.data[OPERATIONS_KEY] as { id: string }[];
    expect(record.map((entry) => entry.id)).toStrictEqual(['o2', 'o3', 'o4']);
    await session.applyHistoryTransaction(append('o4', [userText('o4')]));
    expect(await session.getItems()).toHaveLength(4);
    // 'o1' fell out of the record: a (very late) retry of it would apply again
    await session.applyHistoryTransaction(append('o1', [userText('o1')]));
    expect(await session.getItems()).toHaveLength(5);
  });

  it('clearSession forgets applied ids, as the SDK MemorySession does', async () => {
    const session = new TaskvaultSession(await backend.open());
    await session.applyHistoryTransaction(append('t', [userText('x')]));
    await session.clearSession();
    await session.applyHistoryTransaction(append('t', [userText('x')]));
    expect(await session.getItems()).toStrictEqual([userText('x')]);
  });

  it('replaceHistoryWithCompaction replaces the whole history and keeps the applied ids', async () => {
    const session = new TaskvaultSession(await backend.open());
    await session.applyHistoryTransaction(append('before', sampleItems()));
    const compacted: AgentInputItem[] = [
      { type: 'compaction', id: 'cmp_9', encrypted_content: 'summary of everything' },
      userText('latest'),
    ];
    await session.replaceHistoryWithCompaction(compacted);
    expect(await session.getItems()).toStrictEqual(compacted);
    await session.applyHistoryTransaction(append('before', sampleItems()));
    expect(await session.getItems()).toStrictEqual(compacted);
    // on a session never written, it writes the history
    const fresh = new TaskvaultSession(await backend.open());
    await fresh.replaceHistoryWithCompaction(compacted);
    expect(await fresh.getItems()).toStrictEqual(compacted);
  });

  it('applyHistoryMutations replaces a function call by its callId, with the SDK semantics', async () => {
    const session = new TaskvaultSession(await backend.open());
    const items = sampleItems();
    await session.addItems(items);
    const replacement = { ...(items[3] as object), arguments: '{"city":"Lyon"}' } as AgentInputItem;
    await session.applyHistoryMutations({
      mutations: [{ type: 'replace_function_call', callId: 'call:1*{x}', replacement: replacement as never }],
    });
    expect(await session.getItems()).toStrictEqual([...items.slice(0, 3), replacement, ...items.slice(4)]);
  });
});
