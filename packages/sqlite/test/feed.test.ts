/**
 * The change feed on SQLite, beyond the conformance suite: which change each removal records,
 * trimming in bounded steps with its gap mark, positions the file never handed out, and a watcher
 * that keeps the event loop free while another connection holds the write lock.
 */
import { join } from 'node:path';
import { isTaskStoreError, type TaskChange, type TaskStore } from '@taskvault/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TRIM_BATCH } from '../src/change-log.js';
import { SqliteTaskStore } from '../src/index.js';
import { MIGRATIONS } from '../src/migrations/index.js';
import { runMigrations } from '../src/migrator.js';
import { damageSqliteTask } from './damage.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
let files = 0;
const newPath = () => join(dir, `feed-${++files}.db`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The changes after `after` that are there now (waits for up to `count` of them, 3 s at most). */
async function changesAfter(
  store: TaskStore,
  after: string | undefined,
  count: number,
): Promise<TaskChange[]> {
  const controller = new AbortController();
  const got: TaskChange[] = [];
  const timer = setTimeout(() => controller.abort(), 3000);
  try {
    const opts = after === undefined ? { signal: controller.signal } : { after, signal: controller.signal };
    for await (const change of store.watch(undefined, opts)) {
      got.push(change);
      if (got.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return got;
}

const summary = (changes: TaskChange[]) => changes.map((c) => `${c.type}:${c.taskId}:${c.version}`);

/** The first error `next()` of a watch from `after` rejects with. */
async function firstError(store: TaskStore, after: string): Promise<unknown> {
  return store
    .watch(undefined, { after })
    [Symbol.asyncIterator]()
    .next()
    .then(
      () => null,
      (e: unknown) => e,
    );
}

describe('sqlite change feed', () => {
  it('records expired for a dead row a create replaces, deleted for a row moved aside, one updated for a restore that replaces', async () => {
    const path = newPath();
    const store = new SqliteTaskStore({ path, sweep: false, onCorrupt: () => {} });
    try {
      const start = await store.watch().ready;
      await store.create({ taskId: 'brief', ttlMs: 50 });
      await sleep(80);
      await store.create({ taskId: 'brief' }); // the dead row goes: expired, then created
      await store.create({ taskId: 'damaged' });
      await damageSqliteTask(store, 'damaged');
      expect(await store.load('damaged').catch((e: unknown) => e)).toMatchObject({ code: 'CORRUPT_DATA' });
      const kept = (await store.load('brief'))!;
      await store.restore([{ ...kept, version: 9 }], { onConflict: 'replace' });
      expect(summary(await changesAfter(store, start, 6))).toEqual([
        'created:brief:1',
        'expired:brief:1',
        'created:brief:1',
        'created:damaged:1',
        'deleted:damaged:1',
        'updated:brief:9',
      ]);
    } finally {
      await store.close();
    }
  });

  it('trims changes past retainMs in bounded steps, and a position below the trimmed ones is INVALID_INPUT', async () => {
    const path = newPath();
    const store = new SqliteTaskStore({ path, sweep: false, changeFeed: { retainMs: 200 } });
    try {
      const start = await store.watch().ready;
      await store.create({ taskId: 'first' });
      const [first] = await changesAfter(store, start, 1);
      // more old changes than one write may trim, written behind the store
      const db = new Database(path);
      const old = Date.now() - 10_000;
      const insert = db.prepare(
        `INSERT INTO taskvault_changes (namespace, type, task_id, version, status, at, created_at)
         VALUES ('default', 'updated', 'first', 1, 'pending', ?, ?)`,
      );
      for (let i = 0; i < TRIM_BATCH * 2; i++) insert.run(old, old);
      await sleep(300); // past the retention and its slack
      const left = () =>
        db
          .prepare("SELECT count(*) FROM taskvault_changes WHERE namespace = 'default'")
          .pluck()
          .get() as number;
      const through = () =>
        db
          .prepare("SELECT through FROM taskvault_changes_trimmed WHERE namespace = 'default'")
          .pluck()
          .get() as number | undefined;
      expect(left()).toBe(1 + TRIM_BATCH * 2);
      await store.create({ taskId: 'second' }); // trims one batch
      expect(left()).toBe(1 + TRIM_BATCH * 2 + 1 - TRIM_BATCH);
      await store.create({ taskId: 'third' }); // and the next
      expect(left()).toBe(3 + TRIM_BATCH * 2 - 2 * TRIM_BATCH);
      const mark = through()!;
      expect(mark).toBeGreaterThan(Number(first!.id));
      // below the mark: a gap, said so; at the mark: everything after it is there
      const stale = await firstError(store, first!.id);
      expect(isTaskStoreError(stale, 'INVALID_INPUT')).toBe(true);
      expect(stale).toMatchObject({ path: 'opts.after' });
      expect((stale as Error).message).toMatch(/list the tasks again/);
      // (one change written behind the store is left: two batches of TRIM_BATCH took the rest)
      expect(summary(await changesAfter(store, String(mark), 3))).toEqual([
        'updated:first:1',
        'created:second:1',
        'created:third:1',
      ]);
      db.close();
    } finally {
      await store.close();
    }
  });

  it('a changes table dropped behind the store is made again by migrate(), without the old trim marks', async () => {
    const path = newPath();
    const store = new SqliteTaskStore({ path, sweep: false });
    try {
      await store.create({ taskId: 'one' });
      const db = new Database(path);
      db.exec(`INSERT INTO taskvault_changes_trimmed (namespace, through) VALUES ('default', 1000);
               DROP TABLE taskvault_changes`);
      db.close();
      expect((await store.migrate()).restored).toEqual([
        'table:taskvault_changes',
        'index:taskvault_changes_namespace',
      ]);
      const start = await store.watch().ready;
      await store.create({ taskId: 'two' });
      expect(summary(await changesAfter(store, start, 1))).toEqual(['created:two:1']);
    } finally {
      await store.close();
    }
  });

  it('on a file brought up to 0002 only, with autoMigrate off, writes and watches say to migrate', async () => {
    const path = newPath();
    const db = new Database(path);
    runMigrations(db, {}, MIGRATIONS.slice(0, 2));
    db.close();
    const store = new SqliteTaskStore({ path, autoMigrate: false, sweep: false });
    try {
      for (const call of [store.create({ taskId: 'one' }), store.watch().ready]) {
        const error = await call.catch((e: unknown) => e);
        expect(isTaskStoreError(error, 'BACKEND_ERROR'), String(error)).toBe(true);
        expect((error as Error).message).toMatch(/older than this version.*store\.migrate\(\)/);
      }
      await store.migrate();
      const start = await store.watch().ready;
      await store.create({ taskId: 'one' });
      expect(summary(await changesAfter(store, start, 1))).toEqual(['created:one:1']);
    } finally {
      await store.close();
    }
  });

  it('a position the file never handed out, or no number at all, is INVALID_INPUT at opts.after', async () => {
    const store = new SqliteTaskStore({ path: newPath(), sweep: false });
    try {
      await store.create({ taskId: 'one' });
      const end = Number(await store.watch().ready);
      for (const after of [String(end + 1), '12abc', '-1', '1.5', '99999999999999999']) {
        const error = await firstError(store, after);
        expect(isTaskStoreError(error, 'INVALID_INPUT'), after).toBe(true);
        expect(error).toMatchObject({ path: 'opts.after' });
      }
    } finally {
      await store.close();
    }
  });

  it('a watcher waits without blocking the event loop while another connection holds the write lock', async () => {
    const path = newPath();
    const store = new SqliteTaskStore({ path, sweep: false, busyTimeoutMs: 5000 });
    const writer = new SqliteTaskStore({ path, sweep: false });
    const holder = new Database(path);
    try {
      await writer.create({ taskId: 'before' });
      const start = await store.watch().ready;
      holder.exec('BEGIN IMMEDIATE');
      const got = changesAfter(store, start, 1);
      // the event loop keeps turning: the watcher polls a snapshot and never waits for the lock
      let worst = 0;
      let last = performance.now();
      const tick = setInterval(() => {
        const now = performance.now();
        worst = Math.max(worst, now - last);
        last = now;
      }, 10);
      await sleep(400);
      clearInterval(tick);
      expect(worst).toBeLessThan(250);
      holder.exec('COMMIT');
      await writer.create({ taskId: 'after' });
      expect(summary(await got)).toEqual(['created:after:1']);
    } finally {
      holder.close();
      await writer.close();
      await store.close();
    }
  });

  it('a watch on a connection closed behind the store rejects next() with a TaskStoreError, never hangs', async () => {
    const db = new Database(':memory:');
    const store = new SqliteTaskStore({ database: db, sweep: false });
    try {
      await store.create({ taskId: 'one' });
      const iterator = store.watch()[Symbol.asyncIterator]();
      const pending = iterator.next().then(
        () => null,
        (e: unknown) => e,
      );
      await sleep(50);
      db.close();
      const error = await pending;
      expect(isTaskStoreError(error), String(error)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
