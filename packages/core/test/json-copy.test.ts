import { describe, expect, it } from 'vitest';
import {
  copyJsonObject,
  copyJsonValue,
  idProblem,
  JsonProblem,
  setOwnKey,
  utf8Length,
  validateNewTask,
} from '../src/adapter.js';

function problemOf(fn: () => unknown): JsonProblem {
  try {
    fn();
  } catch (error) {
    if (error instanceof JsonProblem) return error;
    throw error;
  }
  throw new Error('expected a JsonProblem');
}

const holey: unknown[] = [1];
holey[2] = 3;

// Paths are spelled out only when something is rejected, from the keys and indexes collected
// while the rejection unwinds: these pin the spelling at every kind of step.
describe('rejection paths', () => {
  it.each([
    ['an index inside a key inside an index', { a: [1, { 'b c': [true, 5n] }] }, 'data.a[1]["b c"][1]'],
    ['a numeric-looking key', { list: { '0': [Number.NaN] } }, 'data.list["0"][0]'],
    ['a "__proto__" key', JSON.parse('{"__proto__": {"x": [null, "\\u0000"]}}'), 'data.__proto__.x[1]'],
    ['a hole', { deep: [holey] }, 'data.deep[0][1]'],
    ['a symbol-keyed object', { o: { ok: 1, [Symbol('s')]: 2 } }, 'data.o'],
    ['a key with a lone surrogate', { o: { 'k\ud800': 1 } }, 'data.o["k\\ud800"]'],
  ])('names %s', (_name, data, path) => {
    expect(problemOf(() => copyJsonObject(data, 'data', { bytes: 0 })).path).toBe(path);
  });

  it('reports the first problem in key order, children before the symbol check', () => {
    const data = { a: 1, b: { c: () => 1 }, d: 1n, [Symbol('s')]: 1 };
    expect(problemOf(() => copyJsonObject(data, 'data', { bytes: 0 }))).toEqual(
      new JsonProblem('data.b.c', 'a function is not JSON'),
    );
  });

  it('starts from the path given to copyJsonValue', () => {
    expect(
      problemOf(() => copyJsonValue([{ x: 1 }, { y: undefined, z: [Infinity] }], 'v', { bytes: 0 })).path,
    ).toBe('v[1].z[0]');
  });

  it('names the item path of a bad content value in every item position', () => {
    const item = (content: unknown) => ({ requestId: 'r', role: 'user', content, createdAt: new Date(0) });
    const error = (() => {
      try {
        validateNewTask(
          { taskId: 't', items: [item('ok'), item({ list: ['a', 'b\u0000'] })] },
          new Date(),
          null,
          { maxTaskBytes: 1 << 20 },
        );
      } catch (e) {
        return e as { path: string; message: string };
      }
      throw new Error('expected a rejection');
    })();
    expect(error.path).toBe('items[1].content.list[1]');
    expect(error.message).toMatch(/^items\[1\]\.content\.list\[1\]: holds U\+0000 at index 1/);
  });
});

describe('string checks', () => {
  const long = 'x'.repeat(40);
  it.each([
    ['a short string', 'abc'],
    ['a long string', long],
    ['a short non-ASCII string', 'héllo 中'],
    ['a long non-ASCII string', `${long}é中`],
    ['a short surrogate pair', 'a🌍'],
    ['a long surrogate pair', `${long}🌍`],
  ])('accepts %s and counts its UTF-8 bytes', (_name, s) => {
    const counter = { bytes: 0 };
    expect(copyJsonValue(s, 'v', counter)).toBe(s);
    expect(counter.bytes).toBe(Buffer.byteLength(s, 'utf8') + 2);
    expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
  });

  it.each([
    ['U+0000 in a short string', 'a\u0000', /U\+0000 at index 1/],
    ['U+0000 in a long string', `${long}\u0000`, /U\+0000 at index 40/],
    ['a lone high surrogate in a short string', 'a\ud83c', /unpaired UTF-16 surrogate at index 1/],
    ['a lone low surrogate in a long string', `${long}\udf0d!`, /unpaired UTF-16 surrogate at index 40/],
    ['a reversed pair', 'a\udf0d\ud83c', /unpaired UTF-16 surrogate at index 1/],
  ])('rejects %s', (_name, s, message) => {
    expect(problemOf(() => copyJsonValue({ s }, 'v', { bytes: 0 })).detail).toMatch(message);
  });

  it('counts keys alike whether their size is remembered or not, past the bound of what is kept', () => {
    // Key sizes are remembered (up to 4096 keys of up to 64 code units): the first and the second
    // copy must count the same, including keys past either bound and keys that need escapes.
    const o: Record<string, number> = {};
    for (let i = 0; i < 5000; i++) o[`k${i}${['', '"', '\\', '\n', 'é', '😀', 'x'.repeat(70)][i % 7]}`] = i;
    for (let round = 0; round < 2; round++) {
      const counter = { bytes: 0 };
      copyJsonValue(o, 'v', counter);
      expect(counter.bytes).toBe(Buffer.byteLength(JSON.stringify(o), 'utf8'));
    }
    // A key that cannot be stored is never remembered as one that can.
    for (let round = 0; round < 2; round++) {
      expect(problemOf(() => copyJsonValue({ 'a\u0000': 1 }, 'v', { bytes: 0 })).detail).toMatch(
        /^key holds U\+0000/,
      );
    }
  });

  it('checks ids fully when they are not short printable ASCII', () => {
    expect(idProblem('task-1:req 0')).toBeNull();
    expect(idProblem('x'.repeat(512))).toBeNull();
    expect(idProblem('x'.repeat(513))).toMatch(/512 UTF-8 bytes/);
    expect(idProblem('tâche-1')).toBeNull();
    expect(idProblem('a\u007fb')).toMatch(/U\+007F at index 1/);
    expect(idProblem('a\u0085')).toMatch(/U\+0085 at index 1/);
    expect(idProblem('a🌍')).toBeNull();
    expect(idProblem('a\udc00')).toMatch(/surrogate/);
  });
});

describe('setOwnKey', () => {
  it('adds "__proto__" as an own key without touching the prototype', () => {
    const target: Record<string, unknown> = {};
    setOwnKey(target as never, '__proto__', { polluted: true });
    setOwnKey(target as never, 'a', 1);
    expect(Object.keys(target)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(JSON.stringify(target)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });
});
