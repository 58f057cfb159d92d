import { describe, expect, it } from 'vitest';
import { validateNewTask, validatePatch, validateReplacement } from '../src/adapter.js';
import type { TaskStoreError } from '../src/index.js';

const now = new Date('2026-01-02T03:04:05.678Z');
const limits = { maxTaskBytes: 8 * 1024 * 1024 };

function rejectionOf(fn: () => unknown): TaskStoreError {
  try {
    fn();
  } catch (error) {
    return error as TaskStoreError;
  }
  throw new Error('expected INVALID_INPUT');
}

class Money {
  constructor(readonly cents: number) {}
}
const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;
const sparse: unknown[] = [1];
sparse[2] = 3;

describe('validateNewTask', () => {
  it('fills the defaults', () => {
    const { task } = validateNewTask({ taskId: 't1' }, now, null, limits);
    expect(task).toEqual({
      taskId: 't1',
      status: 'pending',
      sessionId: null,
      userId: null,
      items: [],
      data: {},
      createdAt: now,
      updatedAt: now,
      expiresAt: null,
      version: 1,
    });
  });

  it('takes expiry from expiresAt, then ttlMs, then the default TTL; expiresAt null overrides the default', () => {
    expect(validateNewTask({ taskId: 't' }, now, 1000, limits).task.expiresAt).toEqual(
      new Date(now.getTime() + 1000),
    );
    expect(validateNewTask({ taskId: 't', ttlMs: 50 }, now, 1000, limits).task.expiresAt).toEqual(
      new Date(now.getTime() + 50),
    );
    expect(validateNewTask({ taskId: 't', expiresAt: null }, now, 1000, limits).task.expiresAt).toBeNull();
  });

  it('copies what it accepts, so later changes by the caller are not stored', () => {
    const data = { nested: { list: [1, 2] } };
    const { task } = validateNewTask({ taskId: 't', data }, now, null, limits);
    data.nested.list.push(3);
    expect(task.data).toEqual({ nested: { list: [1, 2] } });
  });

  it('keeps a "__proto__" key as data instead of changing the prototype', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}}');
    const { task } = validateNewTask({ taskId: 't', data }, now, null, limits);
    expect(Object.keys(task.data)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(task.data)).toBe(Object.prototype);
  });

  it('drops undefined object properties, as JSON does, and turns -0 into 0', () => {
    const { task } = validateNewTask({ taskId: 't', data: { a: undefined, b: -0 } }, now, null, limits);
    expect(Object.keys(task.data)).toEqual(['b']);
    expect(Object.is(task.data.b, 0)).toBe(true);
  });

  it.each([
    ['BigInt', { data: { stats: { total: 10n } } }, 'data.stats.total', /BigInt is not JSON/],
    ['NaN', { data: { x: Number.NaN } }, 'data.x', /NaN is not JSON/],
    ['Infinity', { data: { x: [Number.POSITIVE_INFINITY] } }, 'data.x[0]', /Infinity/],
    ['a function', { data: { f: () => 1 } }, 'data.f', /function/],
    ['a symbol', { data: { s: Symbol('x') } }, 'data.s', /symbol/],
    ['undefined in an array', { data: { list: [1, undefined] } }, 'data.list[1]', /undefined/],
    ['a hole in an array', { data: { list: sparse } }, 'data.list[1]', /sparse/],
    ['a class instance', { data: { price: new Money(5) } }, 'data.price', /instance of Money/],
    ['a Date inside data', { data: { when: new Date() } }, 'data.when', /a Date is not JSON/],
    ['a Map', { data: { m: new Map() } }, 'data.m', /instance of Map/],
    ['a cycle', { data: { c: cyclic } }, 'data.c.self', /cycle/],
    ['U+0000', { data: { s: 'a\u0000b' } }, 'data.s', /U\+0000/],
    ['a lone surrogate', { data: { s: '\ud800' } }, 'data.s', /surrogate/],
    ['a key with a space and BigInt', { data: { 'a b': 1n } }, 'data["a b"]', /BigInt/],
    [
      'content with a Date',
      { items: [{ requestId: 'r', role: 'user', content: { d: new Date() }, createdAt: now }] },
      'items[0].content.d',
      /Date/,
    ],
    ['an empty taskId', { taskId: '' }, 'taskId', /must not be empty/],
    ['a 513-byte taskId', { taskId: 'é'.repeat(256) + 'x' }, 'taskId', /512 UTF-8 bytes/],
    ['a control character in taskId', { taskId: 'a\nb' }, 'taskId', /control characters/],
    [
      'an empty requestId',
      { items: [{ requestId: '', role: 'user', content: 'x', createdAt: now }] },
      'items[0].requestId',
      /empty/,
    ],
    [
      'a bad role',
      { items: [{ requestId: 'r', role: 'bot', content: 'x', createdAt: now }] },
      'items[0].role',
      /user, assistant/,
    ],
    [
      'an item without createdAt',
      { items: [{ requestId: 'r', role: 'user', content: 'x' }] },
      'items[0].createdAt',
      /Date/,
    ],
    ['an unknown status', { status: 'done' }, 'status', /must be one of/],
    ['an unknown field', { sesionId: 's' }, 'sesionId', /not a field/],
    ['data that is an array', { data: [] }, 'data', /plain object/],
    ['an invalid Date', { createdAt: new Date(Number.NaN) }, 'createdAt', /invalid Date/],
    ['expiresAt in the past', { expiresAt: new Date(now.getTime() - 1) }, 'expiresAt', /not in the future/],
    ['both ttlMs and expiresAt', { ttlMs: 5, expiresAt: null }, 'ttlMs', /not both/],
    ['a negative ttlMs', { ttlMs: -1 }, 'ttlMs', /positive/],
  ])('rejects %s with its path', (_name, fields, path, message) => {
    const error = rejectionOf(() => validateNewTask({ taskId: 't', ...fields }, now, null, limits));
    expect(error.name).toBe('TaskCreateError');
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
  });

  it('rejects nesting deeper than 100 levels', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 150; i++) deep = [deep];
    expect(
      rejectionOf(() => validateNewTask({ taskId: 't', data: { deep } }, now, null, limits)).message,
    ).toMatch(/deeper than 100/);
  });

  it('rejects a task over maxTaskBytes with path "task" and accepts one well under it', () => {
    const small = { maxTaskBytes: 4096 };
    expect(
      rejectionOf(() => validateNewTask({ taskId: 't', data: { s: 'x'.repeat(5000) } }, now, null, small))
        .path,
    ).toBe('task');
    expect(
      validateNewTask({ taskId: 't', data: { s: 'x'.repeat(2000) } }, now, null, small).bytes,
    ).toBeLessThan(4096);
  });

  it('counts bytes close to the JSON size', () => {
    const data = { text: 'héllo wörld 🌍'.repeat(100), n: [1, 2, 3], o: { a: null, b: true } };
    const { bytes } = validateNewTask({ taskId: 't', data }, now, null, limits);
    const json = Buffer.byteLength(JSON.stringify(data));
    expect(bytes).toBeGreaterThan(json);
    expect(bytes).toBeLessThan(json + 512);
  });
});

