/**
 * How one SDK history item becomes one taskvault item and back: the item object itself is the
 * item's `content`, so what `getItems` returns is deep-equal to what `addItems` was given.
 */
import { randomUUID } from 'node:crypto';
import type { AgentInputItem } from '@openai/agents-core';
import type { JsonValue, TaskItem, TaskItemRole } from '@taskvault/core';
import {
  copyJsonValue,
  idProblem,
  JsonProblem,
  type TaskStoreOperation,
  taskStoreError,
} from '@taskvault/core/adapter';

/**
 * The taskvault role of an SDK item: a message keeps its role (`developer` is `system`), every
 * tool call and tool result (`function_call`, `computer_call_result`, `shell_call_output`, ...)
 * is `tool`, and anything else the model produced (reasoning, compaction) is `assistant`.
 */
export function roleOf(item: AgentInputItem): TaskItemRole {
  const { role, type } = item as { role?: unknown; type?: unknown };
  if (role === 'user' || role === 'assistant' || role === 'system') return role;
  if (role === 'developer') return 'system';
  if (typeof type === 'string' && /_call($|_)/.test(type)) return 'tool';
  return 'assistant';
}

/**
 * The item's request id: its own `id` when that is a valid taskvault id (so
 * `store.loadByRequestId(item.id)` finds the session), otherwise a fresh UUID, stored with the
 * item and so stable from then on.
 */
export function requestIdOf(item: AgentInputItem): string {
  const id = (item as { id?: unknown }).id;
  return typeof id === 'string' && idProblem(id) === null ? id : randomUUID();
}

/**
 * A checked JSON copy of an item, or INVALID_INPUT naming the offending path (`items[2].content`).
 * Properties whose value is `undefined` are dropped, as JSON and the SDK's own persistence do;
 * a `Uint8Array` is rejected (the runner turns bytes into data URLs before it persists them).
 */
export function copyItem(item: unknown, path: string, operation: TaskStoreOperation): JsonValue {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw taskStoreError(operation, 'INVALID_INPUT', { path, detail: 'an item must be a plain object' });
  }
  try {
    return copyJsonValue(item, path, { bytes: 0 });
  } catch (error) {
    if (error instanceof JsonProblem) {
      throw taskStoreError(operation, 'INVALID_INPUT', { path: error.path, detail: error.detail });
    }
    throw error;
  }
}

/** SDK items as taskvault items, each checked (paths start at `path`), stamped `now`. */
export function toTaskItems(
  items: readonly AgentInputItem[],
  path: string,
  operation: TaskStoreOperation,
  now = new Date(),
): TaskItem[] {
  if (!Array.isArray(items)) {
    throw taskStoreError(operation, 'INVALID_INPUT', { path, detail: 'must be an array of items' });
  }
  return items.map((item, i) => {
    const content = copyItem(item, `${path}[${i}]`, operation);
    return { requestId: requestIdOf(item), role: roleOf(item), content, createdAt: new Date(now.getTime()) };
  });
}

/** The SDK item a taskvault item holds. */
export function fromTaskItem(item: TaskItem): AgentInputItem {
  return item.content as unknown as AgentInputItem;
}

/**
 * JSON with object keys sorted: two items are the same history entry when these strings are
 * equal (key order never matters, as in the SDK's own reconciliation).
 */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
}
