/**
 * Retention on SQLite beyond the conformance family: the sweep lease through the hooks the
 * sweeper calls (two stores on one file, as two processes would be), the migration that gives
 * existing rows their live-until, `verify` of it, and how `sweep` and `sweepIntervalMs` combine.
 */
import { join } from 'node:path';
import { createTaskStore, isTaskStoreError } from '@taskvault/core';
import type { SweepBatchRequest, SweepLeaseRequest } from '@taskvault/core/adapter';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATION_NAMES, SqliteTaskStore, type SqliteTaskStoreOptions } from '../src/index.js';
import { MIGRATIONS } from '../src/migrations/index.js';
import { runMigrations } from '../src/migrator.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const file = (name: string) => join(dir, name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store whose lease hooks the test calls itself (its own sweeper is off). */
class LeaseStore extends SqliteTaskStore {
  constructor(options: SqliteTaskStoreOptions) {
    super({ ...options, sweep: false });
  }
  acquire(holder: string, leaseMs: number): Promise<number | null> {
    const request: SweepLeaseRequest = { holder, leaseMs };
    return this.acquireSweepLease(request);
  }
  sweep(holder: string, token: number, limit = 100): Promise<number | null> {
    const request: SweepBatchRequest = { holder, token, limit, now: new Date() };
    return this.sweepDeadTasks(request);
  }
  release(holder: string, token: number): Promise<void> {
    return this.releaseSweepLease({ holder, token });
  }
}

