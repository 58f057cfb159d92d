import type { AgentTask } from '@taskvault/core';
import { describe, expect, it } from 'vitest';
import {
  encodeDoc,
  HEAD_FIXED_END,
  HEAD_FIXED_START,
  itemText,
  patchedDoc,
  taskFromDoc,
  versionOf,
} from '../src/doc.js';

const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const MIN_MS = -62_167_219_200_000;

function task(overrides: Partial<AgentTask> = {}): AgentTask {
  const data = { a: 1, 'b "quoted"\tkey': [1, { x: null }], é: 'ü\n\t\r😀' };
  Object.defineProperty(data, '__proto__', {
    value: { p: 1 },
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return {
    taskId: 'id "with" \\ odd: chars 😀',
    status: 'cancelled',
    sessionId: 's "1"',
    userId: null,
    items: [
      {
        requestId: 'r\\"x',
        role: 'tool',
        content: { nested: [[], {}], n: 0.1 + 0.2 },
        createdAt: new Date(MIN_MS),
      },
      { requestId: 'r2', role: 'user', content: 'plain', createdAt: new Date(5) },
    ],
    data,
    createdAt: new Date(MIN_MS),
    updatedAt: new Date(MAX_MS),
    expiresAt: new Date(MAX_MS),
    version: 9_007_199_254_740_991,
    ...overrides,
  };
}

function encode(t: AgentTask): string {
  return encodeDoc({
    version: t.version,
    updatedAt: t.updatedAt.getTime(),
    status: t.status,
    expiresAt: t.expiresAt,
    createdAt: t.createdAt.getTime(),
    sessionId: t.sessionId,
    userId: t.userId,
    data: t.data,
    items: t.items,
  });
}

describe('stored document', () => {
  it('round-trips a task exactly, odd keys, ids and extreme values included', () => {
    for (const t of [
      task(),
      task({ status: 'running', expiresAt: null, sessionId: null, items: [], data: {} }),
    ]) {
      const text = encode(t);
      expect(taskFromDoc(text, t.taskId)).toEqual(t);
      expect(versionOf(text)).toBe(String(t.version));
    }
  });

  it('keeps the head fields at fixed places, so scripts can rewrite them in place', () => {
    for (const t of [
      task(),
      task({ version: 1, status: 'running', expiresAt: null, updatedAt: new Date(0) }),
    ]) {
      const text = encode(t);
      expect(text.slice(0, HEAD_FIXED_START)).toBe('{"v":');
      expect(text.slice(HEAD_FIXED_END, HEAD_FIXED_END + 6)).toBe('\t,"e":');
    }
  });

  it('marks parts with whitespace JSON.stringify never writes raw: tab, newline, carriage return', () => {
    const text = encode(task());
    // one newline per data member and per item, one carriage return, tabs only as markers
    expect(text.split('\n')).toHaveLength(1 + 4 + 2);
    expect(text.split('\r')).toHaveLength(2);
    expect(text.split('\t')).toHaveLength(1 + 7 + 4 + 2);
  });

  it('an in-place patch gives the document a rebuilt one would be', () => {
    const before = task({ items: [] });
    const added = task().items;
    const after = { ...before, version: before.version, items: added, status: 'running' as const };
    const old = encode(before);
    const head = encode(after).slice(HEAD_FIXED_START, HEAD_FIXED_END);
    const tail = `${added.map(itemText).join(',')}]}`;
    expect(patchedDoc(old, head, tail)).toBe(encode(after));
  });

  it('anything else is CORRUPT', () => {
    const good = encode(task());
    for (const bad of [
      42,
      'not json',
      '[]',
      good.replace('"s":"cancelled"', '"s":"unknown"  '),
      good.replace('"v":9007199254740991', '"v":0               '),
      good.replace('"i":[', '"i":{').replace(/]}$/, '}}'),
      good.replace('"r2"\t,"user"', '"r2"\t,"robot"'),
    ]) {
      expect(() => taskFromDoc(bad, 'x')).toThrowError(expect.objectContaining({ name: 'CorruptRecord' }));
    }
  });
});
