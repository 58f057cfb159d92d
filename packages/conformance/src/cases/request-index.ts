/** loadByRequestId: which task it finds, and that the index follows every write. */
import { expect } from 'vitest';
import { instants, item, newTask, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

export function requestIndexCases(scenario: Scenario): void {
  scenario('loadByRequestId finds the task holding an item with that requestId', async (h) => {
    const store = await h.store();
    const requestId = uniqueId('req');
    const created = await store.create(
      newTask({ items: [item(uniqueId('req')), item(requestId, 'answer', 'assistant')] }),
    );
    await store.create(newTask());
    expect(await store.loadByRequestId(requestId)).toEqual(created);
  });

  scenario('loadByRequestId of a requestId nobody holds returns null', async (h) => {
    const store = await h.store();
    await store.create(newTask());
    expect(await store.loadByRequestId(uniqueId('nobody'))).toBeNull();
  });

  scenario('a requestId held by several items of one task finds that task', async (h) => {
    const store = await h.store();
    const requestId = uniqueId('req');
    const created = await store.create(
      newTask({
        items: [item(requestId, 'q'), item(requestId, 'a', 'assistant'), item(requestId, 't', 'tool')],
      }),
    );
    expect(await store.loadByRequestId(requestId)).toEqual(created);
  });

  scenario('patch appendItems makes a new requestId findable', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask());
    const requestId = uniqueId('req');
    expect(await store.loadByRequestId(requestId)).toBeNull();
    const patched = await store.patch(created.taskId, { appendItems: [item(requestId)] });
    expect(await store.loadByRequestId(requestId)).toEqual(patched);
  });

  scenario('an item added by update makes its requestId findable', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask());
    const requestId = uniqueId('req');
    const updated = await store.update({ ...created, items: [...created.items, item(requestId)] });
    expect(await store.loadByRequestId(requestId)).toEqual(updated);
  });

  scenario('an item removed by update no longer finds the task; the items kept still do', async (h) => {
    const store = await h.store();
    const kept = item(uniqueId('req'));
    const removed = item(uniqueId('req'));
    const created = await store.create(newTask({ items: [kept, removed] }));
    const updated = await store.update({ ...created, items: [kept] });
    expect(await store.loadByRequestId(removed.requestId)).toBeNull();
    expect(await store.loadByRequestId(kept.requestId)).toEqual(updated);
  });

  scenario('after delete, the task is no longer found by its requestIds', async (h) => {
    const store = await h.store();
    const requestId = uniqueId('req');
    const created = await store.create(newTask({ items: [item(requestId)] }));
    await store.delete(created.taskId);
    expect(await store.loadByRequestId(requestId)).toBeNull();
  });

  scenario('when several tasks hold a requestId, the earliest created is found', async (h) => {
    const store = await h.store();
    const requestId = uniqueId('req');
    const [t1, t2, t3] = instants(3);
    // Created out of order, so insertion order cannot stand in for createdAt.
    await store.create(newTask({ taskId: uniqueId('a-late'), createdAt: t3!, items: [item(requestId)] }));
    const earliest = await store.create(
      newTask({ taskId: uniqueId('z-early'), createdAt: t1!, items: [item(requestId)] }),
    );
    await store.create(newTask({ taskId: uniqueId('m-middle'), createdAt: t2!, items: [item(requestId)] }));
    expect(await store.loadByRequestId(requestId)).toEqual(earliest);
  });

  scenario('with equal createdAt, the smallest taskId in code point order is found', async (h) => {
    const store = await h.store();
    const requestId = uniqueId('req');
    const createdAt = new Date(Date.UTC(2024, 5, 1));
    const prefix = uniqueId('tie');
    // Code point order: 'b' (U+0062) < U+FFFD < U+1F600. UTF-16 code unit order would put the
    // emoji (a surrogate pair, 0xD83D...) before U+FFFD: this pins code point order.
    const names = [`${prefix}-\u{1F600}`, `${prefix}-\uFFFD`, `${prefix}-b`];
    for (const taskId of names) await store.create(newTask({ taskId, createdAt, items: [item(requestId)] }));
    expect((await store.loadByRequestId(requestId))?.taskId).toBe(`${prefix}-b`);
    await store.delete(`${prefix}-b`);
    expect((await store.loadByRequestId(requestId))?.taskId).toBe(`${prefix}-\uFFFD`);
    await store.delete(`${prefix}-\uFFFD`);
    expect((await store.loadByRequestId(requestId))?.taskId).toBe(`${prefix}-\u{1F600}`);
  });

  scenario('when the earliest holder drops the requestId, the next earliest is found', async (h) => {
    const store = await h.store();
    const requestId = uniqueId('req');
    const [t1, t2] = instants(2);
    const first = await store.create(newTask({ createdAt: t1!, items: [item(requestId)] }));
    const second = await store.create(newTask({ createdAt: t2!, items: [item(requestId)] }));
    expect((await store.loadByRequestId(requestId))?.taskId).toBe(first.taskId);
    await store.update({ ...first, items: [] });
    expect(await store.loadByRequestId(requestId)).toEqual(second);
    await store.delete(second.taskId);
    expect(await store.loadByRequestId(requestId)).toBeNull();
  });

  scenario('loadByRequestId returns the current version after later writes', async (h) => {
    const store = await h.store();
    const requestId = uniqueId('req');
    const created = await store.create(newTask({ items: [item(requestId)] }));
    await store.patch(created.taskId, { status: 'running', data: { step: 1 } });
    const latest = await store.patch(created.taskId, { status: 'completed' });
    expect(await store.loadByRequestId(requestId)).toEqual(latest);
  });
}