describe('retention: the sweep lease', () => {
  it('is taken, runs out, passes to another holder with a larger token, and fences the old one', async () => {
    const path = file('lease.db');
    const options = { path, namespace: 'lease', retention: { completed: 20 } };
    const a = new LeaseStore(options);
    const b = new LeaseStore(options);
    const c = new LeaseStore(options);
    try {
      for (const s of [a, b, c]) expect((await s.healthCheck()).ok).toBe(true);
      const t1 = await a.acquire('A', 300);
      expect(t1).toBeTypeOf('number');
      expect(await a.acquire('A', 300)).toBe(t1); // renewed, same token
      expect(await b.acquire('B', 300)).toBeNull(); // A's lease runs
      await sleep(350);
      const t2 = await b.acquire('B', 5000);
      expect(t2).toBeGreaterThan(t1!);
      expect(await a.acquire('A', 300)).toBeNull(); // A lost it
      for (let i = 0; i < 3; i++) await a.create({ taskId: `done-${i}`, status: 'completed' });
      await a.create({ taskId: 'running', status: 'running' });
      await sleep(40);
      const rows = () => {
        const db = new Database(path, { readonly: true });
        try {
          return db.prepare('SELECT count(*) FROM taskvault_tasks').pluck().get() as number;
        } finally {
          db.close();
        }
      };
      expect(rows()).toBe(4);
      // the stale holder's batch deletes nothing
      expect(await a.sweep('A', t1!)).toBeNull();
      expect(rows()).toBe(4);
      // the holder's batches delete what retention ended, and only that
      expect(await b.sweep('B', t2!, 2)).toBe(2);
      expect(await b.sweep('B', t2!, 2)).toBe(1);
      expect(await b.sweep('B', t2!, 2)).toBe(0);
      expect(rows()).toBe(1);
      expect(await b.count()).toBe(1);
      // a release by a holder that no longer has it changes nothing
      await a.release('A', t1!);
      expect(await c.acquire('C', 300)).toBeNull();
      // B gives it up: the next asker takes it at once, with a larger token still
      await b.release('B', t2!);
      expect(await b.sweep('B', t2!)).toBeNull();
      const t3 = await c.acquire('C', 300);
      expect(t3).toBeGreaterThan(t2!);
    } finally {
      for (const s of [a, b, c]) await s.close();
    }
  });

  it('is not asked for, and nothing is swept, before the store has opened the file', async () => {
    const store = new LeaseStore({ path: file('unused.db') });
    expect(await store.acquire('A', 1000)).toBeNull();
    await store.close();
  });

  it('a lease step never waits for another connection holding the write lock', async () => {
    const path = file('busy.db');
    const store = new LeaseStore({ path, busyTimeoutMs: 5000 });
    await store.create({ taskId: 't' });
    const db = new Database(path);
    db.exec('BEGIN IMMEDIATE');
    try {
      const started = performance.now();
      const error = await store.acquire('A', 1000).catch((e: unknown) => e);
      expect(performance.now() - started).toBeLessThan(1000);
      expect((error as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
    } finally {
      db.exec('ROLLBACK');
      db.close();
    }
    // once the lock is free, it works
    expect(await store.acquire('A', 1000)).toBeTypeOf('number');
    await store.close();
  });
});

describe('retention: live_until of existing rows (migration 0002-live-until)', () => {
  /** A file as the first version left it: only 0001-init, two tasks written by hand. */
  function oldFile(name: string): string {
    const path = file(name);
    const db = new Database(path);
    runMigrations(db, {}, MIGRATIONS.slice(0, 1));
    const insert = db.prepare(
      `INSERT INTO taskvault_tasks (namespace, task_id, status, session_id, user_id, created_at, updated_at,
         expires_at, version, data, items) VALUES ('default', ?, ?, NULL, NULL, ?, ?, ?, 1, '{}', '[]')`,
    );
    const count = db.prepare(
      `INSERT INTO taskvault_counts (namespace, status, n) VALUES ('default', ?, 1)
       ON CONFLICT (namespace, status) DO UPDATE SET n = n + 1`,
    );
    const now = Date.now();
    insert.run('expired', 'running', now - 5000, now - 5000, now - 1000);
    insert.run('expiring', 'completed', now - 5000, now - 5000, now + 3_600_000);
    insert.run('kept', 'completed', now - 5000, now - 5000, null);
    count.run('running');
    count.run('completed');
    count.run('completed');
    db.close();
    return path;
  }

  it('is filled in from expires_at; the expiry index moves to it; retention applies from the next write', async () => {
    const path = oldFile('old.db');
    const store = new SqliteTaskStore({ path, retention: { completed: 1000 }, sweep: false });
    try {
      expect(await store.migrate()).toEqual({
        applied: ['0002-live-until', '0003-changes'],
        alreadyApplied: ['0001-init'],
      });
      const db = new Database(path, { readonly: true });
      const rows = db
        .prepare('SELECT task_id, expires_at, live_until FROM taskvault_tasks ORDER BY task_id')
        .all();
      const indexes = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'taskvault_tasks_%'")
        .pluck()
        .all();
      db.close();
      for (const row of rows as { expires_at: number | null; live_until: number | null }[])
        expect(row.live_until).toBe(row.expires_at);
      expect(indexes).toContain('taskvault_tasks_live_until');
      expect(indexes).not.toContain('taskvault_tasks_expiry');
      expect(await store.load('expired')).toBeNull();
      expect(await store.count()).toBe(2);
      // written before: kept until its own expiry, though retention would have ended it
      expect(await store.load('kept')).toMatchObject({ status: 'completed' });
      // the next write gives it a retention deadline
      await store.patch('kept', { data: { touched: true } });
      await sleep(1100);
      expect(await store.load('kept')).toBeNull();
      expect(await store.count()).toBe(1); // 'expiring', untouched since the upgrade
      expect((await store.verify()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('a store on a file that is not brought up to date says to migrate', async () => {
    const path = oldFile('stale.db');
    const store = new SqliteTaskStore({ path, autoMigrate: false, sweep: false });
    try {
      const error = await store.load('kept').catch((e: unknown) => e);
      expect(isTaskStoreError(error, 'BACKEND_ERROR'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/store\.migrate\(\)/);
      const health = await store.healthCheck();
      expect(health.ok).toBe(false);
      expect(health.detail).toMatch(/taskvault_tasks\.live_until/);
      await store.migrate();
      expect(await store.load('kept')).toMatchObject({ taskId: 'kept' });
    } finally {
      await store.close();
    }
  });

  it('a dropped column or index is re-created; the retired expiry index is not', async () => {
    const path = file('redo.db');
    const store = new SqliteTaskStore({ path, sweep: false });
    await store.create({ taskId: 'soon', ttlMs: 3_600_000 });
    const db = new Database(path);
    db.exec('DROP INDEX taskvault_tasks_live_until; ALTER TABLE taskvault_tasks DROP COLUMN live_until');
    db.close();
    const result = await store.migrate();
    expect(result.applied).toEqual([]);
    expect(result.restored).toEqual([
      'column:taskvault_tasks.live_until',
      'index:taskvault_tasks_live_until',
    ]);
    // the column came back filled in from expires_at
    expect(await store.load('soon')).toMatchObject({ taskId: 'soon' });
    expect((await store.verify()).ok).toBe(true);
    expect(await store.migrate()).toEqual({ applied: [], alreadyApplied: [...MIGRATION_NAMES] });
    await store.close();
  });
});

describe('retention: verify checks live_until against expires_at', () => {
  it('finds a row that would outlive its expiry, and repair sets what a write would', async () => {
    const path = file('verify.db');
    const store = new SqliteTaskStore({
      path,
      namespace: 'v',
      retention: { completed: 60_000 },
      sweep: false,
    });
    try {
      const expiresAt = new Date(Date.now() + 3_600_000);
      await store.create({ taskId: 'late', status: 'running', expiresAt });
      const done = await store.create({ taskId: 'done', status: 'completed', expiresAt });
      await store.create({ taskId: 'none', status: 'completed' });
      const db = new Database(path);
      const liveUntil = db
        .prepare("SELECT live_until FROM taskvault_tasks WHERE namespace = 'v' AND task_id = ?")
        .pluck();
      // retention made it earlier than the expiry: as it should be
      expect(liveUntil.get('done')).toBe(done.updatedAt.getTime() + 60_000);
      db.prepare(
        "UPDATE taskvault_tasks SET live_until = NULL WHERE namespace = 'v' AND task_id = 'late'",
      ).run();
      db.prepare(
        "UPDATE taskvault_tasks SET live_until = expires_at + 1 WHERE namespace = 'v' AND task_id = 'done'",
      ).run();
      const found = await store.verify();
      expect(found.ok).toBe(false);
      expect(found.problems.map((p) => [p.kind, p.taskId, p.index])).toEqual([
        ['missing-index-entry', 'late', 'expiry'],
        ['missing-index-entry', 'done', 'expiry'],
      ]);
      const repaired = await store.verify({ repair: true });
      expect(repaired).toMatchObject({ ok: true, repaired: 2 });
      expect(liveUntil.get('late')).toBe(expiresAt.getTime());
      expect(liveUntil.get('done')).toBe(done.updatedAt.getTime() + 60_000);
      db.close();
      expect((await store.verify()).problems).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('retention: the sweep options', () => {
  it('the sweeper is on by default, sweepIntervalMs: 0 turns it off, and an explicit sweep wins', async () => {
    const path = file('options.db');
    const on = new SqliteTaskStore({ path });
    const off = new SqliteTaskStore({ path, sweepIntervalMs: 0 });
    const both = new SqliteTaskStore({ path, sweepIntervalMs: 0, sweep: { intervalMs: 1000 } });
    const no = new SqliteTaskStore({ path, sweepIntervalMs: 500, sweep: false });
    expect(on.sweepStatus).not.toBeNull();
    expect(off.sweepStatus).toBeNull();
    expect(both.sweepStatus).not.toBeNull();
    expect(no.sweepStatus).toBeNull();
    for (const s of [on, off, both, no]) await s.close();
  });

  it('a bad sweep or sweepIntervalMs is CONFIG_INVALID naming it', () => {
    for (const [options, path] of [
      [{ sweep: { intervalMs: 0 } }, 'sweep.intervalMs'],
      [{ sweep: { intervalMs: 100, leaseMs: 50 } }, 'sweep.leaseMs'],
      [{ sweepIntervalMs: -1, sweep: true }, 'sweepIntervalMs'],
      [{ retention: { running: '1d' } }, 'retention.running'],
    ] as const) {
      let error: unknown;
      try {
        new SqliteTaskStore({ path: file('bad.db'), ...(options as SqliteTaskStoreOptions) });
      } catch (e) {
        error = e;
      }
      expect(isTaskStoreError(error, 'CONFIG_INVALID'), String(error)).toBe(true);
      expect((error as { path?: string }).path).toBe(path);
    }
  });

  it('TASKVAULT_RETENTION reaches the store through the factory', async () => {
    const store = await createTaskStore(
      { backend: 'sqlite', sqlite: { path: ':memory:' } },
      { env: { TASKVAULT_RETENTION: 'completed=1s,failed=2h' } },
    );
    expect((store as SqliteTaskStore).retention).toEqual({ completed: 1000, failed: 7_200_000 });
    await store.close();
  });
});