describe('validateReplacement', () => {
  const base = {
    taskId: 't',
    status: 'running',
    sessionId: null,
    userId: 'u',
    items: [],
    data: {},
    createdAt: now,
    updatedAt: now,
    expiresAt: null,
    version: 3,
  };

  it('returns the fields update replaces and the version to check', () => {
    const { replacement, version } = validateReplacement(base, now, limits);
    expect(version).toBe(3);
    expect(replacement).toEqual({
      taskId: 't',
      status: 'running',
      sessionId: null,
      userId: 'u',
      items: [],
      data: {},
      expiresAt: null,
    });
  });

  it.each([
    ['version 0', { version: 0 }, 'version'],
    ['a fractional version', { version: 1.5 }, 'version'],
    ['a missing status', { status: undefined }, 'status'],
    ['missing items', { items: undefined }, 'items'],
    ['a missing expiresAt', { expiresAt: undefined }, 'expiresAt'],
  ])('rejects %s as TaskUpdateError', (_n, fields, path) => {
    const error = rejectionOf(() => validateReplacement({ ...base, ...fields }, now, limits));
    expect([error.name, error.code, error.path]).toEqual(['TaskUpdateError', 'INVALID_INPUT', path]);
  });
});

describe('validatePatch', () => {
  it('keeps only the given fields and null data values', () => {
    const { patch, expectedVersion } = validatePatch(
      't',
      { status: 'paused', data: { a: null } },
      4,
      now,
      limits,
    );
    expect(patch).toEqual({ status: 'paused', data: { a: null } });
    expect(expectedVersion).toBe(4);
  });

  it.each([
    ['an unknown field', { stat: 'x' }, 4, 'patch.stat'],
    [
      'a bad appended item',
      { appendItems: [{ requestId: 'r', role: 'user', content: 1n, createdAt: now }] },
      4,
      'patch.appendItems[0].content',
    ],
    ['a bad expectedVersion', {}, -1, 'expectedVersion'],
    ['data that is not an object', { data: 'x' }, undefined, 'patch.data'],
  ])('rejects %s as TaskUpdateError', (_n, patch, version, path) => {
    const error = rejectionOf(() => validatePatch('t', patch, version, now, limits));
    expect([error.name, error.code, error.path]).toEqual(['TaskUpdateError', 'INVALID_INPUT', path]);
  });
});
