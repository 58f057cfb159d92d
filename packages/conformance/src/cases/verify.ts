/**
 * verify: a walk over the namespace in batches that reports (and with `repair`, fixes) what is
 * wrong. Index damage is backend-specific and tested in each backend's package; the suite checks
 * the report on a healthy store, progress, options, and a corrupt record when `damage` is given.
 */
import { TaskQueryError, type VerifyProgress } from '@taskvault/core';
import { expect } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { item, newTask, uniqueId } from '../fixtures.js';
import type { Scenario } from '../harness.js';

export function verifyCases(scenario: Scenario): void {
  scenario('verify on a healthy store reports ok, every task checked, and progress per batch', async (h) => {
    const store = await h.store();
    const requestId = uniqueId('req');
    for (let i = 0; i < 7; i++) {
      await store.create(
        newTask({ items: [item(requestId), item(uniqueId('req'))], status: i % 2 ? 'running' : 'completed' }),
      );
    }
    const progress: VerifyProgress[] = [];
    const report = await store.verify({ batchSize: 3, onProgress: (p) => progress.push(p) });
    expect(report).toMatchObject({ ok: true, checked: 7, problemCount: 0, repaired: 0, problems: [] });
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress[progress.length - 1]!.checked).toBe(7);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.checked).toBeGreaterThanOrEqual(progress[i - 1]!.checked);
    // repair on a healthy store changes nothing.
    const before = await store.list({ limit: 100 });
    expect(await store.verify({ repair: true })).toMatchObject({ ok: true, checked: 7, problemCount: 0 });
    expect(await store.list({ limit: 100 })).toEqual(before);
  });

  scenario('verify of an empty namespace checks nothing and is ok', async (h) => {
    const store = await h.store();
    expect(await store.verify()).toMatchObject({ ok: true, checked: 0, problemCount: 0 });
  });

  scenario('verify sees only its own namespace', async (h) => {
    const a = await h.store();
    const b = await h.store();
    for (let i = 0; i < 3; i++) await a.create(newTask());
    await b.create(newTask());
    expect((await a.verify()).checked).toBe(3);
    expect((await b.verify()).checked).toBe(1);
  });

  scenario('verify rejects bad options with TaskQueryError INVALID_INPUT at the field', async (h) => {
    const store = await h.store();
    const cases: [unknown, string][] = [
      [{ repair: 'yes' }, 'options.repair'],
      [{ batchSize: 0 }, 'options.batchSize'],
      [{ batchSize: 1.5 }, 'options.batchSize'],
      [{ batchSize: 10_001 }, 'options.batchSize'],
      [{ onProgress: 'print' }, 'options.onProgress'],
      [{ repiar: true }, 'options.repiar'],
    ];
    for (const [options, path] of cases) {
      await expectTaskError(store.verify(options as never), {
        type: TaskQueryError,
        code: 'INVALID_INPUT',
        path,
      });
    }
  });

  scenario('verify after close rejects with STORE_CLOSED', async (h) => {
    const store = await h.store();
    await store.close();
    await expectTaskError(store.verify(), { type: TaskQueryError, code: 'STORE_CLOSED' });
  });
}

/** The part of verify that needs the suite's `damage` option. */
export function verifyCorruptCases(scenario: Scenario): void {
  scenario('verify reports a damaged record; repair moves it aside and the next verify is ok', async (h) => {
    const reports: unknown[] = [];
    const store = await h.store({ onCorrupt: (r) => reports.push(r) });
    const tasks = [];
    for (let i = 0; i < 4; i++) tasks.push(await store.create(newTask()));
    await h.damage(store, tasks[2]!.taskId);
    const found = await store.verify();
    expect(found.ok).toBe(false);
    expect(found.problems).toContainEqual(
      expect.objectContaining({ kind: 'corrupt-record', taskId: tasks[2]!.taskId, repaired: false }),
    );
    const repaired = await store.verify({ repair: true });
    expect(repaired.ok).toBe(true);
    expect(repaired.repaired).toBeGreaterThanOrEqual(1);
    expect(repaired.problems).toContainEqual(
      expect.objectContaining({ kind: 'corrupt-record', taskId: tasks[2]!.taskId, repaired: true }),
    );
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(await store.verify()).toMatchObject({ ok: true, checked: 3, problemCount: 0 });
    expect(await store.count()).toBe(3);
    expect(await store.load(tasks[0]!.taskId)).toEqual(tasks[0]);
  });
}
