/**
 * Several processes on one file: SQLite's locking serialises their writes. A writer SIGKILLed in
 * the middle of a burst loses no write that resolved and leaves no half-written task (`verify`
 * finds nothing); a process that holds the write lock past the busy timeout makes calls reject
 * with BACKEND_UNAVAILABLE in bounded time, and the store works again once it lets go. Ten
 * processes with retention share one sweeper (the lease in the file), and a SIGKILLed holder is
 * replaced once its lease runs out.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type AgentTask, isTaskStoreError, type TaskChange, type TaskPage } from '@taskvault/core';
import { checkOneSweeper } from '@taskvault/test-servers';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteTaskStore } from '../src/index.js';
import { tempDir } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => join(root, 'test', 'fixtures', name);
const dir = tempDir();

/** The children run the built package: build it when dist is missing or older than src. */
beforeAll(() => {
  const built = join(root, 'dist', 'index.js');
  const newest = Math.max(
    ...readdirSync(join(root, 'src'), { recursive: true }).map(
      (f) => statSync(join(root, 'src', String(f))).mtimeMs,
    ),
  );
  if (!existsSync(built) || statSync(built).mtimeMs < newest) {
    execFileSync('pnpm', ['exec', 'tsup'], { cwd: root, stdio: 'ignore' });
  }
}, 120_000);

