/**
 * An sk_agents `AgentTask` (what Teal Agents' Redis persistence stores with pydantic's
 * `model_dump_json()`) as a taskvault task:
 *
 * | sk_agents                         | taskvault                                              |
 * |-----------------------------------|--------------------------------------------------------|
 * | task_id, session_id, user_id      | taskId, sessionId, userId                              |
 * | status (Running, Paused, ...)     | status, through core's sk_agents status map            |
 * | created_at, last_updated          | createdAt, updatedAt                                   |
 * | items[].request_id, role, updated | items[].requestId, role, createdAt                     |
 * | items[].item (MultiModalItem)     | items[].content = { contentType, content }             |
 * | items[].pending_tool_calls        | items[].content.pendingToolCalls (when not null)       |
 * | the key's remaining TTL           | expiresAt (null for a key without TTL)                 |
 *
 * `version` is 1 and `data` is `{}`: sk_agents keeps neither.
 */
import {
  type AgentTask,
  fromSkAgentsStatus,
  type JsonObject,
  type JsonValue,
  type TaskItem,
} from '@taskvault/core';
import { LegacyProblem } from './problem.js';
import { legacyTime } from './time.js';

function field(record: Record<string, unknown>, name: string, path = name): unknown {
  if (!Object.hasOwn(record, name)) throw new LegacyProblem(path, 'is missing');
  return record[name];
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new LegacyProblem(path, 'must be a string');
  return value;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LegacyProblem(path, 'must be an object');
  }
  return value as Record<string, unknown>;
}

function item(value: unknown, i: number): TaskItem {
  const at = `items[${i}]`;
  const it = object(value, at);
  const multi = object(field(it, 'item', `${at}.item`), `${at}.item`);
  const content: JsonObject = {
    contentType: text(multi.content_type ?? 'text', `${at}.item.content_type`),
    content: text(field(multi, 'content', `${at}.item.content`), `${at}.item.content`),
  };
  if (it.pending_tool_calls !== undefined && it.pending_tool_calls !== null) {
    content.pendingToolCalls = it.pending_tool_calls as JsonValue;
  }
  return {
    requestId: text(field(it, 'request_id', `${at}.request_id`), `${at}.request_id`),
    role: text(field(it, 'role', `${at}.role`), `${at}.role`) as TaskItem['role'],
    content,
    createdAt: legacyTime(`${at}.updated`, field(it, 'updated', `${at}.updated`)),
  };
}

/**
 * The task a Teal record holds. Shapes taskvault itself checks (ids, roles, JSON) are left to
 * `restore`, which names the field.
 * @throws LegacyProblem for text that is not JSON, a missing field, an unknown status or a bad time.
 */
export function tealTask(json: string, expiresAt: Date | null): AgentTask {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new LegacyProblem('value', `not JSON (${(error as Error).message})`);
  }
  const t = object(parsed, 'value');
  const status = text(t.status ?? 'Running', 'status');
  const mapped = fromSkAgentsStatus(status);
  if (mapped === undefined)
    throw new LegacyProblem('status', `unknown sk_agents status ${JSON.stringify(status)}`);
  const items = field(t, 'items');
  if (!Array.isArray(items)) throw new LegacyProblem('items', 'must be an array');
  return {
    taskId: text(field(t, 'task_id'), 'task_id'),
    status: mapped,
    sessionId: (t.session_id ?? null) as string | null,
    userId: (t.user_id ?? null) as string | null,
    items: items.map(item),
    data: {},
    createdAt: legacyTime('created_at', field(t, 'created_at')),
    updatedAt: legacyTime('last_updated', field(t, 'last_updated')),
    expiresAt,
    version: 1,
  };
}
