/** export, import and copy through the exported functions, on memory stores in this process. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { compareStores, copyTasks, exportTasks, importTasks } from '../src/index.js';
import { allTasks, makeTasks, memoryStore, sink, sortedLikeWalk } from './helpers.js';

function ndjson(tasks: ReturnType<typeof makeTasks>, toLine = (t: unknown) => JSON.stringify(t)): string {
  return tasks.map((t) => `${toLine(t)}\n`).join('');
}

describe('export and import', () => {
  it('export then import restores every task exactly (createdAt, updatedAt, version, expiry)', async () => {
    const source = memoryStore();
    const target = memoryStore();
    const tasks = makeTasks(1234);
    await source.restore(tasks);
    const out = sink();
    const exported = await exportTasks(source, out);
    expect(exported.exported).toBe(1234);
    const text = out.text();
    expect(text.split('\n').filter(Boolean)).toHaveLength(1234);
    const imported = await importTasks(target, Readable.from([text]));
    expect(imported).toMatchObject({ restored: 1234, skipped: 0, lines: 1234 });
    expect(await allTasks(target)).toEqual(sortedLikeWalk(tasks));
  });

  it('--status exports only those statuses', async () => {
    const source = memoryStore();
    await source.restore(makeTasks(60));
    const out = sink();
    const summary = await exportTasks(source, out, { status: ['paused', 'failed'] });
    expect(summary.exported).toBe(20);
    expect(
      out
        .text()
        .split('\n')
        .filter(Boolean)
        .every((l) => /"status":"(paused|failed)"/.test(l)),
    ).toBe(true);
  });

  it('a walk while writers run returns every task that existed throughout exactly once', async () => {
    const store = memoryStore();
    const steady = makeTasks(2000, 'steady');
    await store.restore(steady);
    const seen: string[] = [];
    let writes = 0;
    const out = sink();
    await exportTasks(store, out, {
      onProgress: (n) => {
        // Between pages, other writers create and delete tasks all over the order.
        if (n % 250 === 0) {
          const extra = makeTasks(20, `churn-${writes++}`).map((t, i) => ({
            ...t,
            createdAt: new Date(t.createdAt.getTime() + (i % 2 === 0 ? -1e9 : 1e9)),
          }));
          void store.restore(extra).then(() => store.delete(extra[0]!.taskId));
        }
      },
    });
    for (const line of out.text().split('\n').filter(Boolean)) seen.push(JSON.parse(line).taskId);
    const steadySeen = seen.filter((id) => id.startsWith('steady'));
    expect(new Set(seen).size).toBe(seen.length);
    expect(steadySeen.sort()).toEqual(steady.map((t) => t.taskId).sort());
    expect(writes).toBeGreaterThan(0);
  });

  it('a bad line is named by its line number (blank lines counted), and nothing of its batch is written', async () => {
    const store = memoryStore();
    const tasks = makeTasks(10);
    const lines = tasks.map((t) => JSON.stringify(t));
    lines.splice(3, 0, ''); // a blank line shifts line numbers but not task positions
    lines[7] = lines[7]!.replace(/"version":\d+/, '"version":0'); // line 8
    const input = `${lines.join('\n')}\n`;
    await expect(importTasks(store, Readable.from([input]), { batchSize: 4 })).rejects.toThrow(
      /^line 8: version: .*nothing of that line was written; 4 task\(s\) in earlier batches were written/,
    );
    // the first batch (4 tasks) landed, the batch holding line 8 did not
    expect(await store.count()).toBe(4);
    expect(await store.load(tasks[6]!.taskId)).toBeNull();
  });

  it('an import stopped half-way resumes when run again with the default skip', async () => {
    const store = memoryStore();
    const tasks = makeTasks(50);
    const text = ndjson(tasks);
    const broken = `${text}{"taskId":\n`;
    await expect(importTasks(store, Readable.from([broken]), { batchSize: 10 })).rejects.toThrow(
      /line 51: not JSON/,
    );
    expect(await store.count()).toBe(50);
    const again = await importTasks(store, Readable.from([text]), { batchSize: 10 });
    expect(again).toMatchObject({ restored: 0, skipped: 50 });
    expect(await allTasks(store)).toEqual(sortedLikeWalk(tasks));
  });

  it('--on-conflict fail stops at a task that is already there; replace overwrites it', async () => {
    const store = memoryStore();
    const tasks = makeTasks(5);
    await store.restore(tasks.slice(0, 1));
    const changed = tasks.map((t) => ({ ...t, version: t.version + 10 }));
    await expect(
      importTasks(store, Readable.from([ndjson(changed)]), { onConflict: 'fail' }),
    ).rejects.toMatchObject({
      code: 'TASK_EXISTS',
    });
    const replaced = await importTasks(store, Readable.from([ndjson(changed)]), { onConflict: 'replace' });
    expect(replaced).toMatchObject({ replaced: 1, restored: 4 });
    expect((await store.load(tasks[0]!.taskId))?.version).toBe(tasks[0]!.version + 10);
  });

  it('input split mid-line, with CRLF line ends and a byte order mark reads the same', async () => {
    const store = memoryStore();
    const tasks = makeTasks(7);
    const text = `\ufeff${ndjson(tasks).replace(/\n/g, '\r\n')}`;
    const chunks = text.match(/[\s\S]{1,37}/g)!.map((s) => Buffer.from(s));
    await importTasks(store, Readable.from(chunks));
    expect(await allTasks(store)).toEqual(sortedLikeWalk(tasks));
  });
});

describe('copy and compare', () => {
  it('copies every task exactly and the comparison finds nothing', async () => {
    const from = memoryStore();
    const to = memoryStore();
    const tasks = makeTasks(777);
    await from.restore(tasks);
    const summary = await copyTasks(from, to, { batchSize: 50 });
    expect(summary).toMatchObject({ read: 777, restored: 777 });
    const report = await compareStores(from, to);
    expect(report).toMatchObject({
      ok: true,
      sourceCount: 777,
      targetCount: 777,
      compared: 777,
      different: 0,
    });
  });

  it('the comparison names tasks missing, extra and different', async () => {
    const from = memoryStore();
    const to = memoryStore();
    const tasks = makeTasks(20);
    await from.restore(tasks);
    await copyTasks(from, to);
    await to.delete(tasks[3]!.taskId);
    await to.patch(tasks[5]!.taskId, { data: { query: 'changed' } });
    await to.restore(makeTasks(1, 'extra'));
    const report = await compareStores(from, to);
    expect(report.ok).toBe(false);
    expect(report).toMatchObject({ missing: 1, extra: 1, different: 1 });
    expect(report.differences).toEqual(
      expect.arrayContaining([
        { taskId: tasks[3]!.taskId, kind: 'missing-in-target' },
        { taskId: tasks[5]!.taskId, kind: 'different' },
        { taskId: 'extra-000000', kind: 'extra-in-target' },
      ]),
    );
  });
});