/** Starts a fixture; `lines` collects its stdout lines. */
function start(
  name: string,
  args: string[],
): { child: ChildProcess; lines: string[]; next: (match: string) => Promise<void> } {
  const child = spawn(process.execPath, [fixture(name), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: { match: string; resolve: () => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.filter((x) => line.startsWith(x.match))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const next = (match: string) =>
    lines.some((l) => l.startsWith(match))
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ match, resolve }));
  return { child, lines, next };
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

describe('several processes on one file', () => {
  it('writers SIGKILLed mid-burst lose no resolved write and leave no half-written task', async () => {
    const path = join(dir, 'burst.db');
    const namespace = 'burst';
    const writers = ['a', 'b', 'c'].map((name) => start('burst.mjs', [path, namespace, name]));
    await Promise.all(writers.map((w) => w.next('ready')));
    // let them race for the lock for a while, then kill each at a different moment
    for (const [i, w] of writers.entries()) {
      await new Promise((r) => setTimeout(r, 400 + i * 150));
      w.child.kill('SIGKILL');
      await killed(w.child);
    }
    const store = new SqliteTaskStore({ path, namespace, sweepIntervalMs: 0 });
    try {
      const resolved = writers.flatMap((w) => w.lines);
      expect(resolved.filter((l) => l.startsWith('create')).length).toBeGreaterThan(10);
      for (const line of resolved) {
        const [kind, id, version] = line.split(' ');
        if (kind === 'create') expect(await store.load(id!), id).not.toBeNull();
        if (kind === 'patch')
          expect((await store.load(id!))!.version, id).toBeGreaterThanOrEqual(Number(version));
      }
      // every append to the shared task that resolved is there, once
      const shared = await store.load('shared');
      const held = shared!.items.map((item) => item.requestId);
      expect(new Set(held).size).toBe(held.length);
      for (const line of resolved.filter((l) => l.startsWith('shared')))
        expect(held).toContain(line.split(' ')[1]);
      // each task is whole: its items are the ones its versions appended, in order
      // every page: three writers can land more than one page's worth of tasks in the burst
      const tasks: AgentTask[] = [];
      let cursor: string | null = null;
      do {
        const page: TaskPage = await store.list({ limit: 1000, ...(cursor === null ? {} : { cursor }) });
        tasks.push(...page.tasks);
        cursor = page.nextCursor;
      } while (cursor !== null);
      for (const task of tasks.filter((t) => t.taskId !== 'shared')) {
        expect(task.items.length, task.taskId).toBe(task.version);
        expect(task.items.map((item) => item.requestId)).toEqual(
          task.items.map((_, k) => `${task.taskId}-r${k}`),
        );
        expect(await store.loadByRequestId(`${task.taskId}-r0`)).toMatchObject({ taskId: task.taskId });
      }
      expect(await store.count()).toBe(tasks.length);
      const report = await store.verify();
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
    } finally {
      await store.close();
      for (const w of writers) w.child.kill('SIGKILL');
    }
  }, 60_000);

  it('a process holding the write lock past busyTimeoutMs: BACKEND_UNAVAILABLE in bounded time, then recovery', async () => {
    const path = join(dir, 'locked.db');
    const store = new SqliteTaskStore({ path, namespace: 'locked', busyTimeoutMs: 300, sweepIntervalMs: 0 });
    await store.create({ taskId: 'before' });
    const holder = start('hold-lock.mjs', [path]);
    try {
      await holder.next('locked');
      const started = performance.now();
      const error = await store.create({ taskId: 'during' }).catch((e: unknown) => e);
      const waited = performance.now() - started;
      expect(isTaskStoreError(error, 'BACKEND_UNAVAILABLE'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/busyTimeoutMs/);
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(5000);
      // WAL: readers do not wait for the writer
      expect(await store.load('before')).toMatchObject({ taskId: 'before' });
      const health = await store.healthCheck();
      expect(health.ok).toBe(true);
      holder.child.stdin!.write('go\n');
      await holder.next('released');
      // nothing of the failed create was written, and the store works again by itself
      expect(await store.load('during')).toBeNull();
      await store.create({ taskId: 'during' });
      expect(await store.count()).toBe(2);
    } finally {
      holder.child.kill('SIGKILL');
      await store.close();
    }
  }, 30_000);

  it('the change feed: a watcher here gets every change two writer processes make, once, in commit order', async () => {
    const path = join(dir, 'feed.db');
    const namespace = 'feed';
    const store = new SqliteTaskStore({ path, namespace, sweep: false });
    await store.create({ taskId: 'shared', items: [] });
    const controller = new AbortController();
    const stream = store.watch(undefined, { signal: controller.signal });
    const got: TaskChange[] = [];
    const watching = (async () => {
      for await (const change of stream) got.push(change);
    })();
    await stream.ready;
    const writers = ['a', 'b'].map((name) => start('feed-writer.mjs', [path, namespace, name, '60']));
    try {
      await Promise.all(writers.map((w) => w.next('done')));
      const written = writers.flatMap((w) => w.lines.filter((l) => l !== 'done'));
      const deadline = Date.now() + 10_000;
      while (got.length < written.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200)); // nothing more comes
      controller.abort();
      await watching;
      const seen = got.map((c) => `${c.type} ${c.taskId} ${c.version}`);
      // every resolved write once, nothing else
      expect(seen.length).toBe(written.length);
      expect(new Set(seen)).toEqual(new Set(written));
      // in commit order: ids rise, and each writer's writes and each task's versions keep theirs
      const ids = got.map((c) => Number(c.id));
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(ids.length);
      for (const w of writers) {
        const own = new Set(w.lines);
        expect(seen.filter((l) => own.has(l))).toEqual(w.lines.filter((l) => l !== 'done'));
      }
      const shared = got.filter((c) => c.taskId === 'shared').map((c) => c.version);
      expect(shared).toEqual(shared.map((_, k) => k + 2));
      // a watch resumed from the middle gets exactly the rest
      const middle = got[Math.floor(got.length / 2)]!;
      const rest: string[] = [];
      const resumed = new AbortController();
      const done = (async () => {
        for await (const change of store.watch(undefined, { after: middle.id, signal: resumed.signal }))
          rest.push(change.id);
      })();
      const tail = got.slice(got.indexOf(middle) + 1).map((c) => c.id);
      while (rest.length < tail.length && Date.now() < deadline + 5000)
        await new Promise((r) => setTimeout(r, 20));
      resumed.abort();
      await done;
      expect(rest).toEqual(tail);
    } finally {
      controller.abort();
      for (const w of writers) w.child.kill('SIGKILL');
      await store.close();
    }
  }, 60_000);

  it('retention: ten processes on one namespace, one sweeper; a SIGKILLed holder is replaced after its lease', async () => {
    const path = join(dir, 'sweepers.db');
    const namespace = 'sweepers';
    const [intervalMs, leaseMs] = [200, 1500];
    const writer = new SqliteTaskStore({ path, namespace, retention: { completed: 50 }, sweep: false });
    try {
      // migrated once here, so the children do not queue for it
      expect((await writer.healthCheck()).ok).toBe(true);
      const outcome = await checkOneSweeper({
        spawn: () =>
          spawn(process.execPath, [fixture('sweeper.mjs'), path, namespace, `${intervalMs}`, `${leaseMs}`], {
            stdio: ['ignore', 'pipe', 'inherit'],
          }),
        intervalMs,
        leaseMs,
        writeDoomed: () => writer.create({ taskId: randomUUID(), status: 'completed' }),
      });
      expect(outcome.second).not.toBe(outcome.first);
      expect(outcome.takeoverMs).toBeLessThan(leaseMs + 10 * intervalMs);
      expect(outcome.removed).toBeGreaterThan(0);
      // the sweeps removed what the parent wrote (a child killed between a batch and its report
      // took that report with it), and what is left is gone for every read already
      expect(outcome.removed).toBeLessThanOrEqual(outcome.written);
      const rows = new Database(path, { readonly: true });
      try {
        const left = rows
          .prepare('SELECT count(*) FROM taskvault_tasks WHERE namespace = ?')
          .pluck()
          .get(namespace) as number;
        expect(left).toBeLessThan(outcome.written / 2);
      } finally {
        rows.close();
      }
      await new Promise((r) => setTimeout(r, 100));
      expect(await writer.count()).toBe(0);
    } finally {
      await writer.close();
    }
  }, 60_000);
});
