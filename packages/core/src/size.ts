/**
 * The size of a task, exactly as `maxTaskBytes` counts it: the UTF-8 byte length of the JSON text
 * of its stored form (`serializeTask`), escapes, request ids and every field included. It is one
 * figure on every backend, whatever each keeps on disk, so a task accepted by one store is
 * accepted by all. Validation counts the same figure while it copies (see `json-copy.ts`); these
 * functions measure values already stored, for backends that work out a patched size from parts.
 */
import { utf8Length } from './ids.js';
import type { AgentTask, JsonObject, JsonValue, TaskItem } from './task.js';

/**
 * Bytes `JSON.stringify` adds for escapes in a string: one for `"`, `\` and the short control
 * escapes (`\n`, `\t`, ...), five for the other control characters (`\u001f`).
 */
export function escapeBytes(s: string): number {
  let extra = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20) {
      if (c === 0x22 || c === 0x5c) extra += 1;
    } else if (c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) extra += 1;
    else extra += 5;
  }
  return extra;
}

/** Characters that make `JSON.stringify` escape; a quick test before counting. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
export const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** Bytes of a string as a JSON string token, quotes included. */
export function stringSize(s: string): number {
  return utf8Length(s) + 2 + (NEEDS_ESCAPE.test(s) ? escapeBytes(s) : 0);
}

/** Bytes of a finite number as JSON prints it. */
export function numberSize(n: number): number {
  if (Number.isSafeInteger(n)) {
    // Integers are most numbers in tasks (counts, ids, epoch ms): no string is made for them.
    let digits = n < 0 ? 2 : 1;
    for (let v = Math.abs(n); v >= 10; v = Math.floor(v / 10)) digits++;
    return digits;
  }
  return String(n).length;
}

/** Bytes of a JSON value as `JSON.stringify` prints it (no spaces). */
export function jsonSize(value: JsonValue): number {
  switch (typeof value) {
    case 'string':
      return stringSize(value);
    case 'number':
      return numberSize(value);
    case 'boolean':
      return value ? 4 : 5;
  }
  if (value === null) return 4;
  if (Array.isArray(value)) {
    let n = value.length === 0 ? 2 : 1 + value.length;
    for (const child of value) n += jsonSize(child);
    return n;
  }
  return objectSize(value);
}

/** Bytes of one object member, `"key":value`, without the comma that separates members. */
export function memberSize(key: string, value: JsonValue): number {
  return stringSize(key) + 1 + jsonSize(value);
}

function objectSize(value: JsonObject): number {
  let n = 2;
  let members = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    n += memberSize(key, value[key]!);
    members++;
  }
  return members === 0 ? n : n + members - 1;
}

/**
 * Fixed bytes of a stored item: `{"requestId":` `,"role":` `,"content":` `,"createdAt":` `}`.
 * An item's size is this plus its request id, role, content and createdAt tokens.
 */
export const ITEM_FRAME_BYTES = 46;

/** Bytes of a task item in its stored form (`{"requestId":…,"role":…,"content":…,"createdAt":ms}`). */
export function itemSize(item: TaskItem): number {
  return (
    ITEM_FRAME_BYTES +
    stringSize(item.requestId) +
    item.role.length +
    2 +
    jsonSize(item.content) +
    numberSize(item.createdAt.getTime())
  );
}

/**
 * Fixed bytes of a stored task: the braces, the ten field names with their quotes and colons, the
 * nine commas, and the brackets of `items`. A task's size is this plus its field tokens.
 */
export const TASK_FRAME_BYTES = 113;

/** The parts of a task's size that are not items or data: ids, status, times, version. */
export function taskHeadSize(task: Omit<AgentTask, 'items' | 'data'>): number {
  return (
    TASK_FRAME_BYTES +
    stringSize(task.taskId) +
    task.status.length +
    2 +
    nullableStringSize(task.sessionId) +
    nullableStringSize(task.userId) +
    numberSize(task.createdAt.getTime()) +
    numberSize(task.updatedAt.getTime()) +
    (task.expiresAt === null ? 4 : numberSize(task.expiresAt.getTime())) +
    numberSize(task.version)
  );
}

function nullableStringSize(s: string | null): number {
  return s === null ? 4 : stringSize(s);
}

/** Bytes of a list of items as a JSON array's contents: each item plus the commas between them. */
export function itemsSize(items: readonly TaskItem[]): number {
  let n = items.length > 0 ? items.length - 1 : 0;
  for (const item of items) n += itemSize(item);
  return n;
}

/**
 * The size of a task as `maxTaskBytes` counts it: exactly `utf8Length(serializeTask(task))`,
 * worked out without building the text.
 */
export function taskSize(task: AgentTask): number {
  return taskHeadSize(task) + itemsSize(task.items) + jsonSize(task.data);
}
