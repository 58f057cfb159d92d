/**
 * The stored form of a task, for backends that keep a task as one JSON document: dates become
 * epoch milliseconds, everything else is already JSON (validation made sure of it). Reading
 * checks the shape, so a damaged record is reported as CORRUPT_DATA instead of misbehaving later.
 */
import {
  type AgentTask,
  isTaskStatus,
  type JsonObject,
  type JsonValue,
  TASK_ITEM_ROLES,
  type TaskItem,
} from './task.js';

/** A task item as stored. */
export interface StoredItem {
  requestId: string;
  role: TaskItem['role'];
  content: JsonValue;
  createdAt: number;
}

/** A task as stored: a JSON document. */
export interface StoredTask {
  taskId: string;
  status: AgentTask['status'];
  sessionId: string | null;
  userId: string | null;
  items: StoredItem[];
  data: JsonObject;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
  version: number;
}

/** Thrown by {@link taskFromStored} and {@link parseStoredTask}; the adapter quarantines the record. */
export class CorruptRecord extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'CorruptRecord';
  }
}

/** An item in its stored form. */
export function itemToStored(item: TaskItem): StoredItem {
  return {
    requestId: item.requestId,
    role: item.role,
    content: item.content,
    createdAt: item.createdAt.getTime(),
  };
}

/** A task in its stored form. The values are shared, not copied: serialize it right away. */
export function taskToStored(task: AgentTask): StoredTask {
  return {
    taskId: task.taskId,
    status: task.status,
    sessionId: task.sessionId,
    userId: task.userId,
    items: task.items.map(itemToStored),
    data: task.data,
    createdAt: task.createdAt.getTime(),
    updatedAt: task.updatedAt.getTime(),
    expiresAt: task.expiresAt === null ? null : task.expiresAt.getTime(),
    version: task.version,
  };
}

/** JSON text of a task's stored form. */
export function serializeTask(task: AgentTask): string {
  return JSON.stringify(taskToStored(task));
}

/** Parses JSON text written by {@link serializeTask}. @throws CorruptRecord */
export function parseStoredTask(text: string, expectedTaskId?: string): AgentTask {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new CorruptRecord('stored value is not valid JSON');
  }
  return taskFromStored(doc, expectedTaskId);
}

function isMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function isNullableString(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/** Checks the shape of a stored document and builds the task. @throws CorruptRecord */
export function taskFromStored(doc: unknown, expectedTaskId?: string): AgentTask {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new CorruptRecord('stored value is not an object');
  const d = doc as Record<string, unknown>;
  if (typeof d.taskId !== 'string') throw new CorruptRecord('taskId is missing');
  if (expectedTaskId !== undefined && d.taskId !== expectedTaskId) {
    throw new CorruptRecord('taskId does not match the key it is stored under');
  }
  if (!isTaskStatus(d.status)) throw new CorruptRecord('status is not a known status');
  if (!isNullableString(d.sessionId) || !isNullableString(d.userId))
    throw new CorruptRecord('sessionId or userId is not a string');
  if (!isMs(d.createdAt) || !isMs(d.updatedAt) || !(d.expiresAt === null || isMs(d.expiresAt))) {
    throw new CorruptRecord('a timestamp is not a number');
  }
  if (!isMs(d.version) || d.version < 1) throw new CorruptRecord('version is not a positive integer');
  if (typeof d.data !== 'object' || d.data === null || Array.isArray(d.data))
    throw new CorruptRecord('data is not an object');
  if (!Array.isArray(d.items)) throw new CorruptRecord('items is not an array');
  const items: TaskItem[] = new Array(d.items.length);
  for (let i = 0; i < d.items.length; i++) {
    const it = d.items[i] as Record<string, unknown> | null;
    if (
      typeof it !== 'object' ||
      it === null ||
      typeof it.requestId !== 'string' ||
      !(TASK_ITEM_ROLES as readonly unknown[]).includes(it.role) ||
      !isMs(it.createdAt) ||
      !('content' in it)
    ) {
      throw new CorruptRecord(`items[${i}] is malformed`);
    }
    items[i] = {
      requestId: it.requestId,
      role: it.role as TaskItem['role'],
      content: it.content as JsonValue,
      createdAt: new Date(it.createdAt),
    };
  }
  return {
    taskId: d.taskId,
    status: d.status,
    sessionId: d.sessionId,
    userId: d.userId,
    items,
    data: d.data as JsonObject,
    createdAt: new Date(d.createdAt),
    updatedAt: new Date(d.updatedAt),
    expiresAt: d.expiresAt === null ? null : new Date(d.expiresAt),
    version: d.version,
  };
}
