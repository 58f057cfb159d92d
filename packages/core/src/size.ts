/**
 * The size of a task, exactly as `maxTaskBytes` counts it: the UTF-8 byte length of the JSON text
 * of its stored form (`serializeTask`), escapes, request ids and every field included. It is one
 * figure on every backend, whatever each keeps on disk, so a task accepted by one store is
 * accepted by all. Validation counts the same figure while it copies (see `json-copy.ts`); these
 * functions measure values already stored, for backends that work out a patched size from parts.
 */
import { utf8Length } from './ids.js';
import { hasOwnKey } from './own-key.js';
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

/** A string with no character that makes `JSON.stringify` escape. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const ESCAPE_FREE = /^[^"\\\u0000-\u001f]*$/;

/**
 * Whether `JSON.stringify` escapes anything in `s`: a quick test before counting. The anchored
 * negated class runs as one tight loop; searching for `["\\\u0000-\u001f]` took twice as long on
 * the long strings of a typical task (~1 ns more per character).
 */
export function needsEscape(s: string): boolean {
  return !ESCAPE_FREE.test(s);
}

/**
 * Below this length, one loop over the code units ({@link shortStringBytes}) beats the regex test
 * and the length count; from it on, the native calls win.
 */
export const SHORT_STRING = 32;

/**
 * Bytes of a short string as a JSON string token (quotes and escapes included), measured in one
 * pass; -1 when it holds U+0000 or any surrogate — the uncommon cases, which each caller measures
 * (or rejects) its own way.
 */
export function shortStringBytes(s: string): number {
  const n = s.length;
  let bytes = n + 2;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c < 0x20) {
        if (c === 0) return -1;
        bytes += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 1 : 5;
      } else if (c === 0x22 || c === 0x5c) bytes += 1;
    } else if (c < 0x800) bytes += 1;
    else if (c < 0xd800 || c > 0xdfff) bytes += 2;
    else return -1;
  }
  return bytes;
}

/** Bytes of a string as a JSON string token, quotes included. */
export function stringSize(s: string): number {
  if (s.length < SHORT_STRING) {
    // ids are short: measured in one pass; U+0000 and surrogates take the general path
    const bytes = shortStringBytes(s);
    if (bytes >= 0) return bytes;
  }
  return utf8Length(s) + 2 + (needsEscape(s) ? escapeBytes(s) : 0);
}

/** Bytes of a finite number as JSON prints it. */
export function numberSize(n: number): number {
  if (Number.isSafeInteger(n)) {
    // Integers are most numbers in tasks (counts, ids, epoch ms): no string is made for them.
    // Compared with growing powers of ten (exact doubles up to 1e22) rather than divided down:
    // an epoch-ms date takes 13 divisions, a measurable share of an item's size.
    let digits = n < 0 ? 2 : 1;
    const v = n < 0 ? -n : n;
    for (let p = 10; v >= p; p *= 10) digits++;
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
    if (!hasOwnKey(value, key)) continue;
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
  return headSize(
    task.taskId,
    task.status,
    task.sessionId,
    task.userId,
    task.createdAt.getTime(),
    task.updatedAt.getTime(),
    task.expiresAt === null ? null : task.expiresAt.getTime(),
    task.version,
  );
}

/** {@link taskHeadSize} from the fields themselves (dates in epoch ms), for a task not yet built. */
export function headSize(
  taskId: string,
  status: string,
  sessionId: string | null,
  userId: string | null,
  createdAtMs: number,
  updatedAtMs: number,
  expiresAtMs: number | null,
  version: number,
): number {
  return (
    TASK_FRAME_BYTES +
    stringSize(taskId) +
    status.length +
    2 +
    nullableStringSize(sessionId) +
    nullableStringSize(userId) +
    numberSize(createdAtMs) +
    numberSize(updatedAtMs) +
    (expiresAtMs === null ? 4 : numberSize(expiresAtMs)) +
    numberSize(version)
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
