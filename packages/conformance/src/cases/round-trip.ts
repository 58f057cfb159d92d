/**
 * The round-trip rule: whatever a store accepts it returns deep-equal (Dates as Dates, numbers
 * exact, key order irrelevant, unicode and awkward ids intact), from create, load, list and
 * loadByRequestId alike. Property-based with fast-check, plus fixed edge cases.
 */
import type { AgentTask, JsonObject, NewTask } from '@taskvault/core';
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  AWKWARD_IDS,
  date,
  idString,
  jsonNumber,
  jsonObject,
  jsonValue,
  status,
  taskItem,
} from '../arbitraries.js';
import { item, newTask, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

const newTaskArbitrary = fc.record({
  taskId: idString,
  status,
  sessionId: fc.option(idString),
  userId: fc.option(idString),
  items: fc.array(taskItem, { maxLength: 4 }),
  data: jsonObject,
  createdAt: date,
});

/** What the store must hold after creating `input` (it has every field but the store's own). */
function expectedAfterCreate(
  input: Required<Omit<NewTask, 'ttlMs' | 'expiresAt'>>,
  created: AgentTask,
): AgentTask {
  return { ...input, updatedAt: created.updatedAt, expiresAt: null, version: 1 } as AgentTask;
}

function display(id: string): string {
  const points = [...id];
  if (points.length > 24)
    return `${JSON.stringify(points.slice(0, 6).join(''))}… (${Buffer.byteLength(id)} bytes)`;
  return JSON.stringify(id);
}

export function roundTripCases(scenario: Scenario): void {
  scenario(
    'any accepted task comes back deep-equal from create, load, list and loadByRequestId (property)',
    async (h) => {
      const store = await h.store();
      await fc.assert(
        fc.asyncProperty(newTaskArbitrary, async (input) => {
          const created = await store.create(input);
          try {
            const expected = expectedAfterCreate(input, created);
            expect(created).toEqual(expected);
            expect(await store.load(input.taskId)).toEqual(expected);
            expect((await store.list({ limit: 1000 })).tasks).toEqual([expected]);
            for (const { requestId } of input.items)
              expect(await store.loadByRequestId(requestId)).toEqual(expected);
            if (input.sessionId !== null)
              expect((await store.list({ sessionId: input.sessionId })).tasks).toEqual([expected]);
          } finally {
            await store.delete(input.taskId);
          }
        }),
        { numRuns: h.numRuns },
      );
    },
  );

  scenario('any accepted update and patch come back deep-equal (property)', async (h) => {
    const store = await h.store();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          data: jsonObject,
          items: fc.array(taskItem, { maxLength: 3 }),
          status,
          sessionId: fc.option(idString),
          userId: fc.option(idString),
        }),
        jsonObject,
        fc.array(taskItem, { maxLength: 3 }),
        async (replacement, patchData, appendItems) => {
          const created = await store.create(newTask({ taskId: uniqueId('rt') }));
          try {
            const updated = await store.update({ ...created, ...replacement });
            const afterUpdate = { ...created, ...replacement, updatedAt: updated.updatedAt, version: 2 };
            expect(updated).toEqual(afterUpdate);
            expect(await store.load(created.taskId)).toEqual(afterUpdate);
            const patched = await store.patch(created.taskId, { data: patchData, appendItems });
            const afterPatch = {
              ...afterUpdate,
              data: { ...replacement.data, ...patchData },
              items: [...replacement.items, ...appendItems],
              updatedAt: patched.updatedAt,
              version: 3,
            };
            expect(patched).toEqual(afterPatch);
            expect(await store.load(created.taskId)).toEqual(afterPatch);
            expect((await store.list()).tasks).toEqual([afterPatch]);
          } finally {
            await store.delete(created.taskId);
          }
        },
      ),
      { numRuns: h.numRuns },
    );
  });

  scenario('any JSON value comes back deep-equal as item content (property)', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ items: [] }));
    await fc.assert(
      fc.asyncProperty(jsonValue, async (content) => {
        const appended = item(uniqueId('req'), content, 'tool');
        const patched = await store.patch(created.taskId, { appendItems: [appended] });
        expect(patched.items.at(-1)).toEqual(appended);
        expect((await store.loadByRequestId(appended.requestId))?.items.at(-1)).toEqual(appended);
      }),
      { numRuns: h.numRuns },
    );
  });

  for (const id of AWKWARD_IDS) {
    scenario(`the id ${display(id)} round-trips as taskId, sessionId, userId and requestId`, async (h) => {
      const store = await h.store();
      const created = await store.create({
        taskId: id,
        sessionId: id,
        userId: id,
        items: [item(id, id)],
        data: { [id]: id },
      });
      expect(created).toMatchObject({ taskId: id, sessionId: id, userId: id, data: { [id]: id } });
      expect(created.items[0]?.requestId).toBe(id);
      expect(await store.load(id)).toEqual(created);
      expect(await store.loadByRequestId(id)).toEqual(created);
      expect((await store.list({ sessionId: id })).tasks).toEqual([created]);
      expect((await store.list({ userId: id })).tasks).toEqual([created]);
      expect(await store.count({ sessionId: id, userId: id })).toBe(1);
      const patched = await store.patch(id, { data: { again: id } }, { expectedVersion: 1 });
      expect(await store.load(id)).toEqual(patched);
      const updated = await store.update({ ...patched, status: 'completed' });
      expect(await store.loadByRequestId(id)).toEqual(updated);
      const other = await store.create({
        taskId: `${uniqueId('other')}`,
        sessionId: `${[...id].slice(0, 50).join('')}-not`,
      });
      expect((await store.list({ sessionId: id })).tasks).toEqual([updated]);
      await store.delete(id);
      expect(await store.load(id)).toBeNull();
      expect(await store.loadByRequestId(id)).toBeNull();
      expect((await store.list()).tasks).toEqual([other]);
    });
  }

  scenario('numbers come back exact: integers, fractions, extremes, 2^53 + 2', async (h) => {
    const store = await h.store();
    const numbers = fc.sample(jsonNumber, { numRuns: 200, seed: 42 });
    const fixed = [0, 1, -1, 0.1, 0.1 + 0.2, 1 / 3, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, -Number.MAX_VALUE];
    const more = [
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
      2 ** 53 + 2,
      -(2 ** 60),
      123456789.12345679,
    ];
    const data: JsonObject = { numbers: [...fixed, ...more, ...numbers], nested: { n: 2.5e-300 } };
    const created = await store.create(newTask({ data }));
    expect(created.data).toEqual(data);
    const loaded = await store.load(created.taskId);
    expect(loaded?.data).toEqual(data);
    for (const [i, n] of (data.numbers as number[]).entries())
      expect(Object.is((loaded!.data.numbers as number[])[i], n)).toBe(true);
  });

  scenario('-0 in data is stored as 0, as JSON has no negative zero', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ data: { z: -0, list: [-0] } }));
    expect(Object.is(created.data.z, 0)).toBe(true);
    const loaded = await store.load(created.taskId);
    expect(Object.is(loaded?.data.z, 0)).toBe(true);
    expect(Object.is((loaded!.data.list as number[])[0], 0)).toBe(true);
  });

  scenario('undefined object properties are dropped, as JSON drops them', async (h) => {
    const store = await h.store();
    const created = await store.create(newTask({ data: { kept: 1, dropped: undefined } as never }));
    const loaded = await store.load(created.taskId);
    expect(Object.keys(loaded?.data ?? {})).toEqual(['kept']);
  });

  scenario('dates come back to the millisecond, as Date objects, from 1950 to year 9999', async (h) => {
    const store = await h.store();
    const instants = [
      new Date(0),
      new Date(Date.UTC(1950, 0, 1, 0, 0, 0, 1)),
      new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)),
      new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 999)),
      new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)),
    ];
    for (const createdAt of instants) {
      const created = await store.create(
        newTask({ createdAt, items: [item(uniqueId('req'), 'x', 'user', createdAt)] }),
      );
      const loaded = await store.load(created.taskId);
      expect(loaded?.createdAt).toBeInstanceOf(Date);
      expect(loaded?.createdAt.getTime()).toBe(createdAt.getTime());
      expect(loaded?.items[0]?.createdAt).toBeInstanceOf(Date);
      expect(loaded?.items[0]?.createdAt.getTime()).toBe(createdAt.getTime());
      expect(loaded?.updatedAt).toBeInstanceOf(Date);
    }
    const expiresAt = new Date(Date.UTC(9999, 0, 1, 0, 0, 0, 7));
    const expiring = await store.create(newTask({ expiresAt }));
    expect((await store.load(expiring.taskId))?.expiresAt).toEqual(expiresAt);
  });

  scenario('object keys that are special in JavaScript come back as plain own keys', async (h) => {
    const store = await h.store();
    const data = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"name":"x"},"toString":1,"":"empty key"}',
    );
    const created = await store.create(newTask({ data }));
    const loaded = await store.load(created.taskId);
    expect(loaded?.data).toEqual(data);
    expect(Object.hasOwn(loaded?.data ?? {}, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(loaded?.data)).toBe(Object.prototype);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.keys(loaded?.data ?? {}).sort()).toEqual(['', '__proto__', 'constructor', 'toString']);
  });
}
