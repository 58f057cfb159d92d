/**
 * What every fault test checks after the server is back: each write that resolved before or
 * during the outage is there, with what it wrote, and found through its indexes.
 */
import type { AgentTask, TaskStore } from '@taskvault/core';
import { expect } from 'vitest';

/** A patch that resolved: the version it returned and the request id of the item it appended. */
export interface ResolvedPatch {
  taskId: string;
  version: number;
  requestId: string;
}

/** Checks every resolved create and patch, `width` loads at a time. */
export async function expectResolvedWritesKept(
  store: TaskStore,
  creates: readonly AgentTask[],
  patches: readonly ResolvedPatch[],
  width = 50,
): Promise<void> {
  await inBatches(creates, width, async (created) => {
    const loaded = await store.load(created.taskId);
    expect(loaded?.taskId).toBe(created.taskId);
    expect(loaded?.items[0]).toEqual(created.items[0]);
  });
  await inBatches(patches, width, async (patched) => {
    const loaded = await store.load(patched.taskId);
    expect(loaded!.version).toBeGreaterThanOrEqual(patched.version);
    expect(loaded!.items.map((i) => i.requestId)).toContain(patched.requestId);
    expect((await store.loadByRequestId(patched.requestId))?.taskId).toBe(patched.taskId);
  });
}

/** Runs `fn` over `items`, `width` at a time. */
export async function inBatches<T>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}
