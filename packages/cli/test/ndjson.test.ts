import { describe, expect, it } from 'vitest';
import { canonicalJson, lineToTask, taskChecksum, taskToLine } from '../src/index.js';
import { makeTasks } from './helpers.js';

describe('NDJSON lines', () => {
  it('a task comes back deep-equal from its line, Dates as Dates and date-like strings in data as strings', () => {
    for (const task of makeTasks(30)) {
      const line = taskToLine(task);
      expect(line).not.toContain('\n');
      const back = lineToTask(line);
      expect(back).toEqual(task);
      expect(back.createdAt).toBeInstanceOf(Date);
      expect(back.data.looksLikeADate).toBe('2025-01-15T09:30:00.000Z');
    }
  });

  it('writes Dates as ISO strings and keeps version and expiry', () => {
    const [task] = makeTasks(1);
    const json = JSON.parse(taskToLine(task!));
    expect(json.createdAt).toBe('2025-01-15T09:30:00.000Z');
    expect(json.version).toBe(1);
    expect(json.expiresAt).toBe('2099-01-01T00:00:00.000Z');
  });

  it('a date field that is not ISO-8601 names its path', () => {
    const line = taskToLine(makeTasks(2)[1]!).replace(
      '"createdAt":"2025-01-15T09:30:00.005Z"',
      '"createdAt":"soon"',
    );
    expect(() => lineToTask(line)).toThrow(/items\[1\]\.createdAt: "soon" is not an ISO-8601 date/);
    expect(() => lineToTask('[1,2]')).toThrow(/must be a JSON object/);
    expect(() => lineToTask('{"a":')).toThrow(/not JSON/);
  });

  it('the checksum is the same whatever the key order, and differs when anything differs', () => {
    const [task] = makeTasks(2).slice(1);
    const reordered = { ...task!, data: Object.fromEntries(Object.entries(task!.data).reverse()) };
    expect(taskChecksum(reordered)).toBe(taskChecksum(task!));
    expect(taskChecksum({ ...task!, version: task!.version + 1 })).not.toBe(taskChecksum(task!));
    expect(taskChecksum({ ...task!, updatedAt: new Date(task!.updatedAt.getTime() + 1) })).not.toBe(
      taskChecksum(task!),
    );
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });
});
