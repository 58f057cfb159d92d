import { describe, expect, it } from 'vitest';
import { serializeTask } from '../src/adapter.js';
import type { AgentTask, JsonValue, TaskItem } from '../src/index.js';
import { jsonSize, memberSize, taskSize } from '../src/size.js';
import { validateNewTask, validatePatch, validateReplacement } from '../src/validate.js';

/** A small seeded generator, so a failure reproduces. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AWKWARD = [
  '"',
  '\\',
  '\n',
  '\t',
  '\u0001',
  '\u001f',
  '\b',
  '\f',
  '\r',
  'é',
  '€',
  '😀',
  '\u2028',
  '/',
  ' ',
  'a',
];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  9,
  10,
  99,
  100,
  2 ** 53 - 1,
  -(2 ** 53),
  2 ** 53,
  1e21,
  1.5e-7,
  0.1,
  -3.25,
  1e300,
  5e-324,
];

function randomString(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) s += AWKWARD[Math.floor(r() * AWKWARD.length)];
  return s;
}

/** Ids may not hold control characters; everything else awkward is fair. */
function randomId(r: () => number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what ids may not hold
  return randomString(r).replace(/[\u0000-\u001f]/g, '_');
}

function randomJson(r: () => number, depth = 0): JsonValue {
  const pick = Math.floor(r() * (depth > 3 ? 5 : 7));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return NUMBERS[Math.floor(r() * NUMBERS.length)]! * (r() < 0.5 ? 1 : Math.floor(r() * 1000));
    case 3:
    case 4:
      return randomString(r);
    case 5:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth + 1));
    default: {
      const o: { [k: string]: JsonValue } = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[randomString(r) || 'k'] = randomJson(r, depth + 1);
      return o;
    }
  }
}

function randomItem(r: () => number, i: number): TaskItem {
  return {
    requestId: `req-${i}${randomId(r)}`,
    role: (['user', 'assistant', 'tool', 'system'] as const)[Math.floor(r() * 4)]!,
    content: randomJson(r),
    createdAt: new Date(Math.floor((r() - 0.3) * 4e12)),
  };
}

function randomTask(r: () => number): AgentTask {
  const data: { [k: string]: JsonValue } = {};
  for (let i = Math.floor(r() * 5); i > 0; i--) data[randomString(r) || `d${i}`] = randomJson(r);
  return {
    taskId: `t${randomId(r)}`,
    status: 'running',
    sessionId: r() < 0.5 ? null : `s${randomId(r)}`,
    userId: r() < 0.5 ? null : `u${randomId(r)}`,
    items: Array.from({ length: Math.floor(r() * 5) }, (_, i) => randomItem(r, i)),
    data,
    createdAt: new Date(Math.floor(r() * 2e12)),
    updatedAt: new Date(Math.floor(r() * 2e12)),
    expiresAt: r() < 0.5 ? null : new Date(Date.UTC(9999, 0, 1)),
    version: Math.floor(r() * 1e6) + 1,
  };
}

const bytesOf = (s: string) => Buffer.byteLength(s, 'utf8');
const limits = { maxTaskBytes: 1 << 30 };

describe('task size is the byte length of the stored JSON, exactly', () => {
  it('jsonSize equals the UTF-8 length of JSON.stringify for awkward values', () => {
    const r = prng(7);
    for (let i = 0; i < 3000; i++) {
      const v = randomJson(r);
      expect(jsonSize(v), JSON.stringify(v)).toBe(bytesOf(JSON.stringify(v)));
    }
    for (const n of NUMBERS) expect(jsonSize(n)).toBe(JSON.stringify(n).length);
  });

  it('taskSize equals serializeTask for random tasks', () => {
    const r = prng(11);
    for (let i = 0; i < 1000; i++) {
      const task = randomTask(r);
      expect(taskSize(task)).toBe(bytesOf(serializeTask(task)));
    }
  });

  it('create and update count exactly the size of what is stored', () => {
    const r = prng(13);
    const now = new Date(1_700_000_000_000);
    for (let i = 0; i < 500; i++) {
      const t = randomTask(r);
      const created = validateNewTask(
        { taskId: t.taskId, sessionId: t.sessionId, userId: t.userId, items: t.items, data: t.data },
        now,
        null,
        limits,
      );
      expect(created.bytes).toBe(bytesOf(serializeTask(created.task)));
      const replaced = validateReplacement({ ...t, expiresAt: null }, now, limits);
      const stored: AgentTask = {
        ...replaced.replacement,
        createdAt: t.createdAt,
        updatedAt: now,
        version: t.version + 1,
      };
      expect(replaced.bytes).toBe(bytesOf(serializeTask(stored)));
    }
  });

  it('create counts the defaults it fills in: no data, no items', () => {
    const now = new Date(1_700_000_000_000);
    for (const input of [{ taskId: 'a' }, { taskId: 'b', items: [] }, { taskId: 'c', data: {} }]) {
      const created = validateNewTask(input, now, null, limits);
      expect(created.bytes).toBe(bytesOf(serializeTask(created.task)));
    }
  });

  it("a patch's size parts add up to the patched task's size", () => {
    const r = prng(17);
    const now = new Date(1_700_000_000_000);
    for (let i = 0; i < 500; i++) {
      const before = randomTask(r);
      const appendItems = Array.from({ length: Math.floor(r() * 3) }, (_, j) => randomItem(r, 100 + j));
      const data: { [k: string]: JsonValue } = {};
      for (let j = Math.floor(r() * 3); j > 0; j--) {
        const keys = Object.keys(before.data);
        const key = r() < 0.5 && keys.length > 0 ? keys[0]! : randomString(r) || `n${j}`;
        data[key] = randomJson(r);
      }
      const { size } = validatePatch(before.taskId, { appendItems, data }, undefined, now, limits);
      const after: AgentTask = {
        ...before,
        items: [...before.items, ...appendItems],
        data: { ...before.data, ...data },
      };
      // What a backend does with the parts: old size, minus replaced members, plus new ones.
      let expected = taskSize(before) + size.items - (before.items.length === 0 && size.items > 0 ? 1 : 0);
      const beforeKeys = Object.keys(before.data).length;
      let members = beforeKeys;
      for (const [key, bytes] of size.data) {
        if (Object.hasOwn(before.data, key)) expected -= memberSize(key, before.data[key]!);
        else {
          members++;
          if (members > 1) expected += 1; // the comma before a new member
        }
        expected += bytes;
      }
      expect(expected).toBe(bytesOf(serializeTask(after)));
    }
  });
});
