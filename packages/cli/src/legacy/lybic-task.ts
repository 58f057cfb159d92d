/**
 * A row of Lybic's `agent_tasks` table as a taskvault task:
 *
 * | Lybic column           | taskvault                                        |
 * |------------------------|--------------------------------------------------|
 * | task_id                | taskId                                           |
 * | status                 | status, through core's Lybic status map          |
 * | created_at, updated_at | createdAt, updatedAt (a time without zone is UTC) |
 * | query                  | data.query                                       |
 * | max_steps              | data.maxSteps                                    |
 * | final_state            | data.finalState                                  |
 * | timestamp_dir          | data.timestampDir                                |
 * | execution_statistics   | data.executionStatistics (jsonb, as stored)      |
 * | sandbox_info           | data.sandboxInfo (jsonb)                         |
 * | request_data           | data.requestData (jsonb)                         |
 * | any other column       | data.<its name in camelCase> (conversation_history -> conversationHistory) |
 *
 * Every column lands in `data`, null as null, so nothing of the row is lost. `sessionId`,
 * `userId` are null, `items` empty, `expiresAt` null and `version` 1: Lybic keeps none of them.
 */
import { type AgentTask, fromLybicStatus, type JsonObject, type JsonValue } from '@taskvault/core';
import { LegacyProblem } from './problem.js';
import { legacyTime } from './time.js';

/** Columns that are fields of the task itself rather than of `data`. */
const TASK_COLUMNS = new Set(['task_id', 'status', 'created_at', 'updated_at']);

/** `execution_statistics` -> `executionStatistics`. */
export function camelCase(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The task a Lybic row holds. @throws LegacyProblem naming the column */
export function lybicTask(row: Record<string, unknown>): AgentTask {
  const taskId = row.task_id;
  if (typeof taskId !== 'string') throw new LegacyProblem('task_id', 'must be text');
  const status = fromLybicStatus(String(row.status));
  if (status === undefined)
    throw new LegacyProblem('status', `unknown Lybic status ${JSON.stringify(row.status)}`);
  const data: JsonObject = {};
  for (const [column, value] of Object.entries(row)) {
    if (!TASK_COLUMNS.has(column)) data[camelCase(column)] = (value ?? null) as JsonValue;
  }
  return {
    taskId,
    status,
    sessionId: null,
    userId: null,
    items: [],
    data,
    createdAt: legacyTime('created_at', row.created_at),
    updatedAt: legacyTime('updated_at', row.updated_at),
    expiresAt: null,
    version: 1,
  };
}
