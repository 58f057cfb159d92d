/** list: order, limits, filters, cursors (also while tasks come and go), offset, bad cursors. */
import { randomBytes } from 'node:crypto';
import {
  type AgentTask,
  type ListQuery,
  TaskQueryError,
  type TaskStatus,
  type TaskStore,
} from '@taskvault/core';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { byCreatedThenId, ids, instants, newTask, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

const STATUSES: TaskStatus[] = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'];

/**
 * Creates `count` tasks with explicit createdAt (pairs share an instant, so taskId breaks ties),
 * varied statuses, two sessions and three users. Created in shuffled order.
 */
async function seed(store: TaskStore, count: number): Promise<AgentTask[]> {
  const times = instants(Math.ceil(count / 2), 1000);
  const sessions = [uniqueId('s'), uniqueId('s')];
  const users = [uniqueId('u'), uniqueId('u'), uniqueId('u')];
  const specs = Array.from({ length: count }, (_, i) => ({
    taskId: `${uniqueId('t')}-${String.fromCharCode(97 + (i % 26))}`,
    createdAt: times[Math.floor(i / 2)]!,
    status: STATUSES[i % STATUSES.length]!,
    sessionId: sessions[i % 2]!,
    userId: users[i % 3]!,
  }));
  const shuffled = specs.map((s, i) => ({ s, k: (i * 7919) % count })).sort((a, b) => a.k - b.k);
  const created: AgentTask[] = [];
  for (const { s } of shuffled) created.push(await store.create(newTask({ ...s, items: [] })));
  return created;
}

/** Every page of a cursor walk. */
async function walk(store: TaskStore, query: ListQuery): Promise<AgentTask[][]> {
  const pages: AgentTask[][] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await store.list(cursor === undefined ? query : { ...query, cursor });
    pages.push(page.tasks);
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
  throw new Error('cursor walk did not end');
}

const desc = (tasks: AgentTask[]) => [...tasks].sort(byCreatedThenId).reverse();
const asc = (tasks: AgentTask[]) => [...tasks].sort(byCreatedThenId);

export function listingCases(scenario: Scenario): void {
  scenario(
    'list returns newest first by default: createdAt descending, then taskId descending',
    async (h) => {
      const store = await h.store();
      const tasks = await seed(store, 12);
      const page = await store.list();
      expect(ids(page.tasks)).toEqual(ids(desc(tasks)));
      expect(page.nextCursor).toBeNull();
    },
  );

  scenario(
    "list with order 'asc' returns oldest first: createdAt ascending, then taskId ascending",
    async (h) => {
      const store = await h.store();
      const tasks = await seed(store, 12);
      expect(ids((await store.list({ order: 'asc' })).tasks)).toEqual(ids(asc(tasks)));
    },
  );

  scenario('listed tasks are whole tasks, equal to what load returns', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 4);
    for (const listed of (await store.list()).tasks) {
      expect(listed).toEqual(await store.load(listed.taskId));
      expect(listed).toEqual(tasks.find((t) => t.taskId === listed.taskId));
    }
  });

  scenario('list of an empty namespace is an empty page with nextCursor null', async (h) => {
    const store = await h.store();
    expect(await store.list()).toEqual({ tasks: [], nextCursor: null });
  });

  scenario('list returns 50 tasks by default, with a cursor to the rest', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 55);
    const first = await store.list();
    expect(first.tasks).toHaveLength(50);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await store.list({ cursor: first.nextCursor! });
    expect(ids([...first.tasks, ...second.tasks])).toEqual(ids(desc(tasks)));
    expect(second.nextCursor).toBeNull();
  });

  scenario('list accepts limit 1 and 1000', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 3);
    const one = await store.list({ limit: 1 });
    expect(ids(one.tasks)).toEqual(ids(desc(tasks).slice(0, 1)));
    expect(one.nextCursor).not.toBeNull();
    expect((await store.list({ limit: 1000 })).tasks).toHaveLength(3);
  });

  for (const limit of [0, 1001, 1.5, -1, Number.NaN]) {
    scenario(
      `list with limit ${limit} rejects with TaskQueryError INVALID_INPUT at query.limit`,
      async (h) => {
        const store = await h.store();
        await seed(store, 2);
        await expectTaskError(store.list({ limit }), {
          type: TaskQueryError,
          code: 'INVALID_INPUT',
          path: 'query.limit',
        });
      },
    );
  }

  scenario('the last page has nextCursor null, also when the tasks fill it exactly', async (h) => {
    const store = await h.store();
    await seed(store, 6);
    const first = await store.list({ limit: 3 });
    expect(first.nextCursor).not.toBeNull();
    const second = await store.list({ limit: 3, cursor: first.nextCursor! });
    expect(second.tasks).toHaveLength(3);
    expect(second.nextCursor).toBeNull();
  });

  scenario('list with one status returns exactly the tasks with that status', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 18);
    for (const status of STATUSES) {
      const expected = desc(tasks.filter((t) => t.status === status));
      expect(ids((await store.list({ status })).tasks)).toEqual(ids(expected));
    }
  });

  scenario('list with an array of statuses returns the tasks with any of them, in order', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 18);
    const wanted: TaskStatus[] = ['running', 'failed', 'cancelled'];
    const expected = desc(tasks.filter((t) => wanted.includes(t.status)));
    expect(ids((await store.list({ status: wanted })).tasks)).toEqual(ids(expected));
    expect(ids((await store.list({ status: wanted, order: 'asc' })).tasks)).toEqual(ids(asc(expected)));
  });

  scenario('list filters by sessionId and by userId', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 12);
    const sessionId = tasks[0]!.sessionId!;
    const userId = tasks[0]!.userId!;
    expect(ids((await store.list({ sessionId })).tasks)).toEqual(
      ids(desc(tasks.filter((t) => t.sessionId === sessionId))),
    );
    expect(ids((await store.list({ userId })).tasks)).toEqual(
      ids(desc(tasks.filter((t) => t.userId === userId))),
    );
    expect((await store.list({ sessionId: uniqueId('nobody') })).tasks).toEqual([]);
  });

  scenario('list filters by createdAfter and createdBefore, both exclusive', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 12);
    const times = [...new Set(tasks.map((t) => t.createdAt.getTime()))].sort((a, b) => a - b);
    const after = new Date(times[1]!);
    const before = new Date(times[4]!);
    const expected = desc(tasks.filter((t) => t.createdAt > after && t.createdAt < before));
    expect(expected.length).toBeGreaterThan(0);
    expect(ids((await store.list({ createdAfter: after, createdBefore: before })).tasks)).toEqual(
      ids(expected),
    );
    expect(ids((await store.list({ createdAfter: after })).tasks)).toEqual(
      ids(desc(tasks.filter((t) => t.createdAt > after))),
    );
    expect(ids((await store.list({ createdBefore: before })).tasks)).toEqual(
      ids(desc(tasks.filter((t) => t.createdAt < before))),
    );
  });

  scenario('list combines filters: every given field must match', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 24);
    const sessionId = tasks[0]!.sessionId!;
    const statuses: TaskStatus[] = ['pending', 'completed', 'paused'];
    const after = new Date(Math.min(...tasks.map((t) => t.createdAt.getTime())));
    const expected = desc(
      tasks.filter((t) => t.sessionId === sessionId && statuses.includes(t.status) && t.createdAt > after),
    );
    expect(ids((await store.list({ sessionId, status: statuses, createdAfter: after })).tasks)).toEqual(
      ids(expected),
    );
  });

  scenario('a cursor walk returns every task exactly once, in order, in both orders', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 23);
    for (const order of ['desc', 'asc'] as const) {
      const pages = await walk(store, { limit: 5, order });
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
      expect(ids(pages.flat())).toEqual(ids(order === 'desc' ? desc(tasks) : asc(tasks)));
    }
  });

  scenario('a cursor walk with a filter pages through the matching tasks only', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 30);
    const wanted: TaskStatus[] = ['pending', 'failed'];
    const sessionId = tasks[0]!.sessionId!;
    const pages = await walk(store, { limit: 2, status: wanted, sessionId });
    const expected = desc(tasks.filter((t) => wanted.includes(t.status) && t.sessionId === sessionId));
    expect(ids(pages.flat())).toEqual(ids(expected));
  });

  scenario(
    'a cursor walk while tasks are created and deleted returns no task twice and every survivor once',
    async (h) => {
      const store = await h.store();
      const initial = await seed(store, 30);
      for (const order of ['desc', 'asc'] as const) {
        const alive = new Map(initial.map((t) => [t.taskId, t]));
        const deletedMidWalk = new Set<string>();
        const seen: string[] = [];
        let cursor: string | undefined;
        let round = 0;
        for (;;) {
          const page = await store.list({ limit: 4, order, ...(cursor === undefined ? {} : { cursor }) });
          seen.push(...ids(page.tasks));
          for (const t of page.tasks)
            expect(deletedMidWalk.has(t.taskId), `${t.taskId} was deleted before`).toBe(false);
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
          round++;
          // Delete one task not yet seen and one already seen; create one anywhere in the range.
          const unseen = [...alive.keys()].filter((id) => !seen.includes(id));
          const victim = unseen[(round * 5) % Math.max(1, unseen.length)];
          if (victim !== undefined && unseen.length > 2) {
            await store.delete(victim);
            alive.delete(victim);
            deletedMidWalk.add(victim);
          }
          const seenVictim = seen.find((id) => alive.has(id));
          if (seenVictim !== undefined) {
            await store.delete(seenVictim);
            alive.delete(seenVictim);
          }
          const when = initial[(round * 11) % initial.length]!.createdAt;
          await store.create(newTask({ taskId: uniqueId('mid-walk'), createdAt: when, items: [] }));
        }
        expect(new Set(seen).size, 'a task came back twice').toBe(seen.length);
        const survivors = initial.filter((t) => !deletedMidWalk.has(t.taskId)).map((t) => t.taskId);
        for (const id of survivors)
          expect(
            seen.filter((s) => s === id),
            `survivor ${id}`,
          ).toHaveLength(1);
        // Restore the initial set for the other order.
        await store.clear();
        for (const t of initial) {
          await store.create(
            newTask({
              taskId: t.taskId,
              createdAt: t.createdAt,
              status: t.status,
              sessionId: t.sessionId,
              userId: t.userId,
              items: [],
            }),
          );
        }
      }
    },
  );

  scenario('offset skips that many tasks of the ordered result', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 10);
    expect(ids((await store.list({ offset: 2, limit: 3 })).tasks)).toEqual(ids(desc(tasks).slice(2, 5)));
    expect(ids((await store.list({ offset: 3, order: 'asc' })).tasks)).toEqual(ids(asc(tasks).slice(3)));
    const wanted: TaskStatus[] = ['pending', 'running'];
    expect(ids((await store.list({ offset: 1, status: wanted })).tasks)).toEqual(
      ids(desc(tasks.filter((t) => wanted.includes(t.status))).slice(1)),
    );
    const past = await store.list({ offset: 10 });
    expect(past).toEqual({ tasks: [], nextCursor: null });
  });

  scenario('offset with a limit gives a cursor that continues after the page', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 10);
    const page = await store.list({ offset: 2, limit: 3 });
    expect(page.nextCursor).not.toBeNull();
    const rest = await store.list({ cursor: page.nextCursor!, limit: 100 });
    expect(ids(rest.tasks)).toEqual(ids(desc(tasks).slice(5)));
  });

  const malformed: [string, () => string][] = [
    ['an empty string', () => ''],
    ["'garbage'", () => 'garbage'],
    ['punctuation', () => '!!!!$$$$'],
    ['random base64', () => randomBytes(24).toString('base64')],
    ['random base64url', () => randomBytes(33).toString('base64url')],
    ['base64url of a JSON object', () => Buffer.from('{"createdAt":1,"taskId":"x"}').toString('base64url')],
    [
      'base64url of a JSON array of the wrong shape',
      () => Buffer.from('[1,0,"x","y","z"]').toString('base64url'),
    ],
    ['a 5000-character string', () => 'A'.repeat(5000)],
  ];
  for (const [what, make] of malformed) {
    scenario(`a cursor that is ${what} rejects with INVALID_INPUT at query.cursor`, async (h) => {
      const store = await h.store();
      await seed(store, 3);
      await expectTaskError(store.list({ cursor: make() }), {
        type: TaskQueryError,
        code: 'INVALID_INPUT',
        path: 'query.cursor',
      });
    });
  }

  scenario('a truncated cursor rejects with INVALID_INPUT at query.cursor', async (h) => {
    const store = await h.store();
    await seed(store, 3);
    const { nextCursor } = await store.list({ limit: 1 });
    await expectTaskError(store.list({ limit: 1, cursor: nextCursor!.slice(0, -6) }), {
      type: TaskQueryError,
      code: 'INVALID_INPUT',
      path: 'query.cursor',
    });
  });

  scenario('a cursor made for another filter rejects with INVALID_INPUT at query.cursor', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 12);
    const { nextCursor } = await store.list({ status: 'pending', limit: 1 });
    expect(nextCursor).not.toBeNull();
    await expectTaskError(store.list({ cursor: nextCursor! }), {
      type: TaskQueryError,
      code: 'INVALID_INPUT',
      path: 'query.cursor',
    });
    await expectTaskError(store.list({ status: 'running', cursor: nextCursor! }), {
      type: TaskQueryError,
      code: 'INVALID_INPUT',
      path: 'query.cursor',
    });
    await expectTaskError(
      store.list({ status: 'pending', sessionId: tasks[0]!.sessionId!, cursor: nextCursor! }),
      {
        type: TaskQueryError,
        code: 'INVALID_INPUT',
        path: 'query.cursor',
      },
    );
  });

  scenario('a cursor made for the other order rejects with INVALID_INPUT at query.cursor', async (h) => {
    const store = await h.store();
    await seed(store, 4);
    const { nextCursor } = await store.list({ limit: 1, order: 'asc' });
    await expectTaskError(store.list({ cursor: nextCursor!, order: 'desc' }), {
      type: TaskQueryError,
      code: 'INVALID_INPUT',
      path: 'query.cursor',
    });
  });

  scenario('a cursor stays valid after the task it points at is deleted', async (h) => {
    const store = await h.store();
    const tasks = await seed(store, 6);
    const first = await store.list({ limit: 2 });
    await store.delete(first.tasks[1]!.taskId);
    const rest = await store.list({ cursor: first.nextCursor!, limit: 10 });
    expect(ids(rest.tasks)).toEqual(ids(desc(tasks).slice(2)));
  });
}
