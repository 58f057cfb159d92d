import { expect } from 'vitest';
import type { ScenarioResult } from '../src/scenario.js';

/** What the scenario must show on any backend: statuses and counts, never timings. */
export function expectScenarioOutcome(result: ScenarioResult): void {
  expect(result.tasks.map((t) => [t.label, t.status])).toEqual([
    ['#1', 'completed'],
    ['#2', 'completed'],
    ['#3', 'cancelled'],
    ['#4', 'failed'],
    ['#5', 'completed'],
    ['#6', 'pending'],
  ]);
  // Tasks created in the same millisecond are listed in taskId order (random ids), so the
  // expected order is derived from the stored createdAt and taskId, not from the labels.
  const byLabel = new Map(result.tasks.map((t) => [t.label, t]));
  const listOrder = (labels: string[]) =>
    [...labels].sort((a, b) => {
      const x = byLabel.get(a)!;
      const y = byLabel.get(b)!;
      return x.createdAt - y.createdAt || (x.taskId < y.taskId ? -1 : x.taskId > y.taskId ? 1 : 0);
    });
  expect(result.listed).toEqual({
    pending: ['#6'],
    running: [],
    paused: [],
    completed: listOrder(['#1', '#2', '#5']),
    failed: ['#4'],
    cancelled: ['#3'],
  });
  expect(result.countActiveWhilePaused).toBe(2);
  expect(result.countActiveBeforeCleanup).toBe(1);
  expect(result.cleanedUp).toBe(5);
  expect(result.countAfterCleanup).toBe(1);
  expect(result.maxCommitsPerStep).toBe(1);

  const text = result.lines.join('\n');
  const approved = result.tasks[1]!;
  expect(text).toContain(`loadByRequestId(${approved.requestId}) -> #2 ${approved.taskId} paused`);
  expect(text).toMatch(/#2 \S+ pending +v\d+ +approved by demo-user/);
  expect(text).toMatch(/#3 \S+ cancelled +v\d+ +cancelled by demo-user/);
  expect(text).toMatch(/#4 \S+ failed +v\d+ +step 1\/2 lookup FAILED: no capital known for "Atlantis"/);
  expect(text).toMatch(/#1 answer: .*68,170,000 \+ 84,480,000 = 152,650,000\./);
  expect(text).toMatch(/#2 answer: .*sent an email to alice@example.com/i);
  expect(text).toContain('every committed step appears exactly once');
  // Every line about a task shows its id, status and version.
  for (const line of result.lines.filter((l) =>
    /\] #\d \S+ (pending|running|paused|completed|failed|cancelled) /.test(l),
  )) {
    expect(line).toMatch(/#\d task-[0-9a-f]{12} \w+ +v\d+/);
  }
}
