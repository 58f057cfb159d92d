/**
 * The stored form of a task: one JSON document per task, under `P t:<id>`, that `load` reads with
 * one GET and parses with one JSON.parse.
 *
 * ```
 * {"v":3               \t,"m":1736933400000   \t,"s":"running"  \t,"x":null            \t,
 *  "c":1736933400000   \t,"e":"session-1"\t,"u":null\t,
 *  "d":{\n"query"\t:"…",\n"maxSteps"\t:25}\r,"i":[\n["req-1"\t,"user",1736933400000,"Plan my trip"],\n[…]]}
 * ```
 *
 * Space, tab, newline and carriage return are JSON whitespace, and JSON.stringify never writes a
 * raw tab, newline or carriage return (inside strings it escapes them), so they can mark the parts
 * the Lua scripts need: a tab ends each head field, each data key and each item's request id, a
 * newline starts each data member and each item, a carriage return ends the data object. A script
 * finds a data member by plain string search for `\n<key JSON>\t` and replaces it whole (the
 * shallow merge of `patch`), finds whether an item holds a request id by searching
 * `\n[<requestId JSON>\t`, and never decodes user JSON. Version, updatedAt, status, expiresAt and
 * createdAt are padded with spaces to fixed widths (bytes 6 to 104), so a write that keeps the rest
 * of the head rewrites them in place, and an append writes only the new items before the final `]}`.
 */
import {
  type AgentTask,
  isTaskStatus,
  type JsonObject,
  type JsonValue,
  TASK_ITEM_ROLES,
  type TaskItem,
  type TaskStatus,
} from '@taskvault/core';
import { CorruptRecord } from '@taskvault/core/adapter';

/** Where the fixed-width head fields start and end (character = byte offsets: they are ASCII). */
export const HEAD_FIXED_START = 5;
export const HEAD_FIXED_END = 104;

/** The JSON text of a nullable id. */
export function idJson(id: string | null): string {
  return id === null ? 'null' : JSON.stringify(id);
}

/** A data member as stored: `\n<key JSON>\t:<value JSON>`. */
export function dataMember(key: string, value: JsonValue): string {
  return `\n${JSON.stringify(key)}\t:${JSON.stringify(value)}`;
}

/** An item as stored: `\n[<requestId JSON>\t,"<role>",<createdAt ms>,<content JSON>]`. */
export function itemText(item: TaskItem): string {
  return `\n[${JSON.stringify(item.requestId)}\t,"${item.role}",${item.createdAt.getTime()},${JSON.stringify(item.content)}]`;
}

/** What a document holds, as the store writes it. */
export interface DocFields {
  version: number;
  updatedAt: number;
  status: TaskStatus;
  expiresAt: Date | null;
  createdAt: number;
  sessionId: string | null;
  userId: string | null;
  data: JsonObject;
  items: readonly TaskItem[];
}

/** The document of a task. */
export function encodeDoc(f: DocFields): string {
  let text = `{"v":${String(f.version).padEnd(16)}\t,"m":${String(f.updatedAt).padEnd(16)}\t,"s":${`"${f.status}"`.padEnd(11)}\t,"x":${(
    f.expiresAt === null ? 'null' : String(f.expiresAt.getTime())
  ).padEnd(
    16,
  )}\t,"c":${String(f.createdAt).padEnd(16)}\t,"e":${idJson(f.sessionId)}\t,"u":${idJson(f.userId)}\t,"d":{`;
  const data = f.data;
  let first = true;
  for (const key in data) {
    text += first ? dataMember(key, data[key]!) : `,${dataMember(key, data[key]!)}`;
    first = false;
  }
  text += '}\r,"i":[';
  const items = f.items;
  for (let i = 0; i < items.length; i++) text += i === 0 ? itemText(items[i]!) : `,${itemText(items[i]!)}`;
  return `${text}]}`;
}

/**
 * The document after an in-place patch: the old one with new fixed-width head fields and a new end
 * (`tail` replaces the final `]}`).
 */
export function patchedDoc(old: string, head: string, tail: string): string {
  return old.slice(0, HEAD_FIXED_START) + head + old.slice(HEAD_FIXED_END, old.length - 2) + tail;
}

/** What JSON.parse gives for a document. */
interface StoredDoc {
  v: unknown;
  m: unknown;
  c: unknown;
  s: unknown;
  e: unknown;
  u: unknown;
  x: unknown;
  d: unknown;
  i: unknown;
}

function isMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function isNullableString(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

const ROLES: readonly unknown[] = TASK_ITEM_ROLES;

/** Parses and checks a stored document. @throws CorruptRecord */
export function taskFromDoc(text: unknown, taskId: string): AgentTask {
  if (typeof text !== 'string') throw new CorruptRecord('the task record is not a string');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CorruptRecord('the task record is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CorruptRecord('the task record is not an object');
  }
  const doc = parsed as StoredDoc;
  if (!isTaskStatus(doc.s)) throw new CorruptRecord('status is not a known status');
  if (!isNullableString(doc.e) || !isNullableString(doc.u)) {
    throw new CorruptRecord('sessionId or userId is not a string');
  }
  if (!isMs(doc.c) || !isMs(doc.m) || !(doc.x === null || isMs(doc.x))) {
    throw new CorruptRecord('a timestamp is not a number');
  }
  if (!isMs(doc.v) || doc.v < 1) throw new CorruptRecord('version is not a positive integer');
  const data = doc.d;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CorruptRecord('data is not an object');
  }
  const stored = doc.i;
  if (!Array.isArray(stored)) throw new CorruptRecord('items is not an array');
  const items: TaskItem[] = new Array(stored.length);
  for (let i = 0; i < stored.length; i++) {
    const it: unknown = stored[i];
    if (
      !Array.isArray(it) ||
      it.length !== 4 ||
      typeof it[0] !== 'string' ||
      !ROLES.includes(it[1]) ||
      !isMs(it[2])
    ) {
      throw new CorruptRecord(`items[${i}] is malformed`);
    }
    items[i] = { requestId: it[0], role: it[1], content: it[3] as JsonValue, createdAt: new Date(it[2]) };
  }
  return {
    taskId,
    status: doc.s,
    sessionId: doc.e,
    userId: doc.u,
    items,
    data: data as JsonObject,
    createdAt: new Date(doc.c),
    updatedAt: new Date(doc.m),
    expiresAt: doc.x === null ? null : new Date(doc.x),
    version: doc.v,
  };
}

/** The version text at the head of a document that may be damaged ('' when there is none). */
export function versionOf(text: unknown): string {
  if (typeof text !== 'string') return '';
  return /^\{"v":(\d+)[ \t]/.exec(text)?.[1] ?? '';
}
