/**
 * The size of a patched task, worked out from the stored size without measuring the whole task
 * again: old size, plus what the patch adds, minus the data members it replaces, plus the change
 * of the head fields. Exactly core's `taskSize` of the result (core's tests pin the parts).
 */
import type { AgentTask } from '@taskvault/core';
import { memberSize, type PatchSize, taskHeadSize } from '@taskvault/core/adapter';

/** The exact size of `next`, the patched version of `previous` whose size was `bytes`. */
export function patchedSize(bytes: number, previous: AgentTask, next: AgentTask, size: PatchSize): number {
  let n = bytes + taskHeadSize(next) - taskHeadSize(previous);
  if (size.items > 0) n += previous.items.length === 0 ? size.items - 1 : size.items;
  if (size.data.length > 0) {
    let members = 0;
    for (const key in previous.data) if (Object.hasOwn(previous.data, key)) members++;
    for (const [key, member] of size.data) {
      if (Object.hasOwn(previous.data, key)) n -= memberSize(key, previous.data[key]!);
      else if (members++ > 0) n += 1; // the comma before a new member
      n += member;
    }
  }
  return n;
}
