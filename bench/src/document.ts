/**
 * The one document every benchmark writes and reads, on both sides: a realistic ~2.2 KB agent
 * task (a query, a few items with tool calls and results, and application data with execution
 * statistics and sandbox info). The raw baselines store exactly the JSON bytes taskvault would.
 */
import type { AgentTask, JsonObject, NewTask, TaskItem, TaskStatus } from '@taskvault/core';
import { serializeTask } from '@taskvault/core/adapter';

/** Fixed instant the document's own timestamps start from, so every run stores the same bytes. */
const BASE_MS = Date.UTC(2025, 0, 15, 9, 30, 0);

/** The request ids of a task's items: unique per task, so `loadByRequestId` finds exactly one. */
export function requestIdsOf(taskId: string): string[] {
  return [`${taskId}:req-0`, `${taskId}:req-1`];
}

/** The items of the document: a user turn, a tool call, its result and the answer. */
function itemsOf(taskId: string): TaskItem[] {
  const [first, second] = requestIdsOf(taskId) as [string, string];
  return [
    {
      requestId: first,
      role: 'user',
      content:
        'Find the three cheapest direct flights from Berlin to Lisbon next Friday, compare their baggage ' +
        'allowances and draft a short summary I can paste into the team chat.',
      createdAt: new Date(BASE_MS),
    },
    {
      requestId: first,
      role: 'assistant',
      content: {
        type: 'tool_call',
        toolCallId: 'call_7f3a9c21',
        name: 'flight_search',
        arguments: {
          from: 'BER',
          to: 'LIS',
          date: '2025-01-24',
          direct: true,
          maxResults: 10,
          currency: 'EUR',
        },
      },
      createdAt: new Date(BASE_MS + 1_250),
    },
    {
      requestId: first,
      role: 'tool',
      content: {
        type: 'tool_result',
        toolCallId: 'call_7f3a9c21',
        ok: true,
        result: [
          { carrier: 'TP', flight: 'TP541', departs: '06:10', arrives: '08:55', priceEur: 89.99, bagKg: 0 },
          { carrier: 'FR', flight: 'FR1862', departs: '13:35', arrives: '16:20', priceEur: 74.5, bagKg: 0 },
          { carrier: 'EW', flight: 'EW7962', departs: '18:45', arrives: '21:30', priceEur: 102.0, bagKg: 23 },
        ],
      },
      createdAt: new Date(BASE_MS + 3_900),
    },
    {
      requestId: second,
      role: 'assistant',
      content:
        'Cheapest direct options BER -> LIS on Fri 24 Jan: FR1862 13:35 (74.50 EUR, cabin bag only), ' +
        'TP541 06:10 (89.99 EUR, cabin bag only), EW7962 18:45 (102.00 EUR, 23 kg checked bag included).',
      createdAt: new Date(BASE_MS + 6_400),
    },
  ];
}

/** The application's own fields, shaped like a Lybic TaskData's extras. */
function dataOf(taskId: string): JsonObject {
  return {
    query: 'Find the three cheapest direct flights from Berlin to Lisbon next Friday',
    maxSteps: 25,
    finalState: null,
    timestampDir: `runs/2025-01-15/${taskId}`,
    executionStatistics: {
      steps: 3,
      toolCalls: 1,
      promptTokens: 1843,
      completionTokens: 412,
      durationMs: 6400,
      model: 'gpt-4.1-mini',
      retries: 0,
      stepTimings: [
        { step: 1, kind: 'plan', ms: 1180 },
        { step: 2, kind: 'tool:flight_search', ms: 2650 },
        { step: 3, kind: 'answer', ms: 2570 },
      ],
    },
    sandboxInfo: {
      sandboxId: 'sbx-01HQ7Z3K9M',
      region: 'eu-central-1',
      image: 'agent-runtime:2.4.1',
      warm: true,
      cpuLimit: 2,
      memoryMb: 4096,
      workdir: '/workspace',
    },
    pendingToolCalls: [],
    requestData: {
      channel: 'web',
      locale: 'en-GB',
      clientVersion: '3.12.0',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    },
  };
}

/** Statuses in the proportions a busy deployment holds them; index i picks `STATUS_MIX[i % 20]`. */
const STATUS_MIX: readonly TaskStatus[] = [
  ...Array<TaskStatus>(6).fill('running'),
  ...Array<TaskStatus>(2).fill('pending'),
  'paused',
  ...Array<TaskStatus>(8).fill('completed'),
  'failed',
  'failed',
  'cancelled',
];

/** The status the i-th preloaded task gets: 45% active, 55% terminal. */
export function statusFor(index: number): TaskStatus {
  return STATUS_MIX[index % STATUS_MIX.length]!;
}

/** The status `list` filters on: the most common active one, so a page is always full. */
export const LIST_STATUS: TaskStatus = 'running';

/** The ~2.2 KB document as `create` input. */
export function newTaskDocument(taskId: string, status: TaskStatus = 'running', index = 0): NewTask {
  return {
    taskId,
    status,
    sessionId: `session-${index % 1000}`,
    userId: `user-${index % 100}`,
    items: itemsOf(taskId),
    data: dataOf(taskId),
  };
}

/** The document as a stored task (version 1), the form the raw baselines copy or serialize. */
export function storedTaskDocument(taskId: string): AgentTask {
  const doc = newTaskDocument(taskId);
  return {
    taskId,
    status: doc.status ?? 'running',
    sessionId: doc.sessionId ?? null,
    userId: doc.userId ?? null,
    items: doc.items ?? [],
    data: doc.data ?? {},
    createdAt: new Date(BASE_MS),
    updatedAt: new Date(BASE_MS),
    expiresAt: null,
    version: 1,
  };
}

/** The JSON bytes taskvault stores for the document: what the raw Redis/Postgres sides write. */
export function documentJson(taskId: string): string {
  return serializeTask(storedTaskDocument(taskId));
}

/** The item `patch` appends: a ~230-byte tool result, what an agent step adds. */
export function appendedItem(taskId: string, step: number): TaskItem {
  return {
    requestId: `${taskId}:req-1`,
    role: 'tool',
    content: {
      type: 'tool_result',
      toolCallId: `call_step_${step}`,
      ok: true,
      result: { rows: 3, cached: false },
    },
    createdAt: new Date(BASE_MS + 10_000 + step),
  };
}
