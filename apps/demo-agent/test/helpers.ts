/** Shared pieces of the demo agent's tests. */
import type { AgentTask, TaskStore, TaskStoreConfig } from '@taskvault/core';
import { expect } from 'vitest';
import { openStore } from '../src/open-store.js';

/** A store built by the factory from `config` only (the test's environment is ignored). */
export function storeFor(config: TaskStoreConfig): Promise<TaskStore> {
  return openStore(config, {});
}

/** A fresh in-memory store. */
export function memoryStore(): Promise<TaskStore> {
  return storeFor({ backend: 'memory' });
}

/** A namespace nobody else uses. */
export function freshNamespace(prefix = 'demo-test'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Polls the task until `done` holds; fails with its last state after `timeoutMs`. */
export async function waitForTask(
  store: TaskStore,
  taskId: string,
  done: (task: AgentTask | null) => boolean,
  timeoutMs = 15_000,
): Promise<AgentTask | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await store.load(taskId);
    if (done(task)) return task;
    if (Date.now() > deadline) {
      throw new Error(
        `task ${taskId} did not reach the expected state in ${timeoutMs} ms; it is ${task?.status ?? 'gone'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls `check` until it returns true. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An error body has code and message (and maybe field), and nothing that looks like a stack. */
export function expectCleanError(body: unknown, code: string, field?: string): void {
  expect(body).toMatchObject({ error: { code, message: expect.any(String) } });
  const error = (body as { error: Record<string, unknown> }).error;
  expect(Object.keys(error).sort()).toEqual(
    field === undefined ? ['code', 'message'] : ['code', 'field', 'message'],
  );
  if (field !== undefined) expect(error.field).toBe(field);
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+|stack/);
}
