/**
 * The rejection table: input no store could return deep-equal is INVALID_INPUT, with the error
 * class of the operation and the exact path of the offending value, and changes nothing.
 */
import {
  type AgentTask,
  TaskCreateError,
  TaskDeleteError,
  TaskLoadError,
  TaskQueryError,
  type TaskStore,
  TaskUpdateError,
} from '@taskvault/core';
import { idProblem } from '@taskvault/core/adapter';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { item, newTask, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

/** A value no backend can return deep-equal, and where the error points inside it. */
interface BadValue {
  what: string;
  make: () => unknown;
  /** Appended to the path where the value was put; a function of that place's nesting depth. */
  suffix: string | ((depth: number) => string);
}

/** The suffix of `bad` for a value placed at nesting `depth` (data.stats.total is at 2). */
function suffixOf(bad: BadValue, depth: number): string {
  return typeof bad.suffix === 'string' ? bad.suffix : bad.suffix(depth);
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

function deep(levels: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = { d: v };
  return v;
}

const BAD_VALUES: BadValue[] = [
  { what: 'a BigInt', make: () => 10n, suffix: '' },
  { what: 'NaN', make: () => Number.NaN, suffix: '' },
  { what: 'Infinity', make: () => Number.POSITIVE_INFINITY, suffix: '' },
  { what: '-Infinity', make: () => Number.NEGATIVE_INFINITY, suffix: '' },
  { what: 'a function', make: () => () => 1, suffix: '' },
  { what: 'a symbol', make: () => Symbol('s'), suffix: '' },
  { what: 'undefined inside an array', make: () => [1, undefined, 3], suffix: '[1]' },
  // biome-ignore lint/suspicious/noSparseArray: the hole is the point
  { what: 'a hole in a sparse array', make: () => [1, , 3], suffix: '[1]' },
  { what: 'a class instance', make: () => new Point(1, 2), suffix: '' },
  { what: 'a Date', make: () => new Date(0), suffix: '' },
  { what: 'a Map', make: () => new Map([['a', 1]]), suffix: '' },
  { what: 'a Set', make: () => new Set([1]), suffix: '' },
  { what: 'a Uint8Array', make: () => new Uint8Array([1, 2]), suffix: '' },
  { what: 'a boxed string', make: () => Object('text'), suffix: '' },
  {
    what: 'a cycle',
    make: () => {
      const o: Record<string, unknown> = { ok: 1 };
      o.self = o;
      return o;
    },
    suffix: '.self',
  },
  {
    what: 'a cycle through an array',
    make: () => {
      const a: unknown[] = [1];
      a.push({ back: a });
      return a;
    },
    suffix: '[1].back',
  },
  { what: 'an object with a symbol key', make: () => ({ [Symbol('k')]: 1, ok: 2 }), suffix: '' },
  { what: 'a string holding U+0000', make: () => 'a\u0000b', suffix: '' },
  { what: 'a string holding a lone high surrogate', make: () => 'a\uD800b', suffix: '' },
  { what: 'a string holding a lone low surrogate', make: () => '\uDC00', suffix: '' },
  { what: 'a key holding U+0000', make: () => ({ 'bad\u0000key': 1 }), suffix: '["bad\\u0000key"]' },
  // Core stops at 100 levels below data (or below an item's content): the 100th object is named.
  {
    what: 'nesting deeper than 100 levels',
    make: () => deep(150),
    suffix: (depth) => '.d'.repeat(100 - depth),
  },
];

/** A field of the task, and where the error points for it in create/update vs patch. */
interface BadField {
  what: string;
  /** A NewTask (for create) or task fields (for update) holding the bad value. */
  task: (base: AgentTask) => Record<string, unknown>;
  /** The same change as a patch, when a patch can carry it. */
  patch?: () => Record<string, unknown>;
  path: string;
  patchPath?: string;
}

const BAD_FIELDS: BadField[] = [
  { what: 'an empty taskId', task: () => ({ taskId: '' }), path: 'taskId' },
  { what: 'a taskId of 513 UTF-8 bytes', task: () => ({ taskId: `${'é'.repeat(256)}x` }), path: 'taskId' },
  { what: 'a taskId with a newline', task: () => ({ taskId: 'a\nb' }), path: 'taskId' },
  { what: 'a taskId with a control character', task: () => ({ taskId: 'a\u0007b' }), path: 'taskId' },
  { what: 'a taskId with DEL', task: () => ({ taskId: 'a\u007fb' }), path: 'taskId' },
  { what: 'a taskId with a C1 control character', task: () => ({ taskId: 'a\u0085b' }), path: 'taskId' },
  { what: 'a taskId with a lone surrogate', task: () => ({ taskId: 'a\uD83Db' }), path: 'taskId' },
  { what: 'a taskId that is not a string', task: () => ({ taskId: 42 }), path: 'taskId' },
  {
    what: 'an unknown status',
    task: () => ({ status: 'done' }),
    patch: () => ({ status: 'done' }),
    path: 'status',
    patchPath: 'patch.status',
  },
  {
    what: 'an empty sessionId',
    task: () => ({ sessionId: '' }),
    patch: () => ({ sessionId: '' }),
    path: 'sessionId',
    patchPath: 'patch.sessionId',
  },
  {
    what: 'a userId with a control character',
    task: () => ({ userId: 'u\u0001' }),
    patch: () => ({ userId: 'u\u0001' }),
    path: 'userId',
    patchPath: 'patch.userId',
  },
  {
    what: 'data that is an array',
    task: () => ({ data: [1, 2] }),
    patch: () => ({ data: [1, 2] }),
    path: 'data',
    patchPath: 'patch.data',
  },
  {
    what: 'data that is a class instance',
    task: () => ({ data: new Point(1, 2) }),
    patch: () => ({ data: new Point(1, 2) }),
    path: 'data',
    patchPath: 'patch.data',
  },
  {
    what: 'an item with an empty requestId',
    task: () => ({ items: [item('')] }),
    patch: () => ({ appendItems: [item('')] }),
    path: 'items[0].requestId',
    patchPath: 'patch.appendItems[0].requestId',
  },
  {
    what: 'an item with an unknown role',
    task: () => ({ items: [{ ...item('r'), role: 'robot' }] }),
    patch: () => ({ appendItems: [{ ...item('r'), role: 'robot' }] }),
    path: 'items[0].role',
    patchPath: 'patch.appendItems[0].role',
  },
  {
    what: 'an item whose createdAt is a string',
    task: () => ({ items: [item('ok'), { ...item('r'), createdAt: '2024-01-01' }] }),
    patch: () => ({ appendItems: [item('ok'), { ...item('r'), createdAt: '2024-01-01' }] }),
    path: 'items[1].createdAt',
    patchPath: 'patch.appendItems[1].createdAt',
  },
  {
    what: 'an item with an invalid Date',
    task: () => ({ items: [{ ...item('r'), createdAt: new Date(Number.NaN) }] }),
    patch: () => ({ appendItems: [{ ...item('r'), createdAt: new Date(Number.NaN) }] }),
    path: 'items[0].createdAt',
    patchPath: 'patch.appendItems[0].createdAt',
  },
  {
    what: 'items that is not an array',
    task: () => ({ items: { 0: item('r') } }),
    patch: () => ({ appendItems: { 0: item('r') } }),
    path: 'items',
    patchPath: 'patch.appendItems',
  },
  {
    what: 'an expiresAt in the past',
    task: () => ({ expiresAt: new Date(Date.now() - 1000) }),
    patch: () => ({ expiresAt: new Date(Date.now() - 1000) }),
    path: 'expiresAt',
    patchPath: 'patch.expiresAt',
  },
  {
    what: 'an expiresAt that is a number',
    task: () => ({ expiresAt: Date.now() + 60_000 }),
    patch: () => ({ expiresAt: Date.now() + 60_000 }),
    path: 'expiresAt',
    patchPath: 'patch.expiresAt',
  },
  {
    what: 'an unknown field',
    task: () => ({ colour: 'blue' }),
    patch: () => ({ colour: 'blue' }),
    path: 'colour',
    patchPath: 'patch.colour',
  },
];

/** Asserts the store holds exactly `expected` (or nothing new, for a rejected create). */
async function expectUnchanged(
  store: TaskStore,
  expected: AgentTask | null,
  taskId: unknown,
  countBefore: number,
) {
  // An id that is not valid (empty, too long, control characters) cannot have been stored.
  if (idProblem(taskId) === null) expect(await store.load(taskId as string)).toEqual(expected);
  expect(await store.count()).toBe(countBefore);
}

/** A path short enough for a test name. */
function label(path: string): string {
  return path.length <= 60 ? path : `${path.slice(0, 30)}…${path.slice(-12)}`;
}

export function rejectionCases(scenario: Scenario): void {
  for (const bad of BAD_VALUES) {
    const dataPath = `data.stats.total${suffixOf(bad, 2)}`;
    const contentPath = `content.parts${suffixOf(bad, 1)}`;

    scenario(
      `create rejects ${bad.what} in data with INVALID_INPUT at ${label(dataPath)} and stores nothing`,
      async (h) => {
        const store = await h.store();
        const input = newTask({ data: { stats: { total: bad.make() } } as never });
        const error = await expectTaskError(store.create(input), {
          type: TaskCreateError,
          code: 'INVALID_INPUT',
          path: dataPath,
        });
        expect(error.operation).toBe('create');
        await expectUnchanged(store, null, input.taskId, 0);
      },
    );

    scenario(
      `update rejects ${bad.what} in data with INVALID_INPUT at ${label(dataPath)} and changes nothing`,
      async (h) => {
        const store = await h.store();
        const stored = await store.create(newTask());
        await expectTaskError(store.update({ ...stored, data: { stats: { total: bad.make() } } as never }), {
          type: TaskUpdateError,
          code: 'INVALID_INPUT',
          path: dataPath,
        });
        await expectUnchanged(store, stored, stored.taskId, 1);
      },
    );

    scenario(
      `patch rejects ${bad.what} in data with INVALID_INPUT at patch.${label(dataPath)} and changes nothing`,
      async (h) => {
        const store = await h.store();
        const stored = await store.create(newTask());
        await expectTaskError(
          store.patch(stored.taskId, { data: { stats: { total: bad.make() } } as never }),
          {
            type: TaskUpdateError,
            code: 'INVALID_INPUT',
            path: `patch.${dataPath}`,
          },
        );
        await expectUnchanged(store, stored, stored.taskId, 1);
      },
    );

    scenario(`create, update and patch reject ${bad.what} in item content at its path`, async (h) => {
      const store = await h.store();
      const badItem = () => item(uniqueId('req'), { parts: bad.make() } as never);
      const input = newTask({ items: [item('fine'), badItem()] });
      await expectTaskError(store.create(input), {
        type: TaskCreateError,
        code: 'INVALID_INPUT',
        path: `items[1].${contentPath}`,
      });
      await expectUnchanged(store, null, input.taskId, 0);
      const stored = await store.create(newTask());
      await expectTaskError(store.update({ ...stored, items: [badItem()] }), {
        type: TaskUpdateError,
        code: 'INVALID_INPUT',
        path: `items[0].${contentPath}`,
      });
      await expectTaskError(store.patch(stored.taskId, { appendItems: [item('fine'), badItem()] }), {
        type: TaskUpdateError,
        code: 'INVALID_INPUT',
        path: `patch.appendItems[1].${contentPath}`,
      });
      await expectUnchanged(store, stored, stored.taskId, 1);
    });
  }

  for (const bad of BAD_FIELDS) {
    scenario(`create rejects ${bad.what} with INVALID_INPUT at ${bad.path} and stores nothing`, async (h) => {
      const store = await h.store();
      const input = { ...newTask(), ...bad.task(undefined as never) };
      await expectTaskError(store.create(input as never), {
        type: TaskCreateError,
        code: 'INVALID_INPUT',
        path: bad.path,
      });
      await expectUnchanged(store, null, input.taskId, 0);
    });

    if (!bad.path.startsWith('taskId')) {
      scenario(
        `update rejects ${bad.what} with INVALID_INPUT at ${bad.path} and changes nothing`,
        async (h) => {
          const store = await h.store();
          const stored = await store.create(newTask());
          await expectTaskError(store.update({ ...stored, ...bad.task(stored) } as never), {
            type: TaskUpdateError,
            code: 'INVALID_INPUT',
            path: bad.path,
          });
          await expectUnchanged(store, stored, stored.taskId, 1);
        },
      );
    }

    if (bad.patch !== undefined) {
      const patch = bad.patch;
      scenario(
        `patch rejects ${bad.what} with INVALID_INPUT at ${bad.patchPath} and changes nothing`,
        async (h) => {
          const store = await h.store();
          const stored = await store.create(newTask());
          await expectTaskError(store.patch(stored.taskId, patch() as never), {
            type: TaskUpdateError,
            code: 'INVALID_INPUT',
            path: bad.patchPath!,
          });
          await expectUnchanged(store, stored, stored.taskId, 1);
        },
      );
    }
  }

  scenario('update and patch reject a bad taskId with INVALID_INPUT at taskId', async (h) => {
    const store = await h.store();
    const stored = await store.create(newTask());
    for (const taskId of ['', 'x'.repeat(513), 'a\tb']) {
      await expectTaskError(store.update({ ...stored, taskId }), {
        type: TaskUpdateError,
        code: 'INVALID_INPUT',
        path: 'taskId',
      });
      await expectTaskError(store.patch(taskId, {}), {
        type: TaskUpdateError,
        code: 'INVALID_INPUT',
        path: 'taskId',
      });
    }
    await expectUnchanged(store, stored, stored.taskId, 1);
  });

  scenario('an id of exactly 512 UTF-8 bytes is accepted; 513 is not', async (h) => {
    const store = await h.store();
    for (const taskId of [
      'a'.repeat(512),
      'é'.repeat(256),
      '\u{1F600}'.repeat(128),
      `${'€'.repeat(170)}ab`,
    ]) {
      const created = await store.create(newTask({ taskId }));
      expect(await store.load(taskId)).toEqual(created);
    }
    for (const taskId of ['a'.repeat(513), `${'é'.repeat(256)}a`, `${'\u{1F600}'.repeat(128)}a`]) {
      await expectTaskError(store.create(newTask({ taskId })), {
        type: TaskCreateError,
        code: 'INVALID_INPUT',
        path: 'taskId',
      });
    }
    expect(await store.count()).toBe(4);
  });

  scenario(
    'create rejects both ttlMs and expiresAt, and a ttlMs that is not positive, at ttlMs',
    async (h) => {
      const store = await h.store();
      const both = newTask({ ttlMs: 1000, expiresAt: new Date(Date.now() + 60_000) });
      await expectTaskError(store.create(both), {
        type: TaskCreateError,
        code: 'INVALID_INPUT',
        path: 'ttlMs',
      });
      for (const ttlMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expectTaskError(store.create(newTask({ ttlMs })), {
          type: TaskCreateError,
          code: 'INVALID_INPUT',
          path: 'ttlMs',
        });
      }
      expect(await store.count()).toBe(0);
    },
  );

  scenario(
    'update rejects a task without expiresAt or with a bad version, and changes nothing',
    async (h) => {
      const store = await h.store();
      const stored = await store.create(newTask());
      const { expiresAt: _omitted, ...withoutExpiry } = stored;
      await expectTaskError(store.update(withoutExpiry as never), {
        type: TaskUpdateError,
        code: 'INVALID_INPUT',
        path: 'expiresAt',
      });
      for (const version of [0, -1, 1.5, '1']) {
        await expectTaskError(store.update({ ...stored, version } as never), {
          type: TaskUpdateError,
          code: 'INVALID_INPUT',
          path: 'version',
        });
      }
      await expectUnchanged(store, stored, stored.taskId, 1);
    },
  );

  scenario('patch rejects a bad expectedVersion at expectedVersion and changes nothing', async (h) => {
    const store = await h.store();
    const stored = await store.create(newTask());
    for (const expectedVersion of [0, -1, 1.5, Number.NaN]) {
      await expectTaskError(store.patch(stored.taskId, { status: 'running' }, { expectedVersion }), {
        type: TaskUpdateError,
        code: 'INVALID_INPUT',
        path: 'expectedVersion',
      });
    }
    await expectUnchanged(store, stored, stored.taskId, 1);
  });

  scenario('a task over maxTaskBytes is rejected at task by create and update', async (h) => {
    const store = await h.store({ maxTaskBytes: 4096 });
    const big = 'x'.repeat(5000);
    const input = newTask({ data: { big } });
    await expectTaskError(store.create(input), {
      type: TaskCreateError,
      code: 'INVALID_INPUT',
      path: 'task',
    });
    await expectUnchanged(store, null, input.taskId, 0);
    const stored = await store.create(newTask({ data: { small: 'y' } }));
    await expectTaskError(store.update({ ...stored, data: { big } }), {
      type: TaskUpdateError,
      code: 'INVALID_INPUT',
      path: 'task',
    });
    await expectTaskError(store.update({ ...stored, items: [item('r', big)] }), {
      type: TaskUpdateError,
      code: 'INVALID_INPUT',
      path: 'task',
    });
    await expectUnchanged(store, stored, stored.taskId, 1);
  });

  scenario('a patch that is itself over maxTaskBytes is rejected at task', async (h) => {
    const store = await h.store({ maxTaskBytes: 4096 });
    const stored = await store.create(newTask());
    await expectTaskError(store.patch(stored.taskId, { data: { big: 'x'.repeat(5000) } }), {
      type: TaskUpdateError,
      code: 'INVALID_INPUT',
      path: 'task',
    });
    await expectUnchanged(store, stored, stored.taskId, 1);
  });

  scenario(
    'a patch whose result would exceed maxTaskBytes is rejected at task and changes nothing',
    async (h) => {
      const store = await h.store({ maxTaskBytes: 4096 });
      const stored = await store.create(newTask({ data: { a: 'x'.repeat(1500) } }));
      // Each part fits alone; together with the stored data they do not.
      await expectTaskError(
        store.patch(stored.taskId, { data: { b: 'y'.repeat(1500), c: 'z'.repeat(1200) } }),
        {
          type: TaskUpdateError,
          code: 'INVALID_INPUT',
          path: 'task',
        },
      );
      await expectUnchanged(store, stored, stored.taskId, 1);
      let current = stored;
      let rejected = false;
      for (let i = 0; i < 10 && !rejected; i++) {
        try {
          current = await store.patch(stored.taskId, {
            appendItems: [item(uniqueId('req'), 'w'.repeat(600))],
          });
        } catch (error) {
          rejected = true;
          expect(error).toBeInstanceOf(TaskUpdateError);
          expect((error as TaskUpdateError).code).toBe('INVALID_INPUT');
          expect((error as TaskUpdateError).path).toBe('task');
        }
      }
      expect(rejected, 'appending 6000 bytes to a 4096-byte store never hit the limit').toBe(true);
      await expectUnchanged(store, current, stored.taskId, 1);
      // Replacing a big value with a small one fits again.
      const shrunk = await store.patch(stored.taskId, { data: { a: 'small' } });
      expect(shrunk.data.a).toBe('small');
    },
  );

  scenario(
    'load, delete and loadByRequestId reject bad ids with INVALID_INPUT and their error class',
    async (h) => {
      const store = await h.store();
      await expectTaskError(store.load(''), { type: TaskLoadError, code: 'INVALID_INPUT', path: 'taskId' });
      await expectTaskError(store.load('a\u0000'), {
        type: TaskLoadError,
        code: 'INVALID_INPUT',
        path: 'taskId',
      });
      await expectTaskError(store.delete(''), {
        type: TaskDeleteError,
        code: 'INVALID_INPUT',
        path: 'taskId',
      });
      await expectTaskError(store.loadByRequestId(''), {
        type: TaskLoadError,
        code: 'INVALID_INPUT',
        path: 'requestId',
      });
      await expectTaskError(store.loadByRequestId('r'.repeat(513)), {
        type: TaskLoadError,
        code: 'INVALID_INPUT',
        path: 'requestId',
      });
    },
  );

  scenario('list and count reject bad filters with TaskQueryError INVALID_INPUT at the field', async (h) => {
    const store = await h.store();
    await store.create(newTask());
    const cases: [Record<string, unknown>, string][] = [
      [{ status: 'done' }, 'filter.status'],
      [{ status: [] }, 'filter.status'],
      [{ status: ['running', 'nope'] }, 'filter.status[1]'],
      [{ sessionId: '' }, 'filter.sessionId'],
      [{ userId: 'a\nb' }, 'filter.userId'],
      [{ createdAfter: 'yesterday' }, 'filter.createdAfter'],
      [{ createdBefore: new Date(Number.NaN) }, 'filter.createdBefore'],
      [{ colour: 'blue' }, 'filter.colour'],
    ];
    for (const [filter, path] of cases) {
      await expectTaskError(store.count(filter as never), {
        type: TaskQueryError,
        code: 'INVALID_INPUT',
        path,
      });
      // list's argument is a query: its paths say so, like query.limit and query.cursor.
      await expectTaskError(store.list(filter as never), {
        type: TaskQueryError,
        code: 'INVALID_INPUT',
        path: path.replace(/^filter\./, 'query.'),
      });
    }
    await expectTaskError(store.list({ offset: -1 }), {
      type: TaskQueryError,
      code: 'INVALID_INPUT',
      path: 'query.offset',
    });
    await expectTaskError(store.list({ order: 'sideways' as never }), {
      type: TaskQueryError,
      code: 'INVALID_INPUT',
      path: 'query.order',
    });
  });

  scenario(
    'cleanup rejects a bad olderThan or includeActive with TaskQueryError and removes nothing',
    async (h) => {
      const store = await h.store();
      await store.create(newTask({ status: 'completed' }));
      const cases: [Record<string, unknown>, string][] = [
        [{ olderThan: -1 }, 'options.olderThan'],
        [{ olderThan: Number.NaN }, 'options.olderThan'],
        [{ olderThan: '1h' }, 'options.olderThan'],
        [{}, 'options.olderThan'],
        [{ olderThan: new Date(Number.NaN) }, 'options.olderThan'],
        [{ olderThan: 0, includeActive: 'yes' }, 'options.includeActive'],
      ];
      for (const [options, path] of cases) {
        await expectTaskError(store.cleanup(options as never), {
          type: TaskQueryError,
          code: 'INVALID_INPUT',
          path,
        });
      }
      expect(await store.count()).toBe(1);
    },
  );
}
