/** When a change leaves a held task fresh: only when the task already contains it. */
import type { AgentTask } from '@taskvault/core';
import { describe, expect, it } from 'vitest';
import { contains, SAME_WRITE_MS } from '../src/freshness.js';

const at = Date.UTC(2026, 0, 1);
const held = {
  taskId: 't',
  status: 'running',
  version: 5,
  updatedAt: new Date(at),
} as AgentTask;

describe('contains', () => {
  it('an earlier version, or the same write (version, status, at about updatedAt), is contained', () => {
    expect(contains(held, { type: 'updated', version: 4, status: 'pending', at: at - 60_000 })).toBe(true);
    expect(contains(held, { type: 'created', version: 1, status: 'pending', at: at - 60_000 })).toBe(true);
    expect(contains(held, { type: 'updated', version: 5, status: 'running', at })).toBe(true);
    expect(contains(held, { type: 'updated', version: 5, status: 'running', at: at + SAME_WRITE_MS })).toBe(
      true,
    );
  });

  it('a later version, a removal, or the same version written at another time or status evicts', () => {
    expect(contains(held, { type: 'updated', version: 6, status: 'running', at })).toBe(false);
    expect(contains(held, { type: 'deleted', version: 5, status: 'running', at })).toBe(false);
    expect(contains(held, { type: 'expired', version: 3, status: 'running', at })).toBe(false);
    // a restore of an older copy with the same version number
    expect(
      contains(held, { type: 'updated', version: 5, status: 'running', at: at + SAME_WRITE_MS + 1 }),
    ).toBe(false);
    expect(contains(held, { type: 'updated', version: 5, status: 'completed', at })).toBe(false);
  });
});
