import { describe, expect, it } from 'vitest';
import {
  CorruptRecord,
  compareIds,
  decodeCursor,
  encodeCursor,
  parseStoredTask,
  scrubSecrets,
  serializeTask,
  taskStoreError,
  validateFilter,
} from '../src/adapter.js';
import {
  fromLybicStatus,
  fromSkAgentsStatus,
  isTaskStoreError,
  parseDuration,
  TASK_STATUSES,
  TaskLoadError,
  TaskStoreError,
  TaskUpdateError,
  toLybicStatus,
  toSkAgentsStatus,
} from '../src/index.js';

describe('errors', () => {
  it('builds the subclass of the operation family', () => {
    const e = taskStoreError('patch', 'VERSION_CONFLICT', {
      taskId: 't',
      expectedVersion: 2,
      actualVersion: 3,
    });
    expect(e).toBeInstanceOf(TaskUpdateError);
    expect(e).toBeInstanceOf(TaskStoreError);
    expect(e).not.toBeInstanceOf(TaskLoadError);
    expect(e.name).toBe('TaskUpdateError');
    expect(e.message).toBe(
      'task "t" was changed by another writer: expected version 2, stored version is 3; load it again, reapply the change and retry',
    );
    expect(taskStoreError('loadByRequestId', 'BACKEND_ERROR')).toBeInstanceOf(TaskLoadError);
  });

  it('recognises errors from another copy of core (same brand, other class objects)', () => {
    const foreign = Object.create(
      Object.create(Error.prototype, { constructor: { value: { errorName: 'TaskUpdateError' } } }),
    );
    foreign[Symbol.for('taskvault.TaskStoreError')] = true;
    expect(foreign instanceof TaskStoreError).toBe(true);
    expect(foreign instanceof TaskUpdateError).toBe(true);
    expect(foreign instanceof TaskLoadError).toBe(false);
    expect(isTaskStoreError(new Error('x'))).toBe(false);
  });

  it('keeps the cause and scrubs secrets from messages', () => {
    const cause = new Error('ECONNREFUSED');
    const e = taskStoreError('load', 'BACKEND_UNAVAILABLE', {
      backend: 'redis',
      detail: 'redis://:s3cret@10.0.0.1:6379/0 refused',
      cause,
    });
    expect(e.cause).toBe(cause);
    expect(e.message).not.toContain('s3cret');
    expect(e.message).toContain('redis://10.0.0.1:6379');
    expect(scrubSecrets('postgres://app:pw@db:5432/prod?sslmode=require password=hunter2')).toBe(
      'postgres://db:5432 password=***',
    );
  });
});

describe('compareIds', () => {
  it('orders by code point (UTF-8 byte order), not UTF-16 code units', () => {
    const ids = ['😀', '\uff5e', 'b', 'a', 'ab', 'B', ''];
    const byBytes = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...ids].sort(compareIds)).toEqual(byBytes);
  });
});

describe('cursor', () => {
  const filter = validateFilter('list', { status: 'running' });
  it('round-trips a position', () => {
    const c = encodeCursor({ createdAt: 1700000000000, taskId: 'a:b{c}' }, 'desc', filter);
    expect(decodeCursor(c, 'desc', filter)).toEqual({ createdAt: 1700000000000, taskId: 'a:b{c}' });
  });
  it.each(['', 'garbage!', 'e30', Buffer.from('[1,0,"x","t","y"]').toString('base64url'), 'a'.repeat(3000)])(
    'rejects malformed cursor %j with INVALID_INPUT',
    (c) => {
      expect(() => decodeCursor(c, 'desc', filter)).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT', path: 'query.cursor' }),
      );
    },
  );
  it('rejects a cursor made for another order or filter', () => {
    const c = encodeCursor({ createdAt: 1, taskId: 't' }, 'desc', filter);
    expect(() => decodeCursor(c, 'asc', filter)).toThrow(/order/);
    expect(() => decodeCursor(c, 'desc', validateFilter('list', {}))).toThrow(/different filter/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
    ['45', 45_000],
    ['0', null],
    ['0s', null],
  ])('%s -> %s', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', 'soon', '5 weeks', '-1', '1e3', 'h'])('%j is unreadable', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('status map', () => {
  it('maps every sk_agents and Lybic word and back', () => {
    expect(['Running', 'Paused', 'Completed', 'Failed', 'Canceled'].map(fromSkAgentsStatus)).toEqual([
      'running',
      'paused',
      'completed',
      'failed',
      'cancelled',
    ]);
    expect(['pending', 'running', 'finished', 'error', 'cancelled'].map(fromLybicStatus)).toEqual([
      'pending',
      'running',
      'completed',
      'failed',
      'cancelled',
    ]);
    expect(TASK_STATUSES.map(toSkAgentsStatus)).toEqual([
      'Running',
      'Running',
      'Paused',
      'Completed',
      'Failed',
      'Canceled',
    ]);
    expect(TASK_STATUSES.map(toLybicStatus)).toEqual([
      'pending',
      'running',
      'running',
      'finished',
      'error',
      'cancelled',
    ]);
    expect(fromSkAgentsStatus('toString')).toBeUndefined();
    expect(fromLybicStatus('Done')).toBeUndefined();
  });
});

describe('codec', () => {
  const task = {
    taskId: 't',
    status: 'running' as const,
    sessionId: 's',
    userId: null,
    items: [{ requestId: 'r', role: 'user' as const, content: { text: 'hi' }, createdAt: new Date(5) }],
    data: { a: [1, 'x'] },
    createdAt: new Date(1),
    updatedAt: new Date(2),
    expiresAt: null,
    version: 2,
  };
  it('round-trips a task through its stored JSON', () => {
    expect(parseStoredTask(serializeTask(task), 't')).toEqual(task);
  });
  it.each([
    ['not JSON', '{oops'],
    ['not an object', '[]'],
    ['a bad status', serializeTask(task).replace('"running"', '"zombie"')],
    ['a bad item', serializeTask(task).replace('"role":"user"', '"role":7')],
  ])('reports %s as CorruptRecord', (_n, text) => {
    expect(() => parseStoredTask(text)).toThrow(CorruptRecord);
  });
  it('reports a record stored under another id', () => {
    expect(() => parseStoredTask(serializeTask(task), 'other')).toThrow(/does not match/);
  });
});

describe('BACKEND_UNAVAILABLE says what a caller can know', () => {
  it('a write that failed may have been applied; a read changed nothing and says nothing of it', async () => {
    const { taskStoreError } = await import('../src/errors.js');
    for (const op of ['create', 'update', 'patch', 'delete', 'clear', 'cleanup'] as const) {
      expect(taskStoreError(op, 'BACKEND_UNAVAILABLE', { backend: 'redis' }).message).toContain(
        `This ${op} may or may not have been applied`,
      );
    }
    for (const op of ['load', 'loadByRequestId', 'list', 'count', 'countActive', 'healthCheck'] as const) {
      const message = taskStoreError(op, 'BACKEND_UNAVAILABLE', {
        backend: 'redis',
        detail: 'no reply',
      }).message;
      expect(message).toBe('redis is unavailable (no reply); retry later');
    }
  });
});

describe('the Node.js the tests run on', () => {
  // scripts/test-on-node.mjs sets it: proves the run really is on that version, not the machine's.
  const wanted = process.env.TASKVAULT_TEST_NODE_MAJOR;
  it.skipIf(wanted === undefined)(`is Node.js ${wanted ?? '(the machine default: nothing to check)'}`, () => {
    expect(process.versions.node.split('.')[0]).toBe(wanted);
  });
});
